import type { Manifest, ModelFileRef } from '../manifest.js';

/** A loaded model: runs on one scaled window, row-major [steps][features], with each step's time. */
export interface LoadedModel {
  /** autoencoder: the reconstruction (same length); regressor: [value, ...]; classifier: scores or [class]. */
  run(window: Float32Array, times: Float64Array): Promise<Float32Array>;
  close(): Promise<void>;
}

/** One model runtime (onnx, builtin); bundles name theirs in the manifest. */
export interface ModelRuntime {
  readonly name: Manifest['runtime'];
  load(bundleDir: string, manifest: Manifest, ref: ModelFileRef): Promise<LoadedModel>;
}
