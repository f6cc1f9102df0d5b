/** Runs a model on `batch` windows laid end to end; answers their outputs laid end to end. */
export type BatchRun = (data: Float32Array, batch: number) => Promise<Float32Array>;

interface Pending {
  window: Float32Array;
  resolve(out: Float32Array): void;
  reject(err: Error): void;
}

/**
 * Gathers the windows asked for in the same turn of the event loop and runs them together (up to
 * `max`: one call of the model, or as many as `callsFor` says the runtime makes); windows of another
 * length than the first run in a later run. If a run of several fails, its windows run one by one,
 * so one bad window cannot fail its neighbours.
 */
export class WindowBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Calls made and windows run, for the bench and /metrics. */
  readonly stats = { calls: 0, windows: 0 };

  constructor(
    private readonly runBatch: BatchRun,
    private readonly max: number,
    /** Calls of the model a run of `batch` windows makes (1: one batched call; a runtime may run them one by one). */
    private readonly callsFor: (batch: number) => number = () => 1,
  ) {}

  run(window: Float32Array): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.pending.push({ window, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length) {
      const size = this.pending[0].window.length;
      const take: Pending[] = [];
      const rest: Pending[] = [];
      for (const p of this.pending) (take.length < this.max && p.window.length === size ? take : rest).push(p);
      this.pending = rest;
      void this.runGroup(take, size);
    }
  }

  private async runGroup(group: Pending[], size: number): Promise<void> {
    if (group.length > 1) {
      const data = new Float32Array(group.length * size);
      group.forEach((p, i) => data.set(p.window, i * size));
      try {
        const out = await this.count(data, group.length);
        const each = out.length / group.length;
        group.forEach((p, i) => p.resolve(out.slice(i * each, (i + 1) * each)));
        return;
      } catch {
        // Fall through: one by one, so each window gets its own answer or its own error.
      }
    }
    for (const p of group) await this.count(p.window, 1).then(p.resolve, p.reject);
  }

  private count(data: Float32Array, batch: number): Promise<Float32Array> {
    this.stats.calls += this.callsFor(batch);
    this.stats.windows += batch;
    return this.runBatch(data, batch);
  }
}
