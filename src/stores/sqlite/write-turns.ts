/**
 * Turns at the SQLite write lock between the writer thread and this thread's own connection (alarms,
 * devices, audit, auth, blobs...). SQLite has one writer; this thread's connection is synchronous, so
 * a write it started while the writer thread held the lock would block the thread that acknowledges
 * devices in SQLite's busy handler. Instead both take turns here, asynchronously: a write on this
 * thread starts only while no telemetry transaction is in the writer thread's hands, and a telemetry
 * batch is handed over only when this thread's write is done. Waiting for a turn is awaiting a promise,
 * never blocking. (The retention worker still takes the lock a slice at a time: RETENTION_SLICE.)
 */
export class WriteTurns {
  private tail: Promise<unknown> = Promise.resolve();
  /** Turns waiting or running (tests, metrics). */
  queued = 0;

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    this.queued++;
    const turn = this.tail.then(fn);
    this.tail = turn.then(
      () => this.queued--,
      () => this.queued--,
    );
    return turn;
  }
}

/**
 * The same object, whose async methods take a turn before they run (their reads too: cheap, and it
 * keeps the rule simple for methods that read then write). Synchronous methods and properties are
 * left as they are, and so are the `reads` named: they only forward to the read workers and may run for
 * seconds, which must not hold telemetry commits back. Methods run on the object itself, so one method
 * calling another takes one turn.
 */
export function takingTurns<T extends object>(target: T, turns: WriteTurns, reads: readonly string[] = []): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, key) {
      const v = Reflect.get(t, key, t) as unknown;
      if (typeof v !== 'function' || v.constructor.name !== 'AsyncFunction' || reads.includes(key as string)) return v;
      let w = wrapped.get(key);
      if (!w) {
        const fn = v as (...args: unknown[]) => Promise<unknown>;
        w = (...args: unknown[]) => turns.run(() => fn.apply(t, args));
        wrapped.set(key, w);
      }
      return w;
    },
  });
}
