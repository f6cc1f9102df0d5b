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
}

/** Cached window tails per ring: one per window length asked for (live stats ask for at most three). */
const TAILS = 3;
/** A cached tail's cells: window length (0: unused), end bucket, then count, mean, M2, min, max. */
const TAIL_CELLS = 7;
/** Buckets a sparse ring has room for at first. */
const SPARSE_START = 8;

export class BucketRing {
  /**
   * Every bucket's figures in one array: count, mean, then M2 and min, max when kept; then the
   * cached tails. One allocation per ring instead of one per figure and objects per cached tail:
   * with tens of thousands of series the per-object overhead and the unused figures were most of
   * the process's memory.
   *
   * Dense: `stride` numbers per bucket at slot b mod size; a slot holds bucket b exactly when
   * head - size < b <= head. Sparse: `used` entries of [bucket, ...figures], ascending by bucket.
   */
  private cells: Float64Array;
  private readonly stride: number;
  private readonly m2At: number;
  private readonly minAt: number;
  /** Where the cached tails start in `cells`. */
  private tailsAt: number;
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
    this.m2At = spread ? 2 : -1;
    this.minAt = range ? (spread ? 3 : 2) : -1;
    this.stride = 2 + (spread ? 1 : 0) + (range ? 2 : 0);
    // Sparse only while it is smaller: past half the ring, dense is as cheap and simpler.
    this.sparse = (fields.sparse ?? false) && SPARSE_START * 2 <= size;
    this.tailsAt = this.sparse ? SPARSE_START * (this.stride + 1) : size * this.stride;
    this.cells = new Float64Array(this.tailsAt + TAILS * TAIL_CELLS);
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
    }
    if (b <= this.head - this.size) return; // older than the ring holds
    /*
     * Merged buckets before a window's last one are cached per window length. A series at hundreds
     * of readings per second asks for the same windows on every reading while only the last bucket
     * changes, so the other buckets are merged once per bucket width instead of once per reading.
     * A cached tail holds buckets before its end: one of them changing makes it stale.
     */
    const tc = this.cells;
    for (let k = this.tailsAt; k < tc.length; k += TAIL_CELLS) if (tc[k + 1] > b) tc[k] = 0;
    const i = this.sparse ? this.entry(b) : this.slot(b);
    const c = this.cells;
    const n = ++c[i];
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
    if (this.used * e === this.tailsAt) {
      if (this.used * 2 * 2 > this.size) {
        this.toDense();
        return this.slot(b);
      }
      this.resize(this.used * 2 * e);
    }
    const c = this.cells;
    c.copyWithin((k + 1) * e, k * e, this.used * e);
    c.fill(0, k * e, (k + 1) * e);
    c[k * e] = b;
    this.used++;
    return k * e + 1;
  }

  /** Sparse: room for more entries; the cached tails move along. */
  private resize(tailsAt: number): void {
    const next = new Float64Array(tailsAt + TAILS * TAIL_CELLS);
    next.set(this.cells.subarray(0, this.used * (this.stride + 1)));
    next.set(this.cells.subarray(this.tailsAt), tailsAt);
    this.cells = next;
    this.tailsAt = tailsAt;
  }

  private toDense(): void {
    const e = this.stride + 1;
    const old = this.cells;
    const oldTails = this.tailsAt;
    this.sparse = false;
    this.tailsAt = this.size * this.stride;
    this.cells = new Float64Array(this.tailsAt + TAILS * TAIL_CELLS);
    for (let k = 0; k < this.used; k++) this.cells.set(old.subarray(k * e + 1, (k + 1) * e), this.slot(old[k * e]));
    this.cells.set(old.subarray(oldTails), this.tailsAt);
    this.used = 0;
  }

  /** Moments of the last `n` buckets (n <= size) ending at the bucket holding `t`. */
  window(t: number, n = this.size): Moments {
    const end = Math.floor(t / this.widthMs);
    const len = Math.min(n, this.size);
    const c = this.cells;
    let tail = -1;
    let free = -1;
    for (let k = this.tailsAt; k < c.length; k += TAIL_CELLS) {
      if (c[k] === len) {
        tail = k;
        break;
      }
      if (free < 0 && c[k] === 0) free = k;
    }
    if (tail < 0 || c[tail + 1] !== end) {
      if (tail < 0) tail = free >= 0 ? free : this.tailsAt + (this.nextEvict++ % TAILS) * TAIL_CELLS;
      this.merge(end - len + 1, end - 1, -1, tail + 2);
      c[tail] = len;
      c[tail + 1] = end;
    }
    return this.merge(end, end, tail + 2, -1)!;
  }

  /**
   * Buckets first..last (bucket indices) merged with Chan et al.'s formula, starting from the
   * moments at `from` in `cells` (or none: -1); written to `into` in `cells`, or returned.
   */
  private merge(first: number, last: number, from: number, into: number): Moments | undefined {
    const cells = this.cells;
    let count = 0;
    let mean = 0;
    let m2 = 0;
    let min = Infinity;
    let max = -Infinity;
    if (from >= 0) {
      count = cells[from];
      mean = cells[from + 1];
      m2 = cells[from + 2];
      min = cells[from + 3];
      max = cells[from + 4];
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
      m2 += (m2At > 0 ? cells[i + m2At] : 0) + (delta * delta * count * c) / total;
      mean += (delta * c) / total;
      count = total;
      if (minAt > 0) {
        if (cells[i + minAt] < min) min = cells[i + minAt];
        if (cells[i + minAt + 1] > max) max = cells[i + minAt + 1];
      }
    }
    if (into >= 0) {
      cells[into] = count;
      cells[into + 1] = mean;
      cells[into + 2] = m2;
      cells[into + 3] = min;
      cells[into + 4] = max;
      return undefined;
    }
    // What the ring does not keep is reported as unknown, never as a plausible 0.
    return { count, mean, m2: m2At > 0 ? m2 : NaN, min: minAt > 0 ? min : NaN, max: minAt > 0 ? max : NaN };
  }
}

export function stddev(m: Moments): number {
  return m.count > 1 ? Math.sqrt(m.m2 / (m.count - 1)) : 0;
}
