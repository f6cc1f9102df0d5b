import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { Manifest, ModelFileRef } from '../../manifest.js';
import type { LoadedModel, ModelRuntime } from '../runtime.js';

/** ONNX models through onnxruntime-node's CPU provider; one session per model file, reused. */
export class OnnxRuntime implements ModelRuntime {
  readonly name = 'onnx' as const;

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
    const dims = [1, manifest.window, manifest.features.length];
    return {
      async run(window: Float32Array): Promise<Float32Array> {
        const result = await session.run({ [input]: new ort.Tensor('float32', window, dims) });
        const t = result[output];
        return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
      },
      close: () => session.release(),
    };
  }
}
