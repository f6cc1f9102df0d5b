import type { Manifest, ModelFileRef } from '../../manifest.js';
import type { LoadedModel, ModelRuntime } from '../runtime.js';
import { mahalanobis } from './mahalanobis.js';
import { degradationRul } from './degradation.js';

/** Models Fieldscope fits itself from stored history: their parameters live in the manifest. */
export class BuiltinRuntime implements ModelRuntime {
  readonly name = 'builtin' as const;

  async load(_dir: string, manifest: Manifest, ref: ModelFileRef): Promise<LoadedModel> {
    const f = manifest.features.length;
    if (ref.kind === 'mahalanobis') {
      const p = ref.params as { mean: number[]; inv_cov: number[][] };
      return { run: async (w) => Float32Array.of(mahalanobis(windowMean(w, f), p.mean, p.inv_cov)), close: async () => {} };
    }
    if (ref.kind === 'degradation') {
      const p = ref.params as unknown as DegradationParams;
      return { run: async (w, times) => Float32Array.from(degradationRul(w, f, times, p)), close: async () => {} };
    }
    throw new Error(`the builtin runtime has no ${ref.kind} model`);
  }
}

export interface DegradationParams {
  /** Health index = sqrt(mean(((x - healthy_mean) / healthy_std)^2)) over the scaled features. */
  failure_threshold: number;
  /** Readings the trend is fitted over (the newest of the window). */
  trend_steps?: number;
  /** Longest RUL it answers (days); a flat or improving trend answers this. */
  max_rul_days?: number;
}

/** Mean of each feature over the window's steps (row-major [steps][features]). */
export function windowMean(w: Float32Array, f: number): number[] {
  const steps = w.length / f;
  const out = new Array<number>(f).fill(0);
  for (let i = 0; i < steps; i++) for (let j = 0; j < f; j++) out[j] += w[i * f + j];
  return out.map((s) => s / steps);
}
