import type { SeriesStats } from './store.js';
import { percentileCont } from './buckets.js';

/**
 * Statistics of values sorted ascending. Mean and spread are computed on values divided by the
 * largest magnitude (Welford's update), so no intermediate overflows: squaring 1e155 does.
 */
export function statsOf(sorted: number[]): SeriesStats {
  const n = sorted.length;
  if (!n) return { count: 0, min: null, max: null, avg: null, stddev: null, p50: null, p95: null, p99: null };
  const scale = Math.max(Math.abs(sorted[0]), Math.abs(sorted[n - 1]));
  let mean = 0;
  let m2 = 0;
  let sum = 0;
  if (scale > 0) {
    for (let i = 0; i < n; i++) {
      sum += sorted[i];
      const x = sorted[i] / scale;
      const d = x - mean;
      mean += d / (i + 1);
      m2 += d * (x - mean);
    }
  }
  return {
    count: n,
    min: sorted[0],
    max: sorted[n - 1],
    // The plain sum is exact more often (49.5, not 49.499999999999964); the scaled mean when it overflowed.
    avg: Number.isFinite(sum) ? sum / n : mean * scale,
    stddev: n > 1 ? Math.sqrt(m2 / (n - 1)) * scale : null,
    p50: percentileCont(sorted, 0.5),
    p95: percentileCont(sorted, 0.95),
    p99: percentileCont(sorted, 0.99),
  };
}

/**
 * Statistics from rollup sums: exact except percentiles, which rollups cannot give. Sums of
 * squares stay finite for values within the ingest limit (MAX_ABS_VALUE); a sum that overflowed
 * anyway (rows stored before the limit) gives no stddev rather than NaN.
 */
export function statsFromSums(r: { min: number | null; max: number | null; sum: number; sumSq: number; count: number }): SeriesStats {
  const n = Number(r.count);
  if (!n) return statsOf([]);
  const avg = r.sum / n;
  const variance = n > 1 ? Math.max(0, (r.sumSq - r.sum * avg) / (n - 1)) : null;
  const stddev = variance === null || !Number.isFinite(variance) ? null : Math.sqrt(variance);
  return { count: n, min: r.min, max: r.max, avg: Number.isFinite(avg) ? avg : null, stddev, p50: null, p95: null, p99: null };
}
