import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { Manifest, ModelFileRef } from '../../manifest.js';
import type { LoadedModel, ModelRuntime } from '../runtime.js';
import { WindowBatcher } from './window-batcher.js';

/** Most windows run in one call: enough to amortise the call, small enough to keep latency flat. */
const MAX_BATCH = 64;

/**
 * ONNX models through onnxruntime-node's CPU provider; one session per model file, reused. Windows
 * that arrive together (many devices' readings committed in one batch) run as one [B, steps,
 * features] tensor when the model's batch dimension is free, which the load checks by running it.
 */
export class OnnxRuntime implements ModelRuntime {
  readonly name = 'onnx' as const;

  /** `maxBatch` 1 turns batching off (the bench's baseline). */
  constructor(private readonly opts: { maxBatch?: number } = {}) {}

  async load(bundleDir: string, manifest: Manifest, ref: ModelFileRef): Promise<LoadedModel> {
    // Loaded on the first ONNX bundle only: a server with no models does not map the native library.
    const ort: typeof Ort = await import('onnxruntime-node');
    // One thread per session: the machine's cores belong to ingest; a window is tiny work.
    const session = await ort.InferenceSession.create(join(bundleDir, ref.file!), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const input = session.inputNames[0];
    const output = session.outputNames[0];
    const f = manifest.features.length;
    const run = async (data: Float32Array, batch: number): Promise<Float32Array> => {
      const dims = [batch, data.length / batch / f, f];
      const result = await session.run({ [input]: new ort.Tensor('float32', data, dims) });
      const t = result[output];
      if (t.dims[0] !== batch) throw new Error(`${ref.file}: asked for ${batch} windows, got ${t.dims[0]}`);
      return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
    };
    const steps = Number(ref.params?.window ?? manifest.window);
    const batchable = await run(new Float32Array(2 * steps * f), 2).then(
      () => true,
      () => false,
    );
    const batcher = new WindowBatcher(run, batchable ? (this.opts.maxBatch ?? MAX_BATCH) : 1);
    return {
      run: (window: Float32Array) => batcher.run(window),
      close: () => session.release(),
      stats: batcher.stats,
    };
  }
}
