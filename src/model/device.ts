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
}

export interface Profile {
  name: string;
  description?: string;
  metrics: Record<string, MetricSpec>;
  /** What to do with a metric the profile does not name. */
  unknownMetrics?: 'accept' | 'flag' | 'reject';
  /** What to do with a value outside [min, max]. */
  outOfRange?: 'reject' | 'flag';
  /** A device is offline after this long without a message. */
  offlineAfterMs?: number;
  /** Commands the device understands beyond the built-in ones (set_interval, set_threshold, reboot). */
  commands?: Record<string, CommandSpec>;
}

export interface CommandSpec {
  description?: string;
  /** Parameter names and what they mean, for people; the device checks them. */
  params?: Record<string, string>;
}
