import type { RetentionPolicy, RetentionResult, TelemetryStore } from './store.js';
import type { RetentionSource } from '../model/retention.js';
import { DAY, HOUR } from './zoned-time.js';

export const defaultRetention: RetentionPolicy = { rawMs: 2 * DAY, minuteMs: 30 * DAY, hourMs: 730 * DAY };

/** The policy that applies to devices of a profile (null: no profile). */
export function retentionFor(policy: RetentionPolicy, profile: string | null): { rawMs: number; minuteMs: number; hourMs: number } {
  const o = (profile !== null && policy.byProfile?.[profile]) || {};
  return { rawMs: o.rawMs ?? policy.rawMs, minuteMs: o.minuteMs ?? policy.minuteMs, hourMs: o.hourMs ?? policy.hourMs };
}

export type { RetentionSource };

export interface EffectiveRetention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
  rawSource: RetentionSource;
}

/** The retention that applies to one device: its own raw setting, else its profile's, else the default. */
export function effectiveRetention(policy: RetentionPolicy, device: string, profile: string | null): EffectiveRetention {
  const p = retentionFor(policy, profile);
  const d = policy.byDevice?.[device];
  if (d) return { ...p, rawMs: d.rawMs, rawSource: d.from === 'config' ? 'device-config' : 'device' };
  const fromProfile = profile !== null && policy.byProfile?.[profile]?.rawMs !== undefined;
  return { ...p, rawSource: fromProfile ? 'profile' : 'default' };
}

/** The longest raw retention any device may have under the policy (partitions older than it may go whole). */
export function longestRaw(policy: RetentionPolicy): number {
  const all = [policy.rawMs, ...Object.values(policy.byProfile ?? {}).map((o) => o.rawMs ?? 0), ...Object.values(policy.byDevice ?? {}).map((o) => o.rawMs)];
  return Math.max(...all);
}

/**
 * The half-open ranges [from, to) before `cut` that lie outside every hold, with `width` the span a
 * row stands for (1 for a reading, the bucket width for a rollup): a rollup bucket that overlaps a
 * hold is kept whole.
 */
export function deletableRanges(cut: number, holds: readonly { from: number; to: number }[], width = 1): [number, number][] {
  const sorted = holds
    .map((h) => [h.from - width + 1, h.to + 1] as [number, number])
    .filter(([a]) => a < cut)
    .sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  let start = Number.MIN_SAFE_INTEGER;
  for (const [a, b] of sorted) {
    if (a > start) out.push([start, Math.min(a, cut)]);
    start = Math.max(start, b);
    if (start >= cut) break;
  }
  if (start < cut) out.push([start, cut]);
  return out.filter(([a, b]) => a < b);
}

export interface RetentionJob {
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
  /** Runs one pass now (also what the timer does). */
  runOnce(): Promise<RetentionResult>;
}

/**
 * Applies retention a minute after start and then every interval; a failed pass is reported and retried
 * next time. Not at once: a start (or a restart loop) should not begin with a purge.
 */
export function startRetentionJob(
  store: TelemetryStore,
  opts: {
    intervalMs?: number;
    firstRunMs?: number;
    /** The policy as of now (profiles and per-device settings change at run time); default the store's. */
    policy?: () => Promise<RetentionPolicy>;
    onError?: (err: Error) => void;
    onDone?: (r: RetentionResult) => void;
    /** false: passes only when asked (runOnce), no timers. */
    timed?: boolean;
  } = {},
): RetentionJob {
  let running: Promise<RetentionResult> | null = null;
  let stopped = false;
  // Reported here, not in tick: a pass run on demand is counted and logged like a timed one.
  const pass = async () => {
    const r = await store.applyRetention(Date.now(), opts.policy ? await opts.policy() : undefined);
    opts.onDone?.(r);
    return r;
  };
  const runOnce = () =>
    (running ??= pass().finally(() => {
      running = null;
    }));
  const tick = () => {
    if (stopped) return;
    runOnce().catch((err: Error) => opts.onError?.(err));
  };
  const timed = opts.timed ?? true;
  const timer = timed ? setInterval(tick, opts.intervalMs ?? HOUR / 4) : undefined;
  timer?.unref();
  const first = timed ? setTimeout(tick, opts.firstRunMs ?? 60_000) : undefined;
  first?.unref();
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(first);
    await running?.catch(() => undefined);
  };
  return { stop, runOnce };
}

/** Nothing deleted silently: each pass counted per tier, and each device that lost rows logged with its cutoff. */
export function logRetentionPass(
  r: RetentionResult,
  metrics: { retentionPruned: { inc(labels: { tier: string }, n: number): void } },
  logger: { info(obj: object, msg: string): void },
): void {
  if (r.raw) metrics.retentionPruned.inc({ tier: 'raw' }, r.raw);
  if (r.minute) metrics.retentionPruned.inc({ tier: '1m' }, r.minute);
  if (r.hour) metrics.retentionPruned.inc({ tier: '1h' }, r.hour);
  for (const d of r.devices ?? []) {
    logger.info({ device: d.device, rawCutoff: new Date(d.rawCutoff).toISOString(), raw: d.raw, minute: d.minute, hour: d.hour }, 'retention pruned');
  }
}
