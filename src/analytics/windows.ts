/**
 * Time-bucketed rolling windows: a fixed ring of buckets per series, so memory stays bounded
 * however long a series runs and however fast it arrives.
 *
 * Window definition (the tests compute the same thing from raw points): at time `t` (the newest
 * reading's ts) a window of `n` buckets of width `w` holds the readings whose bucket index
 * floor(ts / w) is in (floor(t / w) - n, floor(t / w)]: the current partial bucket plus the
 * n - 1 before it. A reading older than the window is ignored.
 *
 * Each bucket keeps count, mean and M2 (Welford); buckets are merged with Chan et al.'s parallel
 * formula, which stays accurate where a naive sum / sum-of-squares would cancel.
 */
import { cellPool } from './cell-pool.js';

export interface Moments {
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
}

export const emptyMoments = (): Moments => ({ count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity });

export function mergeMoments(a: Moments, b: Moments): Moments {
  if (!b.count) return a;
  if (!a.count) return { ...b };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** What a ring keeps per bucket beyond count and mean; a window reports NaN for what is not kept. */
export interface RingFields {
  /** M2, for the spread (stddev, z-score). Default true. */
  spread?: boolean;
  /** Min and max. Default true. */
  range?: boolean;
  /**
   * Start with room for a few buckets and grow to the full ring only when the series fills them:
   * a device reporting every 10 s uses 6 of 60 one-second buckets. Default false.
   */
  sparse?: boolean;
  /**
   * Dense rings without min/max: keep count and M2 only for the buckets that hold more than one
   * reading (count 1 and M2 0 for the others; an empty bucket's mean is NaN) until more than a few
   * do. A series at one reading per bucket width (a device every 10 s on the 10 s ring) then stores
   * one number per bucket instead of three: the same figures, two thirds less memory. Default false.
   */
  compactSpread?: boolean;
}

/** Cached window tails per ring: one per window length asked for (live stats ask for at most three). */
const TAILS = 3;
/** A cached tail's cells: window length (0: unused), end bucket, then count, mean, M2, min, max. */
const TAIL_CELLS = 7;
/** Buckets a sparse ring has room for at first. */
const SPARSE_START = 8;
/**
 * Readings in one bucket before a ring caches its window tails. A series slower than the bucket
 * width moves the window's end with every reading, so a cache would be rebuilt each time: with
 * 100,000 devices at one reading per 10 s it was 1.2 KiB per device of arrays never read back.
 */
const CACHE_AFTER = 4;
/** Buckets with their own count and M2 a compact ring keeps aside before it turns to a column of each. */
const SIDE_M2 = 16;
/** A side entry: bucket, count, M2. */
const SIDE = 3;
/** Moments merged before the newest bucket when a ring has no cache (one thread, used at once). */
const scratch = new Float64Array(5);
/** A window's merged moments, before they are copied out (one thread, used at once). */
const result = new Float64Array(5);

export class BucketRing {
  /**
   * Every bucket's figures in one array: count, mean, then M2 and min, max when kept. One
   * allocation per ring instead of one per figure: with tens of thousands of series the
   * per-object overhead and the unused figures were most of the process's memory.
   *
   * Dense: `stride` numbers per bucket at slot b mod size; a slot holds bucket b exactly when
   * head - size < b <= head. Sparse: `used` entries of [bucket, ...figures], ascending by bucket.
   */
  private cells: Float64Array;
  /** Cached tails (TAILS x TAIL_CELLS), once a bucket has held CACHE_AFTER readings; null before. */
  private tails: Float64Array | null = null;
  private stride: number;
  private m2At: number;
  private readonly minAt: number;
  private readonly spread: boolean;
  /** Compact spread: [bucket, count, M2] of the buckets holding two readings or more, ascending; null when none yet or not compact. */
  private sideM2: Float64Array | null = null;
  private sideUsed = 0;
  private compact: boolean;
  private nextEvict = 0;
  private sparse: boolean;
  private used = 0;
  /** Bucket index of the newest reading so far. */
  private head = -Infinity;

  constructor(
    readonly widthMs: number,
    readonly size: number,
    fields: RingFields = {},
  ) {
    const spread = fields.spread ?? true;
    const range = fields.range ?? true;
    // Sparse only while it is smaller: past half the ring, dense is as cheap and simpler.
    this.sparse = (fields.sparse ?? false) && SPARSE_START * 2 <= size;
    this.spread = spread;
    this.compact = spread && !range && !this.sparse && (fields.compactSpread ?? false);
    this.m2At = spread && !this.compact ? 2 : -1;
    this.minAt = range ? (spread ? 3 : 2) : -1;
    // Compact: the mean alone (NaN: empty); the count of a bucket holding several readings is aside.
    this.stride = this.compact ? 1 : 2 + (this.m2At > 0 ? 1 : 0) + (range ? 2 : 0);
    this.cells = cellPool.take(this.sparse ? SPARSE_START * (this.stride + 1) : size * this.stride);
    if (this.compact) this.cells.fill(NaN);
  }

  /** Bytes of figures this ring holds (its arrays' contents), for memory accounting. */
  get bytes(): number {
    return this.cells.byteLength + (this.tails?.byteLength ?? 0) + (this.sideM2?.byteLength ?? 0);
  }

  /** The ring is no longer used: its arrays go back to the pool (the ring must not be used after). */
  release(): void {
    cellPool.give(this.cells);
    if (this.tails) cellPool.give(this.tails);
    if (this.sideM2) cellPool.give(this.sideM2);
    this.cells = new Float64Array(0);
    this.tails = null;
    this.sideM2 = null;
    this.sideUsed = 0;
    this.used = 0;
    this.sparse = false;
    this.head = -Infinity;
  }

  private slot(b: number): number {
    return (((b % this.size) + this.size) % this.size) * this.stride;
  }

  add(ts: number, value: number): void {
    const b = Math.floor(ts / this.widthMs);
    if (b > this.head) {
      // Buckets now out of the ring: dense slots the head moves over are emptied (count 0), sparse entries dropped.
      if (this.sparse) this.dropBefore(b - this.size + 1);
      else if (this.head !== -Infinity)
        for (let k = this.head + 1; k <= Math.min(b, this.head + this.size); k++) this.cells[this.slot(k)] = this.compact ? NaN : 0;
      this.head = b;
      if (this.sideUsed) this.dropSideBefore(b - this.size + 1);
    }
    if (b <= this.head - this.size) return; // older than the ring holds
    /*
     * Merged buckets before a window's last one are cached per window length. A series at hundreds
     * of readings per second asks for the same windows on every reading while only the last bucket
     * changes, so the other buckets are merged once per bucket width instead of once per reading.
     * A cached tail holds buckets before its end: one of them changing makes it stale.
     */
    const tc = this.tails;
    if (tc) for (let k = 0; k < tc.length; k += TAIL_CELLS) if (tc[k + 1] > b) tc[k] = 0;
    if (this.compact) return this.addCompact(b, value);
    const i = this.sparse ? this.entry(b) : this.slot(b);
    const c = this.cells;
    const n = ++c[i];
    if (n === CACHE_AFTER && !tc) this.tails = cellPool.take(TAILS * TAIL_CELLS);
    if (n === 1) {
      c[i + 1] = value;
      if (this.m2At > 0) c[i + this.m2At] = 0;
      if (this.minAt > 0) c[i + this.minAt] = c[i + this.minAt + 1] = value;
      return;
    }
    const delta = value - c[i + 1];
    c[i + 1] += delta / n;
    if (this.m2At > 0) c[i + this.m2At] += delta * (value - c[i + 1]);
    if (this.minAt > 0) {
      if (value < c[i + this.minAt]) c[i + this.minAt] = value;
      if (value > c[i + this.minAt + 1]) c[i + this.minAt + 1] = value;
    }
  }

  /** Compact spread: a reading into bucket b (the same Welford steps as a full ring, in the same order). */
  private addCompact(b: number, value: number): void {
    const c = this.cells;
    const i = this.slot(b);
    if (Number.isNaN(c[i])) {
      c[i] = value;
      return;
    }
    const k = this.sideAt(b);
    const n = (k < 0 ? 1 : this.sideM2![k + 1]) + 1;
    if (n === CACHE_AFTER && !this.tails) this.tails = cellPool.take(TAILS * TAIL_CELLS);
    const delta = value - c[i];
    c[i] += delta / n;
    const d = delta * (value - c[i]);
    if (k >= 0) {
      this.sideM2![k + 1] = n;
      this.sideM2![k + 2] += d;
      return;
    }
    this.addSide(b, d);
  }

  /** Compact spread: where bucket b's side entry starts, or -1 (it holds one reading, or none). */
  private sideAt(b: number): number {
    const m = this.sideM2;
    for (let k = 0; m && k < this.sideUsed; k++) if (m[k * SIDE] === b) return k * SIDE;
    return -1;
  }

  /** Compact spread: bucket b now holds two readings: [b, 2, M2] aside (or a column of each when too many are). */
  private addSide(b: number, d: number): void {
    let m = this.sideM2;
    const used = this.sideUsed;
    if (used === SIDE_M2) {
      this.toColumn();
      const i = this.slot(b);
      this.cells[i] = 2;
      this.cells[i + 2] = d;
      return;
    }
    let k = used;
    if (m) while (k > 0 && m[(k - 1) * SIDE] > b) k--;
    if (!m || used * SIDE === m.length) {
      const next = cellPool.take(Math.min(SIDE_M2, Math.max(2, used * 2)) * SIDE);
      if (m) {
        next.set(m);
        cellPool.give(m);
      }
      this.sideM2 = m = next;
    }
    m.copyWithin((k + 1) * SIDE, k * SIDE, used * SIDE);
    m[k * SIDE] = b;
    m[k * SIDE + 1] = 2;
    m[k * SIDE + 2] = d;
    this.sideUsed++;
  }

  private dropSideBefore(low: number): void {
    const m = this.sideM2!;
    let k = 0;
    while (k < this.sideUsed && m[k * SIDE] < low) k++;
    if (!k) return;
    m.copyWithin(0, k * SIDE, this.sideUsed * SIDE);
    this.sideUsed -= k;
  }

  /** Compact spread no more: many buckets hold several readings, so each gets its count and M2 in the ring. */
  private toColumn(): void {
    const old = this.cells;
    this.compact = false;
    this.m2At = 2;
    this.stride = 3;
    this.cells = cellPool.take(this.size * this.stride);
    for (let slot = 0; slot < this.size; slot++) {
      const mean = old[slot];
      if (Number.isNaN(mean)) continue;
      this.cells[slot * 3] = 1;
      this.cells[slot * 3 + 1] = mean;
    }
    const m = this.sideM2!;
    for (let k = 0; k < this.sideUsed; k++) {
      const i = this.slot(m[k * SIDE]);
      this.cells[i] = m[k * SIDE + 1];
      this.cells[i + 2] = m[k * SIDE + 2];
    }
    cellPool.give(old);
    cellPool.give(m);
    this.sideM2 = null;
    this.sideUsed = 0;
  }

  /** Sparse: drops entries of buckets below `low`. */
  private dropBefore(low: number): void {
    const e = this.stride + 1;
    let k = 0;
    while (k < this.used && this.cells[k * e] < low) k++;
    if (!k) return;
    this.cells.copyWithin(0, k * e, this.used * e);
    this.used -= k;
  }

  /** Sparse: where bucket b's figures start (its count), adding an empty entry if needed; may turn the ring dense. */
  private entry(b: number): number {
    const e = this.stride + 1;
    let k = this.used;
    while (k > 0 && this.cells[(k - 1) * e] > b) k--;
    if (k > 0 && this.cells[(k - 1) * e] === b) return (k - 1) * e + 1;
    if (this.used * e === this.cells.length) {
      if (this.used * 2 * 2 > this.size) {
        this.toDense();
        return this.slot(b);
      }
      const next = cellPool.take(this.used * 2 * e);
      next.set(this.cells);
      cellPool.give(this.cells);
      this.cells = next;
    }
    const c = this.cells;
    c.copyWithin((k + 1) * e, k * e, this.used * e);
    c.fill(0, k * e, (k + 1) * e);
    c[k * e] = b;
    this.used++;
    return k * e + 1;
  }

  private toDense(): void {
    const e = this.stride + 1;
    const old = this.cells;
    this.sparse = false;
    this.cells = cellPool.take(this.size * this.stride);
    for (let k = 0; k < this.used; k++) this.cells.set(old.subarray(k * e + 1, (k + 1) * e), this.slot(old[k * e]));
    cellPool.give(old);
    this.used = 0;
  }

  /**
   * Moments of the last `n` buckets (n <= size) ending at the bucket holding `t`. With `out`, written
   * there and returned (live stats ask four windows per reading: four objects per reading were garbage).
   */
  window(t: number, n = this.size, out?: Moments): Moments {
    const end = Math.floor(t / this.widthMs);
    const len = Math.min(n, this.size);
    const c = this.tails;
    if (!c) {
      this.merge(end - len + 1, end - 1, null, 0, scratch, 0);
      this.merge(end, end, scratch, 0, result, 0);
      return this.moments(out);
    }
    let tail = -1;
    let free = -1;
    for (let k = 0; k < c.length; k += TAIL_CELLS) {
      if (c[k] === len) {
        tail = k;
        break;
      }
      if (free < 0 && c[k] === 0) free = k;
    }
    if (tail < 0 || c[tail + 1] !== end) {
      if (tail < 0) tail = free >= 0 ? free : (this.nextEvict++ % TAILS) * TAIL_CELLS;
      this.merge(end - len + 1, end - 1, null, 0, c, tail + 2);
      c[tail] = len;
      c[tail + 1] = end;
    }
    this.merge(end, end, c, tail + 2, result, 0);
    return this.moments(out);
  }

  /** The merged `result` as moments; what the ring does not keep is reported as unknown, never as a plausible 0. */
  private moments(out: Moments | undefined): Moments {
    const m = out ?? emptyMoments();
    m.count = result[0];
    m.mean = result[1];
    m.m2 = this.spread ? result[2] : NaN;
    m.min = this.minAt > 0 ? result[3] : NaN;
    m.max = this.minAt > 0 ? result[4] : NaN;
    return m;
  }

  /**
   * Buckets first..last (bucket indices) merged with Chan et al.'s formula, starting from the
   * moments at `from[fromAt]` (or none: null); written to `into[intoAt]`.
   */
  private merge(first: number, last: number, from: Float64Array | null, fromAt: number, into: Float64Array, intoAt: number): void {
    const cells = this.cells;
    let count = 0;
    let mean = 0;
    let m2 = 0;
    let min = Infinity;
    let max = -Infinity;
    if (from) {
      count = from[fromAt];
      mean = from[fromAt + 1];
      m2 = from[fromAt + 2];
      min = from[fromAt + 3];
      max = from[fromAt + 4];
    }
    const m2At = this.m2At;
    const minAt = this.minAt;
    const e = this.stride + 1;
    const top = Math.min(last, this.head);
    const low = Math.max(first, this.head - this.size + 1);
    // Newest bucket first, as the dense ring always did, so both give the very same sums.
    for (let b = top, k = this.used - 1; b >= low; b--) {
      let i: number;
      if (this.sparse) {
        while (k >= 0 && cells[k * e] > b) k--;
        if (k < 0) break;
        b = cells[k * e];
        if (b < low) break;
        i = k * e + 1;
      } else i = this.slot(b);
      let c: number;
      let bm2: number;
      let bmean: number;
      if (this.compact) {
        bmean = cells[i];
        if (Number.isNaN(bmean)) continue;
        const k = this.sideUsed ? this.sideAt(b) : -1;
        c = k < 0 ? 1 : this.sideM2![k + 1];
        bm2 = k < 0 ? 0 : this.sideM2![k + 2];
      } else {
        c = cells[i];
        if (!c) continue;
        bmean = cells[i + 1];
        bm2 = m2At > 0 ? cells[i + m2At] : 0;
      }
      const total = count + c;
      const delta = bmean - mean;
      m2 += bm2 + (delta * delta * count * c) / total;
      mean += (delta * c) / total;
      count = total;
      if (minAt > 0) {
        if (cells[i + minAt] < min) min = cells[i + minAt];
        if (cells[i + minAt + 1] > max) max = cells[i + minAt + 1];
      }
    }
    into[intoAt] = count;
    into[intoAt + 1] = mean;
    into[intoAt + 2] = m2;
    into[intoAt + 3] = min;
    into[intoAt + 4] = max;
  }
}

export function stddev(m: Moments): number {
  return m.count > 1 ? Math.sqrt(m.m2 / (m.count - 1)) : 0;
}
