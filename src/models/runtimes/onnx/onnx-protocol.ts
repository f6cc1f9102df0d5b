/** What the main thread asks of the ONNX thread (onnx-thread.ts): one of load, run, release. */
export interface SessionRequest {
  id: number;
  load?: { session: number; path: string; steps: number; features: number };
  /**
   * `data`: `batch` windows laid end to end, row-major [steps][features] each; run in one call of
   * the model, or with `each` one call a window (a model whose batch dimension is fixed), answered
   * together either way: one crossing of the threads for all of them.
   */
  run?: { session: number; data: Float32Array; batch: number; each?: boolean };
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
