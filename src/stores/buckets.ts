import type { BucketSeries, Resolution, RetentionPolicy } from './store.js';
import { DAY, HOUR, MINUTE, localBoundaries } from './zoned-time.js';

/** Width of one row of each source: raw readings have none. */
export const sourceWidth: Record<Resolution, number> = { raw: 1, '1m': MINUTE, '1h': HOUR };

const SECOND = 1000;
const ladder = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
];

export interface BucketPlan {
  resolution: Resolution;
  bucketMs: number;
  /** Start of the first bucket and end of the last: every bucket is whole, whichever source serves it. */
  start: number;
  end: number;
  /** Buckets of equal width from start (SQL can group by integer division); otherwise see boundaries. */
  uniform: boolean;
  /** Bucket starts plus the final end; only when not uniform (local days, DST). */
  boundaries: number[];
}

export interface PlanInput {
  from: number;
  to: number;
  points: number;
  tz?: string;
  retention: RetentionPolicy;
  now: number;
}

function boundariesFor(from: number, to: number, width: number, tz: string | undefined): number[] {
  if (!tz || tz === 'UTC' || width < MINUTE) {
    const first = Math.floor(from / width) * width;
    const last = Math.floor(to / width) * width;
    return [first, last + width];
  }
  return localBoundaries(from, to, width, tz);
}

function bucketCount(b: number[], width: number): number {
  return b.length === 2 ? Math.round((b[1] - b[0]) / width) : b.length - 1;
}

/**
 * Chooses the bucket width (a "nice" one giving at most `points` buckets) and the coarsest source
 * whose rows fit whole inside every bucket, limited to sources that still hold data back to `from`.
 */
export function planBuckets(p: PlanInput): BucketPlan {
  const finest: Resolution = p.from >= p.now - p.retention.rawMs ? 'raw' : p.from >= p.now - p.retention.minuteMs ? '1m' : '1h';
  const minWidth = Math.max((p.to - p.from) / Math.max(1, p.points), sourceWidth[finest], SECOND);
  let width = 0;
  let bounds: number[] = [];
  const candidates = [...ladder.filter((w) => w >= minWidth)];
  for (let days = 14; candidates.length < 3; days *= 2) candidates.push(days * DAY);
  for (const w of candidates) {
    const b = boundariesFor(p.from, p.to, w, p.tz);
    width = w;
    bounds = b;
    if (bucketCount(b, w) <= p.points) break;
  }
  // Past the ladder: whole days, as many as it takes.
  while (bucketCount(bounds, width) > p.points) {
    width = Math.ceil((p.to - p.from) / p.points / DAY + 1) * DAY;
    bounds = boundariesFor(p.from, p.to, width, p.tz);
  }
  let uniform = bounds.length === 2;
  if (!uniform) {
    uniform = bounds.every((b, i) => i === 0 || b - bounds[i - 1] === width);
  }
  const start = bounds[0];
  const end = bounds[bounds.length - 1];
  const order: Resolution[] = ['1h', '1m', 'raw'];
  const allowed = order.slice(0, order.indexOf(finest) + 1);
  const aligned = (g: number) => (uniform ? start % g === 0 && width % g === 0 : bounds.every((b) => b % g === 0));
  const resolution = allowed.find((r) => r === 'raw' || aligned(sourceWidth[r])) ?? 'raw';
  return { resolution, bucketMs: width, start, end, uniform, boundaries: uniform ? [] : bounds };
}

/** One aggregated row from a source, keyed by its time (a reading's ts or a rollup's bucket start). */
export interface PartialRow {
  t: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

export function emptyBuckets(): BucketSeries {
  return { ts: [], min: [], max: [], avg: [], count: [] };
}

/** Rows already grouped by bucket index (uniform plans), ascending. */
export function fromGrouped(rows: { b: number; min: number; max: number; sum: number; count: number }[], plan: BucketPlan): BucketSeries {
  const out = emptyBuckets();
  for (const r of rows) {
    out.ts.push(plan.start + r.b * plan.bucketMs);
    out.min.push(r.min);
    out.max.push(r.max);
    out.avg.push(r.sum / r.count);
    out.count.push(r.count);
  }
  return out;
}

/** Folds source rows (ascending by t) into the plan's uneven buckets; empty buckets are left out. */
export function mergeIntoBuckets(rows: PartialRow[], plan: BucketPlan): BucketSeries {
  const out = emptyBuckets();
  const b = plan.boundaries;
  let i = 0;
  let cur: PartialRow | null = null;
  const flush = () => {
    if (!cur) return;
    out.ts.push(b[i]);
    out.min.push(cur.min);
    out.max.push(cur.max);
    out.avg.push(cur.sum / cur.count);
    out.count.push(cur.count);
    cur = null;
  };
  for (const r of rows) {
    while (i < b.length - 2 && r.t >= b[i + 1]) {
      flush();
      i++;
    }
    if (!cur) cur = { ...r };
    else {
      if (r.min < cur.min) cur.min = r.min;
      if (r.max > cur.max) cur.max = r.max;
      cur.sum += r.sum;
      cur.count += r.count;
    }
  }
  flush();
  return out;
}

/** Percentile with linear interpolation between closest ranks, as PostgreSQL's percentile_cont. */
export function percentileCont(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (!n) return null;
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
