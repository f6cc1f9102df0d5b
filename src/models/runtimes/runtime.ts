import type { Manifest, ModelFileRef, RuntimeName } from '../manifest.js';

/** A loaded model: runs on one scaled window, row-major [steps][features], with each step's time. */
export interface LoadedModel {
  /** autoencoder: the reconstruction (same length); regressor: [value, ...]; classifier: scores or [class]. */
  run(window: Float32Array, times: Float64Array): Promise<Float32Array>;
  close(): Promise<void>;
  /** Calls into the runtime and windows they ran (batched runtimes run several per call). */
  readonly stats?: { calls: number; windows: number };
}

/** One model runtime (onnx, builtin); bundles name theirs in the manifest. */
export interface ModelRuntime {
  readonly name: RuntimeName;
  load(bundleDir: string, manifest: Manifest, ref: ModelFileRef): Promise<LoadedModel>;
}
