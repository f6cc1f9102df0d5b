import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError, type Manifest, type ModelFileRef } from '../../manifest.js';
import type { LoadedModel, ModelRuntime } from '../runtime.js';
import { parseXgbModel, predictXgb, XgbFormatError } from './xgboost-json.js';

/**
 * Seed 003's optional classifier (`xgb.json`) behind the anomaly gate. It reads the newest steps
 * of the scaled features, flattened step by step (oldest first): as many steps as its feature
 * count holds (num_feature = steps x features). Answers class probabilities (two for a binary model), so the class is the
 * largest, whatever the objective.
 */
export class XgboostRuntime implements ModelRuntime {
  readonly name = 'xgboost' as const;

  async load(bundleDir: string, manifest: Manifest, ref: ModelFileRef): Promise<LoadedModel> {
    let model;
    try {
      model = parseXgbModel(JSON.parse(await readFile(join(bundleDir, ref.file!), 'utf8')));
    } catch (err) {
      const field = err instanceof XgbFormatError ? err.field : ref.file!;
      throw new ManifestError(`${ref.file}: ${(err as Error).message}`, `files.${ref.file}`, field);
    }
    // Without params.window the model's own feature count says how many steps it reads.
    const f = manifest.features.length;
    const steps = ref.params?.window === undefined ? model.numFeature / f : Number(ref.params.window);
    if (!Number.isInteger(steps) || steps < 1 || steps > manifest.window || model.numFeature !== steps * f)
      throw new ManifestError(
        `${ref.file}: the model reads ${model.numFeature} features; it must read whole steps of the ${f} features (1..${manifest.window} steps${ref.params?.window === undefined ? '' : `, params.window says ${steps}`})`,
        'models.classifier.params.window',
        'feature_count',
      );
    const binary = model.groups === 1;
    return {
      async run(window: Float32Array): Promise<Float32Array> {
        const out = predictXgb(model, window.subarray(window.length - model.numFeature));
        if (!binary) return out;
        const p1 = model.objective === 'binary:logitraw' ? 1 / (1 + Math.exp(-out[0])) : out[0];
        return Float32Array.of(1 - p1, p1);
      },
      close: async () => {},
    };
  }
}
