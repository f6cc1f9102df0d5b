import type { ModelOutputs } from '../model/models.js';
import type { Bundle } from './bundles.js';
import { staticJudge, type AnomalyJudge } from './dynamic-threshold.js';

/** What one run of a bundle on one window says. */
export type Outputs = ModelOutputs;

/**
 * Runs a bundle on raw rows ([steps][features], or one flat array of steps x features as a device's
 * live window hands them over; units as stored): scales them with the manifest's
 * scaler, then the anomaly gate, the classifier behind it (seed 003's case A: only when the gate
 * opens; absent is fine) and RUL. Each model reads the newest `params.window` steps, or all.
 * `judge` holds the device's dynamic threshold when the bundle has one; it is stateful, so one per
 * device and bundle.
 */
export async function infer(
  bundle: Bundle,
  rows: ArrayLike<number>[] | Float64Array,
  times: ArrayLike<number>,
  judge: AnomalyJudge = staticJudge(bundle.manifest.thresholds.anomaly_score),
): Promise<Outputs> {
  const m = bundle.manifest;
  const f = m.features.length;
  const flat = rows instanceof Float64Array;
  const n = flat ? rows.length / f : rows.length;
  const scaled = new Float32Array(n * f);
  const { mean, std } = m.scaler;
  if (flat) for (let k = 0; k < scaled.length; k++) scaled[k] = (rows[k] - mean[k % f]) / std[k % f];
  else for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) scaled[i * f + j] = (rows[i][j] - mean[j]) / std[j];
  const t = times instanceof Float64Array ? times : Float64Array.from(times);
  const last = (role: keyof Bundle['models']) => {
    const w = Math.min(n, Number(m.models[role]?.params?.window ?? m.window));
    return { w: scaled.subarray((n - w) * f), t: t.subarray(n - w) };
  };
  const out: Outputs = {};
  if (bundle.models.anomaly) {
    const { w, t: tt } = last('anomaly');
    const r = await bundle.models.anomaly.run(w, tt);
    let score: number;
    if (m.models.anomaly!.kind === 'autoencoder') {
      let s = 0;
      for (let i = 0; i < w.length; i++) s += (w[i] - r[i]) ** 2;
      score = s / w.length;
    } else score = r[0];
    out.anomaly_score = score;
    const threshold = judge.judge(score);
    if (threshold !== undefined) {
      out.anomaly_threshold = threshold;
      out.anomaly = score > threshold ? 1 : 0;
    }
  }
  if (bundle.models.classifier) {
    if (out.anomaly === 0) out.class = 0;
    else {
      const { w, t: tt } = last('classifier');
      const r = await bundle.models.classifier.run(w, tt);
      out.class = r.length > 1 ? r.indexOf(Math.max(...r)) : Math.round(r[0]);
    }
  }
  if (bundle.models.rul) {
    const { w, t: tt } = last('rul');
    const r = await bundle.models.rul.run(w, tt);
    out.rul_days = r[0];
    if (r.length >= 3) {
      out.rul_days_low = r[1];
      out.rul_days_high = r[2];
    }
    if (r.length >= 4) out.health_index = r[3];
  }
  return out;
}
