import type { Logger } from '../logger.js';
import type { ChangeNotice, ChangeSource } from '../stores/store.js';

export type ChangeHandler = (id: string) => Promise<void> | void;

/**
 * Shared state changed on any node (rules, profiles, users, keys, credentials, sessions, alarms)
 * reaches this node's in-memory caches: each notice names an entity, and the handler for its kind
 * reads that entity back from the store. Whenever the listener (re)connects, notices may have been
 * missed (before the first listen, or while the connection was lost), so every resync handler runs
 * (each reloads its whole kind).
 *
 * Notices are applied one at a time, in arrival order: two reloads of one entity cannot finish out
 * of order and leave the older state behind. A notice already waiting is not queued twice.
 */
export class ChangeFeed {
  private handlers = new Map<string, ChangeHandler[]>();
  private resyncs: (() => Promise<void> | void)[] = [];
  private queue: Promise<void> = Promise.resolve();
  private waiting = new Set<string>();
  private unlisten: (() => Promise<void>) | null = null;
  /** Notices applied and resyncs run, for /metrics and tests. */
  readonly counts = { applied: 0, failed: 0, resyncs: 0 };

  constructor(
    private readonly source: ChangeSource,
    private readonly logger: Logger,
  ) {}

  /** Reloads one entity of `kind` when any node changed it. */
  on(kind: ChangeNotice['kind'], handler: ChangeHandler): void {
    const list = this.handlers.get(kind) ?? [];
    list.push(handler);
    this.handlers.set(kind, list);
  }

  /** Reloads everything a kind holds; run when the feed reconnects (changes may have been missed meanwhile). */
  onResync(handler: () => Promise<void> | void): void {
    this.resyncs.push(handler);
  }

  async start(): Promise<void> {
    this.unlisten = await this.source.listenChanges(
      (c) => this.notice(c),
      // Also the first time: what changed between this node's loading and its listening is read now.
      () => this.resync(),
    );
  }

  async stop(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.();
    await this.idle();
  }

  /** Waits until every notice heard so far is applied. */
  idle(): Promise<void> {
    return this.queue;
  }

  private notice(c: ChangeNotice): void {
    const handlers = this.handlers.get(c.kind);
    if (!handlers?.length || typeof c.id !== 'string') return;
    const k = c.kind + '\u0000' + c.id;
    if (this.waiting.has(k)) return;
    this.waiting.add(k);
    this.enqueue(async () => {
      this.waiting.delete(k);
      for (const h of handlers) await h(c.id);
      this.counts.applied++;
    }, `reloading ${c.kind} ${c.id} failed`);
  }

  private resync(): void {
    if (this.counts.resyncs > 0) this.logger.warn({}, 'change feed reconnected: reloading shared state (changes may have been missed)');
    this.enqueue(async () => {
      for (const h of this.resyncs) await h();
      this.counts.resyncs++;
    }, 'reloading shared state failed');
  }

  private enqueue(fn: () => Promise<void>, what: string): void {
    this.queue = this.queue.then(fn).catch((err: Error) => {
      this.counts.failed++;
      this.logger.error({ err: err.message }, what);
    });
  }
}
