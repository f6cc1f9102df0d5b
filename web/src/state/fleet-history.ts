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

/**
 * The last hour of the devices on screen (a sparkline of one metric, completeness), fetched for
 * rows as they scroll into view, a few requests at a time, and kept for a minute: a table of
 * thousands asks only for what someone looks at.
 */
export class FleetHistory {
  private entries = new Map<string, Entry>();
  private queue: { id: string; metric: string }[] = [];
  private queued = new Set<string>();
  private running = 0;
  private listeners = new Set<() => void>();
  private noticePending = false;
  version = 0;

  constructor(
    private readonly api: Api,
    private readonly now: () => number,
    private readonly concurrency = 4,
    private readonly maxAgeMs = 60_000,
    /** When listeners hear of loads: a scrolling table gets tens of answers a second, one notice per frame is enough. */
    private readonly schedule: Schedule = (flush) => flush(),
  ) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  /** A row is on screen: fetch its hour unless a fresh copy is here or on its way. */
  want(id: string, metric: string | null): void {
    if (!metric) return;
    const e = this.entries.get(id);
    if (e && e.metric === metric && this.now() - e.at < this.maxAgeMs) return;
    if (this.queued.has(id)) return;
    this.queued.add(id);
    this.queue.push({ id, metric });
    this.pump();
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
      const job = this.queue.shift()!;
      this.running++;
      void this.load(job.id, job.metric).finally(() => {
        this.running--;
        this.queued.delete(job.id);
        this.pump();
      });
    }
  }

  private async load(id: string, metric: string): Promise<void> {
    const to = this.now();
    const from = to - HOUR;
    const [b, c] = await Promise.allSettled([this.api.getBuckets(id, { metrics: [metric], from, to, points: 60 }), this.api.getCompleteness(id, from, to)]);
    const s = b.status === 'fulfilled' ? b.value.series[metric] : undefined;
    const comp = c.status === 'fulfilled' ? c.value : null;
    this.entries.set(id, {
      metric,
      spark: s ? { ts: s.ts, values: s.avg } : null,
      completeness: comp && comp.expected > 0 ? comp.ratio : NaN,
      expected: comp?.expected ?? 0,
      received: comp?.received ?? 0,
      at: to,
    });
    this.version++;
    if (this.noticePending) return;
    this.noticePending = true;
    this.schedule(() => {
      this.noticePending = false;
      for (const fn of [...this.listeners]) fn();
    });
  }
}
