import type { RawSeries } from '../../../src/model/telemetry.js';

/** One instant of a device: every metric it reported at `ts`. */
export interface Row {
  ts: number;
  values: Record<string, number>;
}

/** Columns for uPlot: x (epoch ms) then one column per metric, null where a metric has no value. */
export type AlignedColumns = [number[], ...(number | null)[][]];

/**
 * A bounded, time-ordered store of rows for one device, held as a ring of typed-array columns.
 * Memory is fixed by `capacity`: when full, the oldest row makes room. Rows stay sorted by ts;
 * a row whose ts is already present is merged into it (so history and live never duplicate), and
 * a late row is inserted in its place, or dropped if it is older than everything in a full buffer.
 */
export class SeriesBuffer {
  readonly capacity: number;
  private ts: Float64Array;
  private cols = new Map<string, Float64Array>();
  private head = 0;
  private len = 0;
  /** Bumps on every change: a renderer redraws when it differs from what it drew. */
  version = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.ts = new Float64Array(capacity);
  }

  get length(): number {
    return this.len;
  }

  /** Metrics seen so far, in order of first appearance. */
  metrics(): string[] {
    return [...this.cols.keys()];
  }

  firstTs(): number | undefined {
    return this.len ? this.ts[this.head] : undefined;
  }

  lastTs(): number | undefined {
    return this.len ? this.ts[this.phys(this.len - 1)] : undefined;
  }

  tsAt(i: number): number {
    return this.ts[this.phys(i)];
  }

  /** The value of `metric` in row i, or undefined when that row has none. */
  valueAt(metric: string, i: number): number | undefined {
    const col = this.cols.get(metric);
    if (!col) return undefined;
    const v = col[this.phys(i)];
    return Number.isNaN(v) ? undefined : v;
  }

  rows(): Row[] {
    const out: Row[] = [];
    for (let i = 0; i < this.len; i++) out.push(this.rowAt(i));
    return out;
  }

  /** Adds one live row. Returns false when it was dropped (older than a full buffer holds). */
  push(ts: number, values: Record<string, number>): boolean {
    if (!Number.isFinite(ts)) return false;
    const last = this.lastTs();
    if (last === undefined || ts > last) {
      this.append(ts, values);
    } else {
      let i = this.lowerBound(ts);
      if (i < this.len && this.tsAt(i) === ts) {
        this.write(this.phys(i), values);
      } else {
        if (this.len === this.capacity) {
          if (i === 0) return false;
          this.dropOldest();
          i--;
        }
        this.insertAt(i, ts, values);
      }
    }
    this.version++;
    return true;
  }

  /**
   * Merges many rows (a page of history) with what the buffer holds: one sorted pass, equal
   * timestamps combined (values already held win), the newest `capacity` rows kept.
   */
  merge(rows: Row[]): void {
    if (rows.length === 0) return;
    const incoming = rows.filter((r) => Number.isFinite(r.ts)).sort((a, b) => a.ts - b.ts);
    const held = this.rows();
    const out: Row[] = [];
    let a = 0;
    let b = 0;
    const put = (r: Row) => {
      const prev = out[out.length - 1];
      if (prev && prev.ts === r.ts) prev.values = { ...r.values, ...prev.values };
      else out.push({ ts: r.ts, values: { ...r.values } });
    };
    while (a < held.length || b < incoming.length) {
      // Held rows go first at equal ts, so their values win the spread in put().
      if (b >= incoming.length || (a < held.length && held[a].ts <= incoming[b].ts)) put(held[a++]);
      else put(incoming[b++]);
    }
    const keep = out.slice(Math.max(0, out.length - this.capacity));
    const names = this.metrics();
    this.cols.clear();
    for (const m of names) this.column(m);
    this.head = 0;
    this.len = 0;
    for (const r of keep) this.append(r.ts, r.values);
    this.version++;
  }

  /** Drops rows older than `cutoff`. Returns how many went. */
  trimBefore(cutoff: number): number {
    let n = 0;
    while (this.len > 0 && this.ts[this.head] < cutoff) {
      this.dropOldest();
      n++;
    }
    if (n) this.version++;
    return n;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
    this.version++;
  }

  /** Copies the rows out as uPlot columns, for the metrics asked for in that order. */
  toAligned(metrics: string[]): AlignedColumns {
    const x = new Array<number>(this.len);
    const ys = metrics.map(() => new Array<number | null>(this.len));
    const cols = metrics.map((m) => this.cols.get(m));
    for (let i = 0; i < this.len; i++) {
      const p = this.phys(i);
      x[i] = this.ts[p];
      for (let k = 0; k < cols.length; k++) {
        const c = cols[k];
        const v = c ? c[p] : NaN;
        ys[k][i] = Number.isNaN(v) ? null : v;
      }
    }
    return [x, ...ys];
  }

  private phys(i: number): number {
    return (this.head + i) % this.capacity;
  }

  private rowAt(i: number): Row {
    const p = this.phys(i);
    const values: Record<string, number> = {};
    for (const [m, col] of this.cols) if (!Number.isNaN(col[p])) values[m] = col[p];
    return { ts: this.ts[p], values };
  }

  private column(metric: string): Float64Array {
    let col = this.cols.get(metric);
    if (!col) {
      col = new Float64Array(this.capacity).fill(NaN);
      this.cols.set(metric, col);
    }
    return col;
  }

  private write(p: number, values: Record<string, number>): void {
    for (const m in values) {
      const v = values[m];
      if (typeof v === 'number') this.column(m)[p] = v;
    }
  }

  private clearSlot(p: number): void {
    for (const col of this.cols.values()) col[p] = NaN;
  }

  private append(ts: number, values: Record<string, number>): void {
    if (this.len === this.capacity) this.dropOldest();
    const p = this.phys(this.len);
    this.ts[p] = ts;
    this.clearSlot(p);
    this.write(p, values);
    this.len++;
  }

  private dropOldest(): void {
    this.head = (this.head + 1) % this.capacity;
    this.len--;
  }

  /** Shifts rows i.. one slot later and writes the new row at i. Caller ensures room. */
  private insertAt(i: number, ts: number, values: Record<string, number>): void {
    for (let j = this.len; j > i; j--) {
      const to = this.phys(j);
      const from = this.phys(j - 1);
      this.ts[to] = this.ts[from];
      for (const col of this.cols.values()) col[to] = col[from];
    }
    const p = this.phys(i);
    this.ts[p] = ts;
    this.clearSlot(p);
    this.write(p, values);
    this.len++;
  }

  /** First logical index whose ts >= t. */
  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tsAt(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Turns the telemetry API's per-metric columns into rows keyed by timestamp, ascending. */
export function rowsFromSeries(series: Record<string, RawSeries>): Row[] {
  const byTs = new Map<number, Record<string, number>>();
  for (const metric in series) {
    const s = series[metric];
    const n = Math.min(s.ts.length, s.value.length);
    for (let i = 0; i < n; i++) {
      const t = s.ts[i];
      let row = byTs.get(t);
      if (!row) byTs.set(t, (row = {}));
      row[metric] = s.value[i];
    }
  }
  return [...byTs.entries()].sort((a, b) => a[0] - b[0]).map(([ts, values]) => ({ ts, values }));
}
