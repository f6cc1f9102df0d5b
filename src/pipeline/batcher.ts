import type { Message } from '../model/reading.js';
import { messageToReadings } from '../model/reading.js';
import type { DeviceSeen, RejectedRecord, Store, WriteResult } from '../stores/store.js';
import type { Metrics } from '../metrics.js';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Pending {
  messages: Message[];
  rejected: RejectedRecord[];
  readings: number;
  waiters: Waiter[];
}

/** Runs after a batch is committed, before its senders are answered. */
export type CommittedListener = (messages: Message[], result: WriteResult) => void;

const empty = (): Pending => ({ messages: [], rejected: [], readings: 0, waiters: [] });

/**
 * Group commit: everything that arrives while the store is busy (or within one turn of the event
 * loop when it is idle) goes in one transaction. Low load gets low latency, high load big batches.
 * Senders are answered only after their batch is committed, so an ack means "stored".
 */
export class Batcher {
  private pending: Pending = empty();
  private writing: Promise<void> | null = null;
  private scheduled = false;
  private listeners: CommittedListener[] = [];

  constructor(
    private readonly store: Store,
    private readonly opts: { maxReadings: number },
    private readonly metrics: Metrics,
  ) {}

  onCommitted(listener: CommittedListener): void {
    this.listeners.push(listener);
  }

  add(messages: Message[], rejected: RejectedRecord[] = []): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const p = this.pending;
      for (const m of messages) {
        p.messages.push(m);
        for (const _ in m.values) p.readings++;
      }
      for (const r of rejected) p.rejected.push(r);
      p.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything added so far is committed (or has failed). */
  async drain(): Promise<void> {
    while (this.writing || this.pending.waiters.length) {
      if (!this.writing) this.run();
      await this.writing?.catch(() => undefined);
    }
  }

  get depth(): number {
    return this.pending.readings;
  }

  private schedule(): void {
    if (this.writing) return;
    if (this.pending.readings >= this.opts.maxReadings) {
      this.run();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.writing) this.run();
    });
  }

  private run(): void {
    const batch = this.pending;
    if (!batch.waiters.length) return;
    this.pending = empty();
    this.writing = this.write(batch).finally(() => {
      this.writing = null;
      if (this.pending.waiters.length) this.schedule();
    });
  }

  private async write(batch: Pending): Promise<void> {
    const devices = new Map<string, DeviceSeen>();
    const readings = [];
    for (const m of batch.messages) {
      const d = devices.get(m.device);
      if (!d) devices.set(m.device, { id: m.device, seen: m.receivedAt, profile: m.profile });
      else if (m.receivedAt > d.seen) d.seen = m.receivedAt;
      for (const r of messageToReadings(m)) readings.push(r);
    }
    const started = process.hrtime.bigint();
    let result: WriteResult;
    try {
      result = await this.store.write({ readings, devices: [...devices.values()], rejected: batch.rejected });
    } catch (err) {
      this.metrics.storeErrors.inc();
      for (const w of batch.waiters) w.reject(err as Error);
      return;
    }
    this.metrics.storeWriteSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.metrics.batchReadings.observe(readings.length);
    this.metrics.readingsStored.inc(result.inserted);
    if (result.duplicates) this.metrics.readingsDuplicate.inc(result.duplicates);
    try {
      for (const l of this.listeners) l(batch.messages, result);
    } finally {
      for (const w of batch.waiters) w.resolve();
    }
  }
}
