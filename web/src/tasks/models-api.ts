import type { Api } from '../api.js';
import type {
  BundleView,
  DeviceHealth,
  FitRequest,
  ModelBacktest,
  ModelBacktestPoint,
  ModelBacktestRequest,
  LoadError,
  ModelOutputs,
  RulStats,
} from '../../../src/model/models.js';

export type { BundleView, DeviceHealth, RulStats };
/** One replayed window of a backtest. */
export type BacktestPoint = ModelBacktestPoint;
export type BacktestReport = ModelBacktest;
/** The body of POST /api/v1/serve-ml/fit (the form sets only some of its fields). */
export type FitInput = FitRequest;

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

/** Every output of a model run, and nothing else: the compiler holds this to the server's ModelOutputs shape. */
const OUTPUTS: Record<keyof ModelOutputs, true> = {
  anomaly_score: true,
  anomaly: true,
  anomaly_threshold: true,
  class: true,
  rul_days: true,
  rul_days_low: true,
  rul_days_high: true,
  health_index: true,
};
/** The model outputs a device stores as series (docs/models.md): never offered as features to fit on. */
export const MODEL_OUTPUTS = Object.keys(OUTPUTS);

/** The serve-ml and RUL routes of docs/models.md, on the dashboard's Api (same credentials, same errors). */
export class ModelApi {
  constructor(private readonly api: Api) {}

  bundles(): Promise<{ bundles: BundleView[]; errors: LoadError[] }> {
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
  backtest(q: ModelBacktestRequest): Promise<BacktestReport> {
    return this.api.send('POST', '/api/v1/serve-ml/backtest', q);
  }
  stats(): Promise<RulStats> {
    return this.api.send('GET', '/api/v1/rul/stats');
  }
  health(device: string): Promise<DeviceHealth> {
    return this.api.send('GET', `/api/v1/rul/health/${encodeURIComponent(device)}`);
  }
}
