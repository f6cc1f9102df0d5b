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

  /** The steps held, oldest first, as a copy (the window may move on while a prediction runs on them). */
  steps(): { rows: Float64Array[]; times: Float64Array } {
    const f = this.features;
    const n = this.count;
    const flat = new Float64Array(n * f);
    const times = new Float64Array(n);
    const first = (this.next - n + this.size) % this.size;
    for (let i = 0; i < n; i++) {
      const slot = (first + i) % this.size;
      flat.set(this.values.subarray(slot * f, slot * f + f), i * f);
      times[i] = this.stamps[slot];
    }
    return { rows: Array.from({ length: n }, (_, i) => flat.subarray(i * f, i * f + f)), times };
  }
}
