import type { Store } from '../stores/store.js';
import type { ModelBacktest, ModelBacktestRequest } from '../model/models.js';
import type { Bundle } from './bundles.js';
import { stepsFromHistory } from './history-window.js';
import { infer } from './inference.js';
import { judgeFor } from './dynamic-threshold.js';

/** Which history to replay, and when the device failed (declared once in model/schemas/models.ts). */
export type BacktestRequest = Omit<ModelBacktestRequest, 'id'>;

/**
 * Replays stored history through a bundle before it is activated: how often it would have flagged
 * an anomaly and when first, and, given the failure time, how far its RUL was from the truth.
 */
export async function backtestBundle(store: Pick<Store, 'telemetry'>, bundle: Bundle, req: BacktestRequest): Promise<ModelBacktest> {
  const m = bundle.manifest;
  const { rows, times } = await stepsFromHistory(store, req.device, m.features, req.from, req.to);
  const windows = Math.max(0, rows.length - m.window + 1);
  const stride = Math.max(1, req.stride ?? Math.ceil(windows / 500));
  const points: ModelBacktest['points'] = [];
  let flagged = 0;
  let firstAnomaly: number | null = null;
  let se = 0,
    seN = 0;
  // A dynamic threshold learns along the replay, as it would have live.
  const judge = judgeFor(m.thresholds);
  for (let end = m.window; end <= rows.length; end += stride) {
    const out = await infer(bundle, rows.slice(end - m.window, end), times.slice(end - m.window, end), judge);
    const ts = times[end - 1];
    points.push({ ts, ...out });
    if (out.anomaly === 1) {
      flagged++;
      firstAnomaly ??= ts;
    }
    if (req.failed_at !== undefined && out.rul_days !== undefined) {
      se += (out.rul_days - (req.failed_at - ts) / 86_400_000) ** 2;
      seN++;
    }
  }
  return {
    bundle: bundle.id,
    device: req.device,
    steps: rows.length,
    windows: points.length,
    anomalies: flagged,
    anomaly_rate: points.length ? flagged / points.length : 0,
    first_anomaly: firstAnomaly,
    threshold: m.thresholds.anomaly_score ?? null,
    dynamic_threshold: m.thresholds.anomaly_dynamic ?? null,
    rul_rmse_days: seN ? Math.sqrt(se / seN) : null,
    points,
  };
}
