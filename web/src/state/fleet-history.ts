import type { Api } from '../api.js';
import type { Schedule } from './devices.js';

export interface Spark {
  ts: number[];
  values: number[];
}

interface Entry {
  metric: string;
  spark: Spark | null;
  /** received / expected over the hour; NaN when nothing was expected. */
  completeness: number;
  expected: number;
  received: number;
  at: number;
}

const HOUR = 3_600_000;

/** Most devices one request names: a screenful of rows is about 50; the server takes up to 500. */
export const BATCH = 100;

/**
 * The last hour of the devices on screen (a sparkline of one metric, completeness), fetched for
 * rows as they scroll into view and kept for a minute: a table of thousands asks only for what
 * someone looks at. The rows that came into view within batchWaitMs are asked for together, one
 * request for all of them (GET /telemetry/buckets with completeness): before, each row cost two requests,
 * about forty a second while scrolling, each a task and a fetch on the page's main thread. At most
 * `maxEntries` devices are kept, the least recently loaded dropped first.
 */
export class FleetHistory {
  private entries = new Map<string, Entry>();
  private queue: { id: string; metric: string }[] = [];
  private queued = new Set<string>();
  private running = 0;
  private pumpPending = false;
  private listeners = new Set<() => void>();
  private noticePending = false;
  version = 0;
  /** Requests sent (for tests and the bench: one per batch, not per row). */
  requests = 0;

  constructor(
    private readonly api: Pick<Api, 'getBucketsMany'>,
    private readonly now: () => number,
    /** Requests in flight at once. */
    private readonly concurrency = 2,
    private readonly maxAgeMs = 60_000,
    /** When listeners hear of loads: a scrolling table gets many answers a second, one notice per frame is enough. */
    private readonly schedule: Schedule = (flush) => flush(),
    private readonly maxEntries = 1000,
    private readonly batchWaitMs = 100,
  ) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  /** Devices held (at most maxEntries). */
  get size(): number {
    return this.entries.size;
  }

  /** A row is on screen: fetch its hour unless a fresh copy is here or on its way. */
  want(id: string, metric: string | null): void {
    if (!metric) return;
    const e = this.entries.get(id);
    if (e && e.metric === metric && this.now() - e.at < this.maxAgeMs) return;
    if (this.queued.has(id)) return;
    this.queued.add(id);
    this.queue.push({ id, metric });
    // Rows settle one timer each while the table scrolls (DeviceTableRows): those of the next
    // batchWaitMs go in the same request.
    if (this.pumpPending) return;
    this.pumpPending = true;
    setTimeout(() => {
      this.pumpPending = false;
      this.pump();
    }, this.batchWaitMs);
  }

  /** Rows that left the screen before their turn are not fetched. */
  forget(id: string): void {
    if (!this.queued.has(id)) return;
    const i = this.queue.findIndex((q) => q.id === id);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.queued.delete(id);
    }
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length) {
      // One metric per request (the server gives every device the metrics named): the first queued row's.
      const metric = this.queue[0].metric;
      const ids: string[] = [];
      this.queue = this.queue.filter((q) => {
        if (q.metric !== metric || ids.length >= BATCH) return true;
        ids.push(q.id);
        return false;
      });
      this.running++;
      void this.load(ids, metric).finally(() => {
        this.running--;
        for (const id of ids) this.queued.delete(id);
        this.pump();
      });
    }
  }

  private async load(ids: string[], metric: string): Promise<void> {
    const to = this.now();
    const from = to - HOUR;
    this.requests++;
    let page: Awaited<ReturnType<Api['getBucketsMany']>> | null = null;
    try {
      page = await this.api.getBucketsMany(ids, { metrics: [metric], from, to, points: 60, completeness: true });
    } catch {
      // Shown as unknown (no sparkline, no completeness) and asked again when the row comes back after maxAgeMs.
    }
    for (const id of ids) {
      const d = page?.devices[id];
      const s = d?.series[metric];
      const comp = d?.completeness;
      this.entries.delete(id);
      this.entries.set(id, {
        metric,
        spark: s ? { ts: s.ts, values: s.avg } : null,
        completeness: comp && comp.expected > 0 ? comp.ratio : NaN,
        expected: comp?.expected ?? 0,
        received: comp?.received ?? 0,
        at: to,
      });
      this.version++;
    }
    // Oldest loaded first (a Map keeps insertion order; a reload moved its device to the end).
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(id);
    }
    if (this.noticePending) return;
    this.noticePending = true;
    this.schedule(() => {
      this.noticePending = false;
      for (const fn of [...this.listeners]) fn();
    });
  }
}
