import type { FitRequest } from '../model/models.js';
import type { Store } from '../stores/store.js';
import { BundleError } from './bundles.js';
import { stepsFromHistory } from './history-window.js';
import { invert, mahalanobis, meanCov } from './runtimes/builtin/mahalanobis.js';

/** What POST /serve-ml/fit and /rul/train take (declared once in model/schemas/models.ts, where each field is described). */
export type { FitRequest };

/**
 * Fits models that need no Python from a healthy stretch of stored history: standardised features,
 * a Mahalanobis anomaly score over window means with its threshold from the healthy scores'
 * distribution, and RUL by degradation trend (health index extrapolated to a failure threshold).
 * Returns the manifest of a builtin bundle; the caller stores it like any other bundle.
 */
export async function fitBundle(store: Pick<Store, 'telemetry'>, req: FitRequest, now = Date.now()): Promise<Record<string, unknown>> {
  if (!(req.from < req.to)) throw new BundleError('from must be before to', 'from', 'order');
  if (req.features.length === 0) throw new BundleError('features must name at least one metric', 'features', 'min_items');
  const healthy = await stepsFromHistory(store, req.device, req.features, req.from, req.to);
  let failure: number[][] | undefined;
  if (req.failed_at !== undefined && (req.kinds ?? ['anomaly', 'rul']).includes('rul')) {
    const span = req.failure_span_ms ?? 30 * 60_000;
    failure = (await stepsFromHistory(store, req.device, req.features, req.failed_at - span, req.failed_at)).rows;
    if (failure.length < 3)
      throw new BundleError(`the ${span} ms before failed_at hold ${failure.length} complete steps; need 3`, 'failed_at', 'enough_history', 422);
  }
  return fitFromSteps(healthy.rows, healthy.times, req, failure, now);
}

/** The fit itself, on steps already read: healthy rows, and optionally rows just before a failure. */
export function fitFromSteps(
  rows: number[][],
  times: number[],
  req: Omit<FitRequest, 'from' | 'to'> & { from: number; to: number },
  failureRows?: number[][],
  now = Date.now(),
): Record<string, unknown> {
  const f = req.features.length;
  const window = req.window ?? 10;
  const need = Math.max(window * 5, 30);
  if (rows.length < need)
    throw new BundleError(
      `the healthy window holds ${rows.length} complete steps of ${req.features.join(', ')}; fitting needs at least ${need}`,
      'from',
      'enough_history',
      422,
    );
  const mean = new Array<number>(f).fill(0);
  for (const r of rows) for (let j = 0; j < f; j++) mean[j] += r[j] / rows.length;
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / Math.max(1, rows.length - 1)) || 1e-9);
  const z = rows.map((r) => r.map((v, j) => (v - mean[j]) / std[j]));
  const kinds = req.kinds ?? ['anomaly', 'rul'];
  const models: Record<string, unknown> = {};
  const thresholds: Record<string, number> = {};
  const metrics: Record<string, unknown> = { healthy_steps: rows.length };
  if (kinds.includes('anomaly')) {
    const means: number[][] = [];
    for (let i = window; i <= z.length; i++) {
      const m = new Array<number>(f).fill(0);
      for (let k = i - window; k < i; k++) for (let j = 0; j < f; j++) m[j] += z[k][j] / window;
      means.push(m);
    }
    const mc = meanCov(means);
    const inv = invert(mc.cov);
    const scores = means.map((m) => mahalanobis(m, mc.mean, inv)).sort((a, b) => a - b);
    const q = scores[Math.min(scores.length - 1, Math.floor((req.quantile ?? 0.995) * scores.length))];
    thresholds.anomaly_score = q * (req.margin ?? 1.2);
    models.anomaly = { kind: 'mahalanobis', params: { window, mean: mc.mean, inv_cov: inv } };
    metrics.healthy_score_p50 = scores[Math.floor(scores.length / 2)];
    metrics.healthy_score_max = scores[scores.length - 1];
  }
  const trendSteps = req.trend_steps ?? 200;
  if (kinds.includes('rul')) {
    let failure = req.failure_threshold ?? 6;
    if (failureRows) {
      const hi = failureRows.map((r) => Math.sqrt(r.reduce((s, v, j) => s + ((v - mean[j]) / std[j]) ** 2, 0) / f));
      failure = hi.reduce((a, b) => a + b, 0) / hi.length;
      metrics.failure_health_index = failure;
    }
    models.rul = {
      kind: 'degradation',
      params: { window: trendSteps, trend_steps: trendSteps, failure_threshold: failure, max_rul_days: req.max_rul_days ?? 365 },
    };
  }
  return {
    equipment_id: req.profile ? null : req.device,
    profile: req.profile ?? null,
    power: req.power ?? 'default',
    model_version: req.model_version ?? `fit-${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`,
    runtime: 'builtin',
    features: req.features,
    window: Math.max(window, kinds.includes('rul') ? trendSteps : 1),
    scaler: { mean, std },
    models,
    outputs: {
      anomaly_score: { meaning: 'squared Mahalanobis distance of the window mean from the healthy window', unit: '' },
      anomaly: { meaning: '1 when anomaly_score is above thresholds.anomaly_score', unit: '' },
      rul_days: { meaning: 'days until the health index (RMS of z-scores) reaches the failure threshold on its current trend', unit: 'd' },
      rul_days_low: { meaning: 'lower end of the 95% interval', unit: 'd' },
      rul_days_high: { meaning: 'upper end of the 95% interval', unit: 'd' },
      health_index: { meaning: "RMS of the features' z-scores against the healthy window", unit: '' },
    },
    thresholds,
    training: { from: req.from, to: req.to, devices: [req.device], metrics, first_step: times[0], last_step: times[times.length - 1] },
  };
}
