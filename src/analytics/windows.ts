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

export class BucketRing {
  private readonly index: Float64Array;
  private readonly count: Float64Array;
  private readonly mean: Float64Array;
  private readonly m2: Float64Array;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  /** Bucket index of the newest reading so far. */
  private head = -Infinity;
  /**
   * Merged buckets before a window's last one, per window length. A series at hundreds of readings
   * per second asks for the same windows on every reading while only the last bucket changes, so
   * the other buckets are merged once per bucket width instead of once per reading.
   */
  private readonly tails: { n: number; end: number; m: Moments }[] = [];

  constructor(
    readonly widthMs: number,
    readonly size: number,
  ) {
    this.index = new Float64Array(size).fill(-Infinity);
    this.count = new Float64Array(size);
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
    this.min = new Float64Array(size);
    this.max = new Float64Array(size);
  }

  private slot(b: number): number {
    return ((b % this.size) + this.size) % this.size;
  }

  add(ts: number, value: number): void {
    const b = Math.floor(ts / this.widthMs);
    if (b > this.head) this.head = b;
    if (b <= this.head - this.size) return; // older than the ring holds
    // A cached tail holds buckets before its `end`: one of them changing makes it stale.
    for (let k = this.tails.length - 1; k >= 0; k--) if (this.tails[k].end > b) this.tails.splice(k, 1);
    const i = this.slot(b);
    if (this.index[i] !== b) {
      this.index[i] = b;
      this.count[i] = 0;
      this.mean[i] = 0;
      this.m2[i] = 0;
      this.min[i] = Infinity;
      this.max[i] = -Infinity;
    }
    const n = ++this.count[i];
    const delta = value - this.mean[i];
    this.mean[i] += delta / n;
    this.m2[i] += delta * (value - this.mean[i]);
    if (value < this.min[i]) this.min[i] = value;
    if (value > this.max[i]) this.max[i] = value;
  }

  /** Moments of the last `n` buckets (n <= size) ending at the bucket holding `t`. */
  window(t: number, n = this.size): Moments {
    const end = Math.floor(t / this.widthMs);
    const len = Math.min(n, this.size);
    let tail = this.tails.find((c) => c.n === len && c.end === end);
    if (!tail) {
      tail = { n: len, end, m: this.merge(end - len + 1, end - 1) };
      const old = this.tails.findIndex((c) => c.n === len);
      if (old >= 0) this.tails[old] = tail;
      else this.tails.push(tail);
    }
    return this.merge(end, end, tail.m);
  }

  /** Buckets first..last (bucket indices) merged into `acc` with Chan et al.'s formula; allocates only the result. */
  private merge(first: number, last: number, acc: Moments = EMPTY): Moments {
    let count = acc.count;
    let mean = acc.mean;
    let m2 = acc.m2;
    let min = acc.min;
    let max = acc.max;
    for (let b = last; b >= first; b--) {
      const i = this.slot(b);
      const c = this.count[i];
      if (this.index[i] !== b || !c) continue;
      const total = count + c;
      const delta = this.mean[i] - mean;
      m2 += this.m2[i] + (delta * delta * count * c) / total;
      mean += (delta * c) / total;
      count = total;
      if (this.min[i] < min) min = this.min[i];
      if (this.max[i] > max) max = this.max[i];
    }
    return { count, mean, m2, min, max };
  }
}

const EMPTY: Moments = Object.freeze(emptyMoments());

export function stddev(m: Moments): number {
  return m.count > 1 ? Math.sqrt(m.m2 / (m.count - 1)) : 0;
}
