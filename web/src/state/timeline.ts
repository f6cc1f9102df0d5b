import type { SeriesBuffer } from './series-buffer.js';
import type { BucketPage, BucketSeries } from '../../../src/model/telemetry.js';

/** Downsampled history as the telemetry API returns it with `points=N`. */
export type { BucketSeries };

/** A page of buckets (bucketMs 0 or less: every point stands alone, raw readings), whichever device it is of. */
export type HistoryPage = Omit<BucketPage, 'device'>;

/**
 * What the chart draws: x (epoch ms) and, per metric, the line (avg) plus the low/high envelope of
 * each bucket (equal to the line for raw points). null where a metric has no value at that x.
 */
export interface MergedColumns {
  x: number[];
  avg: (number | null)[][];
  min: (number | null)[][];
  max: (number | null)[][];
  /** Where history ends and live data begins (NaN when one of them is absent). */
  seam: number;
}

/** The bucket a timestamp falls in, on the same grid as the server's (multiples of bucketMs). */
export function bucketStart(ts: number, bucketMs: number): number {
  return bucketMs > 0 ? Math.floor(ts / bucketMs) * bucketMs : ts;
}

/**
 * One chart out of stored history and the live buffer, so live and history are one line:
 *  - the live buffer wins from the first bucket it fully covers (the "seam"); history buckets
 *    from the seam on are dropped, history before it is kept;
 *  - live rows are folded into buckets of the history's width (min/max/avg), so the right edge has
 *    the same resolution as the rest of the chart; at raw resolution they pass through as is;
 *  - only x within [from, to] is kept.
 * With no history (the 60 s view) it is the live buffer alone.
 */
export function mergeHistoryAndLive(
  history: HistoryPage | null,
  live: SeriesBuffer | null,
  metrics: string[],
  range: { from: number; to: number },
): MergedColumns {
  const bucketMs = history && history.bucketMs > 0 ? history.bucketMs : 0;
  const liveFirst = live && live.length ? live.firstTs()! : NaN;
  // A bucket the live buffer only partly covers would be drawn too low/high from live alone:
  // history keeps it and live starts at the next bucket boundary.
  let seam = NaN;
  if (history && !Number.isNaN(liveFirst)) {
    seam = bucketMs > 0 ? Math.ceil(liveFirst / bucketMs) * bucketMs : liveFirst;
    // History that stops short of the live buffer: keep all of it, live fills from its own start.
    if (history.to < liveFirst) seam = Math.max(liveFirst, lastHistoryTs(history) + 1);
  }

  const xs: number[] = [];
  const cols = metrics.map(() => ({ avg: [] as (number | null)[], min: [] as (number | null)[], max: [] as (number | null)[] }));

  if (history) {
    // Union of timestamps over metrics (they usually share one grid).
    const at = new Map<number, number>();
    const keys: number[] = [];
    for (const m of metrics) {
      const s = history.series[m];
      if (!s) continue;
      for (const t of s.ts) {
        if (at.has(t)) continue;
        at.set(t, 0);
        keys.push(t);
      }
    }
    keys.sort((a, b) => a - b);
    for (const t of keys) {
      if (t < range.from - bucketMs || t > range.to) continue;
      if (!Number.isNaN(seam) && t >= seam) continue;
      at.set(t, xs.length);
      xs.push(t);
      for (const c of cols) {
        c.avg.push(null);
        c.min.push(null);
        c.max.push(null);
      }
    }
    metrics.forEach((m, k) => {
      const s = history.series[m];
      if (!s) return;
      for (let i = 0; i < s.ts.length; i++) {
        const t = s.ts[i];
        if (t < range.from - bucketMs || t > range.to || (!Number.isNaN(seam) && t >= seam)) continue;
        const j = at.get(t)!;
        cols[k].avg[j] = s.avg[i];
        cols[k].min[j] = s.min[i];
        cols[k].max[j] = s.max[i];
      }
    });
  }

  if (live && live.length) {
    const start = Number.isNaN(seam) ? -Infinity : seam;
    let bucket = NaN;
    const acc = metrics.map(() => ({ sum: 0, n: 0, min: Infinity, max: -Infinity }));
    const flush = () => {
      if (Number.isNaN(bucket)) return;
      xs.push(bucket);
      acc.forEach((a, k) => {
        cols[k].avg.push(a.n ? a.sum / a.n : null);
        cols[k].min.push(a.n ? a.min : null);
        cols[k].max.push(a.n ? a.max : null);
        a.sum = 0;
        a.n = 0;
        a.min = Infinity;
        a.max = -Infinity;
      });
    };
    for (let i = 0; i < live.length; i++) {
      const t = live.tsAt(i);
      if (t < start || t < range.from - bucketMs || t > range.to) continue;
      if (bucketMs <= 0) {
        xs.push(t);
        metrics.forEach((m, k) => {
          const v = live.valueAt(m, i);
          const y = v === undefined ? null : v;
          cols[k].avg.push(y);
          cols[k].min.push(y);
          cols[k].max.push(y);
        });
        continue;
      }
      const b = bucketStart(t, bucketMs);
      if (b !== bucket) {
        flush();
        bucket = b;
      }
      metrics.forEach((m, k) => {
        const v = live.valueAt(m, i);
        if (v === undefined) return;
        const a = acc[k];
        a.sum += v;
        a.n++;
        if (v < a.min) a.min = v;
        if (v > a.max) a.max = v;
      });
    }
    flush();
  }

  return { x: xs, avg: cols.map((c) => c.avg), min: cols.map((c) => c.min), max: cols.map((c) => c.max), seam };
}

function lastHistoryTs(h: HistoryPage): number {
  let last = -Infinity;
  for (const m in h.series) {
    const ts = h.series[m].ts;
    if (ts.length && ts[ts.length - 1] > last) last = ts[ts.length - 1];
  }
  return last;
}

/** Chart views: the live 60 s, or a span back from now that follows live data. */
export const SPANS = [
  { key: '60s', label: '60 s', ms: 60_000 },
  { key: '15m', label: '15 min', ms: 15 * 60_000 },
  { key: '1h', label: '1 h', ms: 3_600_000 },
  { key: '6h', label: '6 h', ms: 6 * 3_600_000 },
  { key: '48h', label: '48 h', ms: 48 * 3_600_000 },
  { key: '30d', label: '30 d', ms: 30 * 86_400_000 },
] as const;

/** The live buffer alone covers this much; wider views add downsampled history. */
export const LIVE_WINDOW_MS = 60_000;

/**
 * A zoom step around `at` (x position, epoch ms): factor < 1 zooms in, > 1 out. The result keeps
 * `at` at the same place on screen, stays at least `minMs` wide and never passes `maxTo`.
 */
export function zoomRange(r: { from: number; to: number }, at: number, factor: number, minMs: number, maxTo: number): { from: number; to: number } {
  const span = Math.max(minMs, (r.to - r.from) * factor);
  const frac = r.to > r.from ? Math.min(1, Math.max(0, (at - r.from) / (r.to - r.from))) : 1;
  let from = at - span * frac;
  let to = from + span;
  if (to > maxTo) {
    to = maxTo;
    from = to - span;
  }
  return { from: Math.round(from), to: Math.round(to) };
}

/** Moves a range by a fraction of its width (negative: back in time), never past `maxTo`. */
export function panRange(r: { from: number; to: number }, fraction: number, maxTo: number): { from: number; to: number } {
  const span = r.to - r.from;
  let to = r.to + span * fraction;
  if (to > maxTo) to = maxTo;
  return { from: Math.round(to - span), to: Math.round(to) };
}
