import { stddev, type Moments } from './windows.js';

/** Fewer samples than this in the window and a z-score means nothing; it is reported as null. */
export const MIN_Z_SAMPLES = 10;

/**
 * z-score of `value` against the window's moments taken *before* `value` was added, so a spike
 * does not inflate the spread it is measured against.
 */
export function zScore(value: number, window: Moments): number | null {
  if (window.count < MIN_Z_SAMPLES) return null;
  const sd = stddev(window);
  if (!(sd > 0)) return null;
  return (value - window.mean) / sd;
}

/** L2 norm of the named values; null when one of them is unknown. */
export function l2Norm(values: Record<string, number | undefined>, metrics: readonly string[]): number | null {
  if (!metrics.length) return null;
  let sum = 0;
  for (const m of metrics) {
    const v = values[m];
    if (v === undefined || !Number.isFinite(v)) return null;
    sum += v * v;
  }
  return Math.sqrt(sum);
}

/** Units per second between two readings; null unless time moved forward. */
export function rateOfChange(prevTs: number | null, prevValue: number | null, ts: number, value: number): number | null {
  if (prevTs === null || prevValue === null || ts <= prevTs) return null;
  return ((value - prevValue) * 1000) / (ts - prevTs);
}
