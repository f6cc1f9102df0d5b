import type { MetricSpec, Profile } from '../../../src/model/device.js';

/** Profiles by name, plus the questions views ask of them. */
export class ProfileStore {
  private byName = new Map<string, Profile>();
  private listeners = new Set<() => void>();
  version = 0;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  set(profiles: Profile[]): void {
    for (const p of profiles) this.byName.set(p.name, p);
    this.version++;
    for (const fn of [...this.listeners]) fn();
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string | null | undefined): Profile | undefined {
    return name ? this.byName.get(name) : undefined;
  }

  spec(profile: string | null | undefined, metric: string): MetricSpec | undefined {
    return this.get(profile)?.metrics[metric];
  }
}

/** Metrics to show for a device: the profile's in its order, then any others seen, sorted. */
export function metricOrder(profile: Profile | undefined, ...seen: Iterable<string>[]): string[] {
  const out = profile ? Object.keys(profile.metrics) : [];
  const known = new Set(out);
  const extra = new Set<string>();
  for (const list of seen) for (const m of list) if (!known.has(m)) extra.add(m);
  return [...out, ...[...extra].sort()];
}

export interface ScaleGroup {
  /** uPlot scale key. */
  key: string;
  /** Axis label: the unit, or the metric name for a metric without a unit. */
  label: string;
  metrics: string[];
}

/** One y scale per unit (V, A, W...); a metric without a unit gets a scale of its own. */
export function scaleGroups(metrics: string[], profile: Profile | undefined): ScaleGroup[] {
  const groups = new Map<string, ScaleGroup>();
  for (const m of metrics) {
    const unit = profile?.metrics[m]?.unit;
    const key = unit ? `unit:${unit}` : `metric:${m}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, label: unit ?? m, metrics: [] }));
    g.metrics.push(m);
  }
  return [...groups.values()];
}
