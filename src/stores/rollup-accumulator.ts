import { HOUR, MINUTE } from './zoned-time.js';

/** One rollup bucket's contribution from a batch: merged into the stored row by an upsert. */
export interface RollupDelta {
  series: number;
  bucket: number;
  min: number;
  max: number;
  sum: number;
  sumSq: number;
  count: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
}

/**
 * Collects the readings a write actually inserted (duplicates never reach it) into per-bucket
 * deltas for the 1-minute and 1-hour rollups, so late and imported data land in the right buckets.
 */
export class RollupAccumulator {
  readonly minute = new Map<string, RollupDelta>();
  readonly hour = new Map<string, RollupDelta>();

  /** The bucket each series last folded into: consecutive readings of a series mostly share it, and a numeric lookup beats building a key. */
  private readonly lastMinute = new Map<number, RollupDelta>();
  private readonly lastHour = new Map<number, RollupDelta>();

  add(series: number, ts: number, value: number): void {
    const m = ts - (((ts % MINUTE) + MINUTE) % MINUTE);
    const lm = this.lastMinute.get(series);
    if (lm && lm.bucket === m) merge(lm, ts, value);
    else this.lastMinute.set(series, fold(this.minute, series, m, ts, value));
    const h = ts - (((ts % HOUR) + HOUR) % HOUR);
    const lh = this.lastHour.get(series);
    if (lh && lh.bucket === h) merge(lh, ts, value);
    else this.lastHour.set(series, fold(this.hour, series, h, ts, value));
  }

  get size(): number {
    return this.minute.size;
  }
}

function fold(map: Map<string, RollupDelta>, series: number, bucket: number, ts: number, value: number): RollupDelta {
  const key = series + ':' + bucket;
  const d = map.get(key);
  if (!d) {
    const fresh = { series, bucket, min: value, max: value, sum: value, sumSq: value * value, count: 1, firstTs: ts, first: value, lastTs: ts, last: value };
    map.set(key, fresh);
    return fresh;
  }
  merge(d, ts, value);
  return d;
}

function merge(d: RollupDelta, ts: number, value: number): void {
  if (value < d.min) d.min = value;
  if (value > d.max) d.max = value;
  d.sum += value;
  d.sumSq += value * value;
  d.count++;
  if (ts < d.firstTs) {
    d.firstTs = ts;
    d.first = value;
  }
  if (ts > d.lastTs) {
    d.lastTs = ts;
    d.last = value;
  }
}
