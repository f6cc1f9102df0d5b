import type { Api } from '../api.js';

/** A bundle as GET /api/v1/serve-ml/bundles lists it (src/api/serve-ml.ts bundleView). */
export interface BundleView {
  id: string;
  equipment_id: string | null;
  profile: string | null;
  power: string;
  model_version: string;
  origin: 'folder' | 'upload' | 'fitted' | string;
  active: boolean;
  runtime?: string;
  manifest: {
    features?: string[];
    window?: number;
    thresholds?: Record<string, unknown>;
    training?: { from?: unknown; to?: unknown; metrics?: Record<string, unknown> };
  };
}

/** One replayed window of a backtest (src/models/backtest.ts). */
export interface BacktestPoint {
  ts: number;
  anomaly_score?: number;
  anomaly?: number;
  anomaly_threshold?: number;
  rul_days?: number;
  rul_days_low?: number;
  rul_days_high?: number;
}

export interface BacktestReport {
  bundle: string;
  device: string;
  steps: number;
  windows: number;
  anomalies: number;
  anomaly_rate: number;
  first_anomaly: number | null;
  threshold: number | null;
  dynamic_threshold: unknown;
  rul_rmse_days: number | null;
  points: BacktestPoint[];
}

/** The body of POST /api/v1/serve-ml/fit (fitBodySchema): only what the form sets. */
export interface FitInput {
  device: string;
  profile?: string;
  features: string[];
  from: number;
  to: number;
  model_version?: string;
  window?: number;
  trend_steps?: number;
  failed_at?: number;
  max_rul_days?: number;
}

export interface RulStats {
  devices: { device: string; predictions: number; latest_rul_days: number | null; min_rul_days: number | null; anomalies: number }[];
  latency_ms: { p50: number | null; p99: number | null; samples: number };
}

/** GET /api/v1/rul/health/{device}: the latest prediction (src/models/serving.ts Prediction) and a status. */
export interface DeviceHealth {
  device: string;
  ts: number;
  bundle: string;
  model_version: string;
  anomaly_score?: number;
  anomaly?: number;
  threshold?: number;
  rul_days?: number;
  rul_days_low?: number;
  rul_days_high?: number;
  status: 'healthy' | 'warning' | 'critical' | 'unknown';
}

/** A bundle's slot: one target (equipment, or profile:NAME) and power bucket, with its versions. */
export interface BundleSlot {
  /** The target as the rollback API names it: the equipment id, or `profile:<name>`. */
  target: string;
  power: string;
  versions: BundleView[];
  active: BundleView | null;
}

/** The target part of a bundle id (`<target>/<power>/<version>`). */
export const targetOf = (b: BundleView): string => b.equipment_id ?? `profile:${b.profile}`;

/** Bundles grouped by target and power bucket, versions in natural order (v2 < v10), as the registry orders them. */
export function slotsOf(bundles: BundleView[]): BundleSlot[] {
  const slots = new Map<string, BundleSlot>();
  for (const b of bundles) {
    const target = targetOf(b);
    const key = `${target}/${b.power}`;
    let s = slots.get(key);
    if (!s) slots.set(key, (s = { target, power: b.power, versions: [], active: null }));
    s.versions.push(b);
    if (b.active) s.active = b;
  }
  for (const s of slots.values()) s.versions.sort((a, b) => a.model_version.localeCompare(b.model_version, undefined, { numeric: true }));
  return [...slots.values()].sort((a, b) => a.target.localeCompare(b.target) || a.power.localeCompare(b.power, undefined, { numeric: true }));
}

/** The model outputs a device stores as series (docs/models.md): never offered as features to fit on. */
export const MODEL_OUTPUTS = ['anomaly_score', 'anomaly', 'anomaly_threshold', 'class', 'rul_days', 'rul_days_low', 'rul_days_high', 'health_index'];

/** The serve-ml and RUL routes of docs/models.md, on the dashboard's Api (same credentials, same errors). */
export class ModelApi {
  constructor(private readonly api: Api) {}

  bundles(): Promise<{ bundles: BundleView[]; errors: unknown[] }> {
    return this.api.send('GET', '/api/v1/serve-ml/bundles');
  }
  activate(id: string): Promise<BundleView> {
    return this.api.send('POST', '/api/v1/serve-ml/bundles/activate', { id });
  }
  rollback(target: string, power: string): Promise<BundleView> {
    return this.api.send('POST', '/api/v1/serve-ml/bundles/rollback', { equipment_id: target, power });
  }
  fit(input: FitInput): Promise<BundleView> {
    return this.api.send('POST', '/api/v1/serve-ml/fit', input);
  }
  backtest(q: { id: string; device: string; from: number; to: number; failed_at?: number }): Promise<BacktestReport> {
    return this.api.send('POST', '/api/v1/serve-ml/backtest', q);
  }
  stats(): Promise<RulStats> {
    return this.api.send('GET', '/api/v1/rul/stats');
  }
  health(device: string): Promise<DeviceHealth> {
    return this.api.send('GET', `/api/v1/rul/health/${encodeURIComponent(device)}`);
  }
}
