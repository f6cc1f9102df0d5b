import type { RetentionPolicy, RetentionResult, TelemetryStore } from './store.js';
import { DAY, HOUR } from './zoned-time.js';

export const defaultRetention: RetentionPolicy = { rawMs: 2 * DAY, minuteMs: 30 * DAY, hourMs: 730 * DAY };

/** The policy that applies to devices of a profile (null: no profile). */
export function retentionFor(policy: RetentionPolicy, profile: string | null): { rawMs: number; minuteMs: number; hourMs: number } {
  const o = (profile !== null && policy.byProfile?.[profile]) || {};
  return { rawMs: o.rawMs ?? policy.rawMs, minuteMs: o.minuteMs ?? policy.minuteMs, hourMs: o.hourMs ?? policy.hourMs };
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
  opts: { intervalMs?: number; firstRunMs?: number; onError?: (err: Error) => void; onDone?: (r: RetentionResult) => void } = {},
): RetentionJob {
  let running: Promise<RetentionResult> | null = null;
  let stopped = false;
  const runOnce = () =>
    (running ??= store.applyRetention().finally(() => {
      running = null;
    }));
  const tick = () => {
    if (stopped) return;
    runOnce().then(opts.onDone, (err: Error) => opts.onError?.(err));
  };
  const timer = setInterval(tick, opts.intervalMs ?? HOUR / 4);
  timer.unref();
  const first = setTimeout(tick, opts.firstRunMs ?? 60_000);
  first.unref();
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(first);
    await running?.catch(() => undefined);
  };
  return { stop, runOnce };
}
