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
   * Dense rings without min/max: keep M2 only for the buckets that hold more than one reading (its
   * value is 0 for the others) until more than a few do. A series at one reading per bucket width
   * (a device every 10 s on the 10 s ring) then stores two numbers per bucket instead of three: the
   * same figures, a third less memory. Default false.
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
/** Buckets with their own M2 a compact ring keeps aside before it turns to one M2 per bucket. */
const SIDE_M2 = 16;
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
  /** Compact spread: [bucket, M2] of the buckets holding two readings or more, ascending; null when none yet or not compact. */
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
    this.stride = 2 + (this.m2At > 0 ? 1 : 0) + (range ? 2 : 0);
    this.cells = cellPool.take(this.sparse ? SPARSE_START * (this.stride + 1) : size * this.stride);
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
      else if (this.head !== -Infinity) for (let k = this.head + 1; k <= Math.min(b, this.head + this.size); k++) this.cells[this.slot(k)] = 0;
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
    else if (this.compact) this.addSideM2(b, delta * (value - c[i + 1]));
    if (this.minAt > 0) {
      if (value < c[i + this.minAt]) c[i + this.minAt] = value;
      if (value > c[i + this.minAt + 1]) c[i + this.minAt + 1] = value;
    }
  }

  /** Compact spread: adds to bucket b's M2, keeping it aside (or turning to one M2 per bucket when too many are). */
  private addSideM2(b: number, d: number): void {
    let m = this.sideM2;
    const used = this.sideUsed;
    let k = used;
    if (m) while (k > 0 && m[(k - 1) * 2] > b) k--;
    if (m && k > 0 && m[(k - 1) * 2] === b) {
      m[(k - 1) * 2 + 1] += d;
      return;
    }
    if (used === SIDE_M2) {
      this.toColumn();
      this.cells[this.slot(b) + 2] += d;
      return;
    }
    if (!m || used * 2 === m.length) {
      const next = cellPool.take(Math.min(SIDE_M2, Math.max(2, used * 2)) * 2);
      if (m) {
        next.set(m);
        cellPool.give(m);
      }
      this.sideM2 = m = next;
    }
    m.copyWithin((k + 1) * 2, k * 2, used * 2);
    m[k * 2] = b;
    m[k * 2 + 1] = d;
    this.sideUsed++;
  }

  /** Compact spread: bucket b's M2 (0 when it holds one reading: none kept aside). */
  private sideM2Of(b: number): number {
    const m = this.sideM2;
    for (let k = 0; m && k < this.sideUsed; k++) if (m[k * 2] === b) return m[k * 2 + 1];
    return 0;
  }

  private dropSideBefore(low: number): void {
    const m = this.sideM2!;
    let k = 0;
    while (k < this.sideUsed && m[k * 2] < low) k++;
    if (!k) return;
    m.copyWithin(0, k * 2, this.sideUsed * 2);
    this.sideUsed -= k;
  }

  /** Compact spread no more: many buckets hold several readings, so each gets its M2 in the ring. */
  private toColumn(): void {
    const old = this.cells;
    const oldStride = this.stride;
    this.compact = false;
    this.m2At = 2;
    this.stride = oldStride + 1;
    this.cells = cellPool.take(this.size * this.stride);
    for (let slot = 0; slot < this.size; slot++) {
      this.cells[slot * this.stride] = old[slot * oldStride];
      this.cells[slot * this.stride + 1] = old[slot * oldStride + 1];
    }
    const m = this.sideM2!;
    for (let k = 0; k < this.sideUsed; k++) this.cells[this.slot(m[k * 2]) + 2] = m[k * 2 + 1];
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
      const c = cells[i];
      if (!c) continue;
      const total = count + c;
      const delta = cells[i + 1] - mean;
      m2 += (m2At > 0 ? cells[i + m2At] : c > 1 && this.sideUsed ? this.sideM2Of(b) : 0) + (delta * delta * count * c) / total;
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
