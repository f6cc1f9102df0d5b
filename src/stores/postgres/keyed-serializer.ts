/**
 * Runs writes to the same key one after another, in call order. A pool spreads queries over several
 * connections, so two saves of one record issued back to back (a command "delivered", then "acked")
 * could otherwise commit in either order; SQLite, being synchronous, always applies them in call order.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
