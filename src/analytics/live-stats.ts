import type { DeviceLiveStats, MetricStats } from '../model/live.js';
import { BucketRing, emptyMoments, type Moments } from './windows.js';
import { l2Norm, rateOfChange, zScore } from './anomaly.js';

/**
 * One series' live figures at the time of its newest reading (`ts`): the last minute from 60 buckets
 * of 1 s; moving averages over 1 min from the 1 s ring, 5 and 15 min from the 10 s ring; rate in
 * units per second since the previous reading; z-score against the previous `zWindowMs` (10 s
 * buckets), before this reading was added. The shape is the API's (model/schemas/alarms.ts).
 */
export type SeriesStats = MetricStats;

/** A device's live figures: its series, the L2 norm of its metric vector, seqs skipped in the last minute. */
export type DeviceStats = Omit<DeviceLiveStats, 'ts'> & { ts: number };

export interface AnalyticsOptions {
  /** Metric vector per profile for the L2 norm. */
  vectors: Record<string, string[]>;
  /** Rolling window of the z-score; a multiple of 10 s, at most 15 min. Default 5 min. */
  zWindowMs?: number;
}

export interface MessageLike {
  device: string;
  ts: number;
  seq?: number;
  profile?: string | null;
  values: Record<string, number>;
}

/**
 * The moments of the window being read, reused: each is read at once (z-score, the stats' fields)
 * before the next window is asked for. One thread; nothing keeps it.
 */
const w: Moments = emptyMoments();

/**
 * One series: its rings and the few figures that depend on the order readings came in (the newest
 * reading, its rate and z-score). The windows' figures are read from the rings when a snapshot is
 * asked for, not at every reading: a fleet whose stats nobody is reading (no rule, no one watching)
 * pays one window read per reading (the z-score's), and keeps no stats object per series.
 */
class SeriesState {
  // Each ring keeps only what is read from it: min/max from the last minute, the spread from the 10 s buckets.
  // The 1 s ring is sparse: a device reporting every few seconds fills few of its buckets.
  readonly sec = new BucketRing(1000, 60, { spread: false, sparse: true });
  readonly tens = new BucketRing(10_000, 90, { range: false, compactSpread: true });
  /** Newest reading so far (NaN: none yet). */
  lastTs = NaN;
  lastValue = NaN;
  /** At the newest reading (NaN: none, the API's null). */
  rate = NaN;
  zscore = NaN;

  constructor(readonly metric: string) {}

  add(ts: number, value: number, zBuckets: number): void {
    // A late reading goes into the windows; the rate and z-score stay those of the newest.
    if (Number.isNaN(this.lastTs) || ts >= this.lastTs) {
      this.zscore = zScore(value, this.tens.window(ts, zBuckets, w)) ?? NaN;
      this.rate = rateOfChange(Number.isNaN(this.lastTs) ? null : this.lastTs, Number.isNaN(this.lastValue) ? null : this.lastValue, ts, value) ?? NaN;
      this.lastTs = ts;
      this.lastValue = value;
    }
    this.sec.add(ts, value);
    this.tens.add(ts, value);
  }

  /** The series' figures at its newest reading (call only after an add). */
  stats(): SeriesStats {
    const t = this.lastTs;
    const m1 = this.sec.window(t, undefined, w);
    return {
      metric: this.metric,
      ts: t,
      current: this.lastValue,
      min1m: m1.min,
      max1m: m1.max,
      avg1m: m1.mean,
      count1m: m1.count,
      ma1m: m1.mean,
      // Read before `w` is written again by the next window.
      ma5m: this.tens.window(t, 30, w).mean,
      ma15m: this.tens.window(t, 90, w).mean,
      rate: Number.isNaN(this.rate) ? null : this.rate,
      zscore: Number.isNaN(this.zscore) ? null : this.zscore,
    };
  }
}

class DeviceState {
  readonly series = new Map<string, SeriesState>();
  readonly gaps = new BucketRing(1000, 60, { spread: false, range: false, sparse: true });
  lastSeq: number | null = null;
  ts = -Infinity;
  profile: string | null = null;
}

/**
 * Live analytics for every (device, metric): a pure function of the message stream (no wall
 * clock), so the backtest replays stored history through the very same code.
 */
export class Analytics {
  private devices = new Map<string, DeviceState>();
  private readonly zBuckets: number;
  private listeners = new Map<(s: DeviceStats) => void, (() => boolean) | undefined>();

  constructor(private readonly opts: AnalyticsOptions) {
    this.zBuckets = Math.min(90, Math.max(1, Math.round((opts.zWindowMs ?? 300_000) / 10_000)));
  }

  /**
   * `wanted` says whether the listener would use a snapshot now (e.g. someone is watching): a
   * message nobody wants a snapshot of is folded in without building one.
   */
  onStats(listener: (s: DeviceStats) => void, wanted?: () => boolean): () => void {
    this.listeners.set(listener, wanted);
    return () => this.listeners.delete(listener);
  }

