/**
 * The last `size` steps of a device's model features and their times, in a ring: a reading that
 * extends the window allocates nothing (a fleet's every message does this; only the ones a
 * prediction runs on are copied out, by `steps`).
 */
export class StepWindow {
  private readonly values: Float64Array;
  private readonly stamps: Float64Array;
  /** The slot the next step goes to. */
  private next = 0;
  private count = 0;

  constructor(
    readonly size: number,
    readonly features: number,
  ) {
    this.values = new Float64Array(size * features);
    this.stamps = new Float64Array(size);
  }

  /** Steps held: up to `size`. */
  get length(): number {
    return this.count;
  }

  /** Appends one step (its `features` values in the manifest's order), dropping the oldest past `size`. */
  push(row: ArrayLike<number | undefined>, ts: number): void {
    const f = this.features;
    const at = this.next * f;
    for (let j = 0; j < f; j++) this.values[at + j] = row[j] as number;
    this.stamps[this.next] = ts;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /**
   * The steps held, oldest first, as a copy (the window may move on while a prediction runs on
   * them): one flat array of steps x features, as inference scales them (infer() takes it as is).
   */
  steps(): { rows: Float64Array; times: Float64Array } {
    const f = this.features;
    const n = this.count;
    const rows = new Float64Array(n * f);
    const times = new Float64Array(n);
    const first = (this.next - n + this.size) % this.size;
    // The ring's two runs, oldest first: from `first` to the end, then from the start.
    const tail = Math.min(n, this.size - first);
    rows.set(this.values.subarray(first * f, (first + tail) * f), 0);
    times.set(this.stamps.subarray(first, first + tail), 0);
    if (tail < n) {
      rows.set(this.values.subarray(0, (n - tail) * f), tail * f);
      times.set(this.stamps.subarray(0, n - tail), tail);
    }
    return { rows, times };
  }
}
