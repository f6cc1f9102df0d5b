import type { RuleInput } from './alarm.js';
export interface LatestValue {
  ts: number;
  value: number;
}

/** A device as the API shows it. Times are epoch ms (UTC). */
export interface DeviceInfo {
  id: string;
  profile: string | null;
  firstSeen: number;
  lastSeen: number;
  online: boolean;
  latest: Record<string, LatestValue>;
  /** Text the device sent beside its numbers (status, fw) or its topic carried (site, line): the latest of each, since the server started. */
  attributes?: Record<string, string | boolean>;
}

export interface MetricSpec {
  unit?: string;
  description?: string;
  min?: number;
  max?: number;
  /** Values outside [warnLow, warnHigh] are shown as a warning. */
  warnLow?: number;
  warnHigh?: number;
  /** What people call the metric, per language. */
  displayName?: LocalText;
  /** An enum metric: what each value means (fault_type 3 -> "unbalance + looseness"). */
  labels?: Record<string, LocalText>;
}

/** A rule of a profile's pack: a rule for every device of the profile, with a key stable across releases. */
export interface RulePackEntry extends Omit<RuleInput, 'scope' | 'target'> {
  /** Unique within the profile; the rule's id is pack:<profile>:<key>. */
  key: string;
}

/** The label of an enum metric's value in a language (English when the language has none). */
export function labelOf(spec: MetricSpec | undefined, value: number, lang: 'en' | 'ko' = 'en'): string | undefined {
  const l = spec?.labels?.[String(value)];
  if (l === undefined) return undefined;
  return typeof l === 'string' ? l : lang === 'ko' ? (l.ko ?? l.en) : l.en;
}

/** Text in each of the dashboard's languages; a plain string serves all. */
export type LocalText = string | { en: string; ko?: string };

export interface Profile {
  name: string;
  description?: string;
  /** What people call devices of this profile, per language. */
  displayName?: LocalText;
  /** Alarm rules every device of the profile gets, installed once (enabled) on the first start that sees the profile. */
  rules?: RulePackEntry[];
  metrics: Record<string, MetricSpec>;
  /** What to do with a metric the profile does not name. */
  unknownMetrics?: 'accept' | 'flag' | 'reject';
  /** What to do with a value outside [min, max]. */
  outOfRange?: 'reject' | 'flag';
  /** A device is offline after this long without a message. */
  offlineAfterMs?: number;
  /** Raw readings of the profile's devices are kept this long (hours); the global default otherwise. */
  rawRetentionHours?: number;
  /** Commands the device understands beyond the built-in ones (set_interval, set_threshold, reboot). */
  commands?: Record<string, CommandSpec>;
}

export interface CommandSpec {
  description?: string;
  /** Parameter names and what they mean, for people; the device checks them. */
  params?: Record<string, string>;
}
