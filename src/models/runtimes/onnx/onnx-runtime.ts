import { join } from 'node:path';
import type { Manifest, ModelFileRef } from '../../manifest.js';
import type { LoadedModel, ModelRuntime } from '../runtime.js';
import { OnnxSessions } from './onnx-sessions.js';
import { WindowBatcher } from './window-batcher.js';

/** Most windows run in one call: enough to amortise the call, small enough to keep latency flat. */
const MAX_BATCH = 64;

/**
 * ONNX models through onnxruntime-node's CPU provider, on a thread of their own (onnx-thread.ts:
 * the runtime loads and runs a model synchronously in its caller's thread); one session per model
 * file, reused. Windows that arrive together (many devices' readings committed in one batch) run
 * as one [B, steps, features] tensor when the model's batch dimension is free, which the load
 * checks by running it.
 */
export class OnnxRuntime implements ModelRuntime {
  readonly name = 'onnx' as const;
  private readonly sessions = new OnnxSessions();

  /** `maxBatch` 1 turns batching off (the bench's baseline). */
  constructor(private readonly opts: { maxBatch?: number } = {}) {}

  async load(bundleDir: string, manifest: Manifest, ref: ModelFileRef): Promise<LoadedModel> {
    const steps = Number(ref.params?.window ?? manifest.window);
    const { session, batchable } = await this.sessions.load(join(bundleDir, ref.file!), steps, manifest.features.length);
    // Windows gathered together cross to the ONNX thread together, in one call of the model when its
    // batch dimension is free (and batching is on), else one call each on that thread.
    const maxBatch = this.opts.maxBatch ?? MAX_BATCH;
    const oneCall = batchable && maxBatch > 1;
    const gather = oneCall ? maxBatch : MAX_BATCH;
    const run = (data: Float32Array, batch: number): Promise<Float32Array> => this.sessions.run(session, data, batch, !oneCall);
    const batcher = new WindowBatcher(run, gather, oneCall ? () => 1 : (batch) => batch);
    return {
      run: (window: Float32Array) => batcher.run(window),
      close: () => this.sessions.release(session),
      stats: batcher.stats,
    };
  }
}
