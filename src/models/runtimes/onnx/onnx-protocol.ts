/** What the main thread asks of the ONNX thread (onnx-thread.ts): one of load, run, release. */
export interface SessionRequest {
  id: number;
  load?: { session: number; path: string; steps: number; features: number };
  /** `data`: `batch` windows laid end to end, row-major [steps][features] each. */
  run?: { session: number; data: Float32Array; batch: number };
  release?: { session: number };
}

export interface SessionReply {
  id: number;
  ok: boolean;
  error?: string;
  /** load: whether the model takes several windows in one call. */
  batchable?: boolean;
  /** run: the outputs of the windows, laid end to end. */
  output?: Float32Array;
}