  vectorFor(profile: string | null): string[] | null {
    return (profile && this.opts.vectors[profile]) || null;
  }

  /** Folds one message in and returns the device's stats after it. */
  observe(m: MessageLike): DeviceStats {
    const d = this.fold(m);
    const stats = this.snapshot(m.device, d, m.seq ?? null);
    for (const l of this.listeners.keys()) l(stats);
    return stats;
  }

  /**
   * Folds one message in when its caller needs no snapshot (the alarm engine without rules): one
   * is built only if a listener wants it now. Same windows and stats as observe.
   */
  observeQuietly(m: MessageLike): void {
    const d = this.fold(m);
    let stats: DeviceStats | undefined;
    for (const [l, wanted] of this.listeners) if (!wanted || wanted()) l((stats ??= this.snapshot(m.device, d, m.seq ?? null)));
  }

  private fold(m: MessageLike): DeviceState {
    let d = this.devices.get(m.device);
    if (!d) this.devices.set(m.device, (d = new DeviceState()));
    if (m.profile) d.profile = m.profile;
    if (m.ts > d.ts) d.ts = m.ts;
    if (m.seq !== undefined) {
      // A lower seq than the last one is a reboot (counter reset) or a late message, not a gap.
      if (d.lastSeq !== null && m.seq > d.lastSeq + 1) d.gaps.add(m.ts, m.seq - d.lastSeq - 1);
      else d.gaps.add(m.ts, 0);
      if (d.lastSeq === null || m.seq > d.lastSeq || m.seq < d.lastSeq - 1000) d.lastSeq = m.seq;
    }
    for (const metric in m.values) {
      const v = m.values[metric];
      if (!Number.isFinite(v)) continue;
      let s = d.series.get(metric);
      if (!s) d.series.set(metric, (s = new SeriesState(metric)));
      s.add(m.ts, v, this.zBuckets);
    }
    return d;
  }

  /** Drops what is known of a device (before its windows are rebuilt from the store: src/cluster/rebuild-devices.ts). */
  forget(device: string): void {
    const d = this.devices.get(device);
    if (!d) return;
    this.devices.delete(device);
    // Their arrays are reused by the devices that come next (analytics/cell-pool.ts).
    for (const s of d.series.values()) {
      s.sec.release();
      s.tens.release();
    }
    d.gaps.release();
  }

  get(device: string): DeviceStats | undefined {
    const d = this.devices.get(device);
    return d && this.snapshot(device, d, d.lastSeq);
  }

  private snapshot(device: string, d: DeviceState, seq: number | null): DeviceStats {
    const metrics: Record<string, SeriesStats> = {};
    const current: Record<string, number> = {};
    for (const [name, s] of d.series) {
      if (Number.isNaN(s.lastTs)) continue;
      metrics[name] = s.stats();
      current[name] = s.lastValue;
    }
    const vector = this.vectorFor(d.profile);
    const g = d.gaps.window(d.ts, undefined, w);
    return {
      device,
      ts: d.ts,
      seq,
      metrics,
      l2: vector ? { metrics: vector, value: l2Norm(current, vector) } : null,
      seqGaps1m: Math.round(g.mean * g.count),
    };
  }
}

/**
 * Calls `fn` at most once per `intervalMs` per key, always delivering the latest value (trailing edge).
 * Values held back are delivered together, by one timer on a `groupMs` grid (never early, at most
 * that much late), not one timer per key: callers that coalesce what happens in one event-loop turn
 * (the live hub's batch frames) then send thousands of devices' stats as a few messages a second
 * instead of one WebSocket message per device.
 */
export function throttlePerKey<T>(
  intervalMs: number,
  fn: (value: T) => void,
  groupMs = Math.min(100, intervalMs),
): { push(key: string, value: T): void; stop(): void } {
  const last = new Map<string, number>();
  const pending = new Map<string, { value: T; due: number }>();
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  const arm = (due: number) => {
    if (timer && timerAt <= due) return;
    if (timer) clearTimeout(timer);
    timerAt = due;
    timer = setTimeout(fire, Math.max(0, due - Date.now()));
    timer.unref();
  };
  const fire = () => {
    timer = null;
    timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [key, p] of pending) {
      if (p.due <= now) {
        pending.delete(key);
        last.set(key, now);
        fn(p.value);
      } else if (p.due < next) next = p.due;
    }
    if (next < Infinity) arm(next);
  };
  return {
    push(key, value) {
      const p = pending.get(key);
      if (p) {
        p.value = value;
        return;
      }
      const now = Date.now();
      const due = (last.get(key) ?? -Infinity) + intervalMs;
      if (due <= now) {
        last.set(key, now);
        fn(value);
        return;
      }
      const slot = Math.ceil(due / groupMs) * groupMs;
      pending.set(key, { value, due: slot });
      arm(slot);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      timerAt = Infinity;
      pending.clear();
    },
  };
}
