import type { LocalText, MetricSpec, Profile } from '../../../src/model/device.js';
import type { Language } from '../i18n/catalogues.js';

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

/** Text of a profile in a language: its own words for that language, else English, else the plain string. */
export function localText(text: LocalText | undefined, lang: Language): string | undefined {
  if (text === undefined) return undefined;
  return typeof text === 'string' ? text : lang === 'ko' ? (text.ko ?? text.en) : text.en;
}

/** What people call a profile's devices, in the language (the profile's name when it names nothing). */
export function profileLabel(profile: Profile | undefined, name: string, lang: Language): string {
  return localText(profile?.displayName, lang) ?? name;
}

/** What people call a metric, in the language (its key when the profile names nothing). */
export function metricLabel(profile: Profile | undefined, metric: string, lang: Language): string {
  return localText(profile?.metrics[metric]?.displayName, lang) ?? metric;
}

/** An enum metric's value by its label (fault_type 1 -> "불평형"), or null when the profile has no labels for it. */
export function enumLabel(spec: MetricSpec | undefined, value: number, lang: Language): string | null {
  if (!spec?.labels || !Number.isFinite(value)) return null;
  return localText(spec.labels[String(Math.round(value))], lang) ?? null;
}

/** Whether a metric is an enum (its values are labelled states, not a quantity). */
export function isEnumMetric(spec: MetricSpec | undefined): boolean {
  return !!spec?.labels && Object.keys(spec.labels).length > 0;
}
