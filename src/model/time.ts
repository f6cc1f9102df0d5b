/**
 * Reading times are epoch milliseconds (a JS number) that may carry a fraction down to the
 * microsecond: a 2 kHz sensor samples every 0.5 ms. Epoch µs (about 1.7e15) stays below 2^53, so a
 * time kept as a whole number of µs is exact, and its ms form (µs / 1000) is the double nearest to
 * it, which turns back into the same µs by rounding. Stores keep whole ms and the µs within it
 * (wholeMs, microsWithinMs), so partitions, rollup buckets and retention stay in whole milliseconds.
 */

/** µs per ms. */
export const US_PER_MS = 1000;

/** A time in ms rounded to the nearest microsecond (the finest time a reading keeps). */
export function toMicrosecond(ms: number): number {
  return Math.round(ms * US_PER_MS) / US_PER_MS;
}

/** Whole epoch microseconds of a time in ms. */
export function msToMicros(ms: number): number {
  return Math.round(ms * US_PER_MS);
}

/** A time in whole epoch microseconds, as ms. */
export function microsToMs(us: number): number {
  return us / US_PER_MS;
}

/** The whole millisecond a time falls in (floor, after rounding to the µs): a store's ts column. */
export function wholeMs(ts: number): number {
  return Math.floor(Math.round(ts * US_PER_MS) / US_PER_MS);
}

/** The microsecond within that millisecond (0-999): a store's us column. */
export function microsWithinMs(ts: number): number {
  const total = Math.round(ts * US_PER_MS);
  return total - Math.floor(total / US_PER_MS) * US_PER_MS;
}
