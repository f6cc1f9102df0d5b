import type { SeriesStats } from './store.js';
import { percentileCont } from './buckets.js';

/** Statistics of values sorted ascending. */
export function statsOf(sorted: number[]): SeriesStats {
  const n = sorted.length;
  if (!n) return { count: 0, min: null, max: null, avg: null, stddev: null, p50: null, p95: null, p99: null };
  let sum = 0;
  for (const v of sorted) sum += v;
  const avg = sum / n;
  let ss = 0;
  for (const v of sorted) ss += (v - avg) * (v - avg);
  return {
    count: n,
    min: sorted[0],
    max: sorted[n - 1],
    avg,
    stddev: n > 1 ? Math.sqrt(ss / (n - 1)) : null,
    p50: percentileCont(sorted, 0.5),
    p95: percentileCont(sorted, 0.95),
    p99: percentileCont(sorted, 0.99),
  };
}

/** Statistics from rollup sums: exact except percentiles, which rollups cannot give. */
export function statsFromSums(r: { min: number | null; max: number | null; sum: number; sumSq: number; count: number }): SeriesStats {
  const n = r.count;
  if (!n) return statsOf([]);
  const avg = r.sum / n;
  const variance = n > 1 ? Math.max(0, (r.sumSq - (r.sum * r.sum) / n) / (n - 1)) : null;
  return { count: n, min: r.min, max: r.max, avg, stddev: variance === null ? null : Math.sqrt(variance), p50: null, p95: null, p99: null };
}
