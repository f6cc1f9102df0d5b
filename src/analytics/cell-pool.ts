/**
 * Where ring figures live: views into shared slabs of 1 MiB instead of one Float64Array each.
 *
 * A typed array of its own costs, beside its figures, an ArrayBuffer object, a backing store and a
 * malloc block: about 500 B measured per array, with a few hundred bytes to 1.4 KiB of figures per
 * ring and seven rings per device (bench/analytics-memory.ts: 12.9 KiB RSS per device of which
 * 5.3 KiB were figures). A view into a slab costs its view object only. Arrays given back (a ring
 * that grew, a device forgotten) are kept by length and handed out again, zeroed; slab memory is
 * not returned to the system, which suits a fleet whose devices come back.
 */
const SLAB = 1 << 17;
/** Larger arrays than this get an ArrayBuffer of their own (their bookkeeping is small beside them). */
const LARGEST = 1 << 12;

class CellPool {
  private slab = new Float64Array(0);
  private at = 0;
  private readonly spare = new Map<number, Float64Array[]>();

  /** A zeroed array of n figures. */
  take(n: number): Float64Array {
    const kept = this.spare.get(n)?.pop();
    if (kept) return kept.fill(0);
    if (n > LARGEST) return new Float64Array(n);
    if (this.at + n > this.slab.length) {
      this.slab = new Float64Array(SLAB);
      this.at = 0;
    }
    const view = this.slab.subarray(this.at, this.at + n);
    this.at += n;
    return view;
  }

  /** The array is no longer used by whoever took it. */
  give(cells: Float64Array): void {
    if (cells.length > LARGEST) return;
    let list = this.spare.get(cells.length);
    if (!list) this.spare.set(cells.length, (list = []));
    list.push(cells);
  }

  /** Arrays given back and not yet taken again, by length (for tests and accounting). */
  spareCount(n: number): number {
    return this.spare.get(n)?.length ?? 0;
  }
}

/** One per thread (module state): rings are used on the thread that made them. */
export const cellPool = new CellPool();
