import type { Message, Reading } from '../model/reading.js';
import {
  FencedError,
  readingCount,
  type DeviceSeen,
  type ImportCheckpoint,
  type PartitionFence,
  type RejectedRecord,
  type WriteBatch,
  type WriteResult,
} from '../stores/store.js';
import type { Metrics } from '../metrics.js';
import type { SequenceTracker, SequenceUpdate } from './sequence.js';
import { StoreUnavailableError, type Spool, type SpoolRecord } from './spool.js';
import { randomBytes } from 'node:crypto';
import type { CommitWriter } from './commit.js';

interface Waiter {
  /** Answers the sender: no error once committed (or spooled), the error otherwise. */
  done: (err?: Error) => void;
  /** What this sender added, kept to put it back when a fenced batch fails for others' sake. */
  messages: Message[];
  rejected: RejectedRecord[];
  fence?: PartitionFence;
}

interface Pending {
  messages: Message[];
  rejected: RejectedRecord[];
  readings: number;
  waiters: Waiter[];
  /** When the oldest of these senders arrived (Batcher's clock); NaN while empty. */
  since: number;
}

const empty = (): Pending => ({ messages: [], rejected: [], readings: 0, waiters: [], since: NaN });

function push(p: Pending, w: Waiter): void {
  for (const m of w.messages) {
    p.messages.push(m);
    for (const _ in m.values) p.readings++;
  }
  for (const r of w.rejected) p.rejected.push(r);
  p.waiters.push(w);
}

function readingsOf(messages: Message[]): number {
  let n = 0;
  for (const m of messages) for (const _ in m.values) n++;
  return n;
}

/**
 * The first senders of `p` whose readings make at most `max` (always at least one sender, however
 * large: a sender's messages are never split between transactions), and the rest, in their order.
 */
function takeUpTo(p: Pending, max: number): { batch: Pending; rest: Pending } {
  if (p.readings <= max) return { batch: p, rest: empty() };
  const batch = empty();
  let i = 0;
  for (; i < p.waiters.length; i++) {
    const w = p.waiters[i];
    const n = readingsOf(w.messages);
    if (batch.waiters.length && batch.readings + n > max) break;
    push(batch, w);
  }
  // The rest: the same lists with the batch cut off their front (p's lists are its senders' in order).
  // Re-adding every waiting sender, message by message, cost the whole backlog on every commit: with
  // 100,000 devices behind, the store's batches went out slower the longer the queue grew.
  const rest: Pending = {
    messages: p.messages.slice(batch.messages.length),
    rejected: p.rejected.slice(batch.rejected.length),
    readings: p.readings - batch.readings,
    waiters: p.waiters.slice(i),
    // The rest arrived no earlier than the batch's oldest: counted from it, they never linger longer than it would.
    since: p.since,
  };
  batch.since = p.since;
  return { batch, rest };
}

/**
 * Group commit: everything that arrives while the store is busy (or within one turn of the event
 * loop when it is idle) goes in one transaction, up to `maxReadings`. Low load gets low latency, high
 * load big batches. What is left over goes in the next transaction, one turn of the event loop later:
 * a backlog (after a stall, or faster than the store) is committed as a train of bounded transactions
 * with I/O let through between them, so PUBACKs of the first go out and /health is answered while the
 * rest wait, instead of one transaction of everything that holds the thread for its whole length.
 * Senders are answered only after their batch is committed, so an ack means "stored".
 */
export class Batcher {
  private pending: Pending = empty();
  private writing: Promise<void> | null = null;
  private scheduled = false;
  /** Set while the next commit waits a little to fill (opts.lingerMs). */
  private lingerTimer: NodeJS.Timeout | null = null;

  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_MIN_MS;
  private validated: ((messages: Message[]) => void) | null = null;
  /**
   * Shown early: messages the live feed got as they arrived, while the commit before theirs was in
   * flight (add()), so that they do not wait for it (docs/live-latency.md). Weak: a message is
   * forgotten with its batch.
   */
  private readonly early = new WeakSet<Message>();
  private earlyQueue: Message[] = [];
  private earlyScheduled = false;
  /** Per device, the highest seq shown early and not yet accounted for. */
  private readonly earlyMax = new Map<string, number>();
  /** A waiting message was not shown early: none after it is, until everything waiting is accounted for. */
  private earlyClosed = false;
  /** Some message shown early may be in the batch being written (its live show leaves them out). */
  private earlySinceAccount = false;
  /** Batch ids: this run's random prefix (a spool outlives the process) and a counter. */
  private readonly runId = randomBytes(6).toString('base64url');
  private readonly now: () => number;
  private batchCount = 0;

  constructor(
    /** Commits and tells the followers (before the senders are answered). */
    private readonly writer: CommitWriter,
    /** sequence: accounts for seq inside the serialised write; spool: takes batches the store refuses. */
    private readonly opts: {
      maxReadings: number;
      /**
       * Under sustained load (the batch just committed had LINGER_FROM readings or more), the next
       * one waits to fill until its oldest message has waited this long since it arrived (the commit
       * in flight counts: a commit that took longer starts the next one at once), or until
       * maxReadings are waiting. For a store that
       * commits off this thread (the SQLite writer thread): this thread keeps taking messages during
       * a commit, so without it each batch is only what arrived during the last commit, smaller than
       * when the commit held this thread, and each commit's fixed cost (its page writes, one row per
       * device and series touched) falls on fewer messages. 0 (default): no wait.
       */
      lingerMs?: number;
      sequence?: SequenceTracker;
      spool?: Spool;
      /** The clock a message's wait is measured on, ms (tests); default performance.now. */
      now?: () => number;
      checkpoints?: { getImportCheckpoint(key: string): Promise<ImportCheckpoint | null> };
    },
    private readonly metrics: Metrics,
  ) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Skips what an interrupted replay already committed, then starts replaying what is left. */
  async recover(): Promise<void> {
    const spool = this.opts.spool;
    if (!spool?.pending) return;
    const cp = await this.opts.checkpoints?.getImportCheckpoint(SPOOL_KEY + spool.generation);
    if (cp) spool.skipThrough(cp.offset);
    // Spooled batches were accounted for before the store had them: their state is the newest.
    if (this.opts.sequence) for (const rec of spool.all()) if (rec.sequence) this.opts.sequence.load(rec.sequence.devices);
    this.metrics.spoolDepth.set(spool.depthBytes);
    this.schedule();
  }

  /**
   * Hears each batch's messages as sequence accounting kept them (duplicates out), before the commit:
   * the live feed (issue 21: the commit is most of publish -> screen). Only batches that cannot be
   * lost or shown twice: unfenced (a fenced batch that fails is retried by the partition's next
   * owner) with a spool (a failed commit is spooled, replayed later as history). Such a batch's
   * Committed event says `shown`.
   */
  onValidated(listener: (messages: Message[]) => void): void {
    this.validated = listener;
  }

  get spoolDepth(): { batches: number; bytes: number } {
    return { batches: this.opts.spool?.pending ?? 0, bytes: this.opts.spool?.depthBytes ?? 0 };
  }

  /**
   * Resolves once committed (or spooled). With a fence (cluster mode: the partition lease the
   * messages were consumed under) the batch commits only while that lease is the partition's
   * newest, and is never spooled: it rejects instead (FencedError when a newer lease owns the
   * partition) and stays in the partition stream for whoever owns it.
   */
  add(messages: Message[], rejected: RejectedRecord[] = [], fence?: PartitionFence): Promise<void> {
    return new Promise<void>((resolve, reject) => this.addThen(messages, rejected, (err) => (err ? reject(err) : resolve()), fence));
  }

  /**
   * add() with a callback instead of a promise: `done()` once committed (or spooled), `done(err)`
   * otherwise. For the MQTT hot path, where a promise and its reactions per message were garbage
   * and microtask hops between the commit and the PUBACK.
   */
  addThen(messages: Message[], rejected: RejectedRecord[], done: (err?: Error) => void, fence?: PartitionFence): void {
    if (!this.showEarly(messages, fence)) this.earlyClosed = true;
    if (!this.pending.waiters.length) this.pending.since = this.now();
    push(this.pending, { done, messages, rejected, fence });
    if (this.lingerTimer && this.pending.readings >= this.opts.maxReadings) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    this.schedule();
  }

  /**
   * Shows the messages on the live feed now, before the batch they join is even taken, when a commit
   * is in flight and they would be shown when taken anyway (the conditions of write()'s `shown`:
   * a spool, empty; no fence; devices stored before) and sequence accounting cannot drop or reorder
   * them: every seq above the highest accounted for its device (batches in flight included) and
   * above any shown early before, and no message waiting before them that was not shown early. So
   * each is a reading accounting will keep, shown once, in order per device. False: not shown.
   */
  private showEarly(messages: Message[], fence?: PartitionFence): boolean {
    const spool = this.opts.spool;
    if (!this.validated || !this.writing || this.earlyClosed || fence || !spool || spool.pending) return false;
    if (!messages.length) return true;
    const sequence = this.opts.sequence;
    for (const m of messages) {
      if (!this.writer.knows(m.device)) return false;
      if (m.seq === undefined || !sequence) continue;
      const accounted = sequence.highestSeq(m.device);
      const shownMax = this.earlyMax.get(m.device);
      if ((accounted !== null && !(m.seq > accounted)) || (shownMax !== undefined && !(m.seq > shownMax))) return false;
      // Raised as checked, so that a second message of the device in this call is judged after the first;
      // a refusal further on closes early showing until this is all accounted for, so none is shown on it.
      this.earlyMax.set(m.device, m.seq);
    }
    for (const m of messages) {
      this.early.add(m);
      this.earlyQueue.push(m);
    }
    this.earlySinceAccount = true;
    // Once per turn: everything that arrived in this turn is one live frame.
    if (!this.earlyScheduled) {
      this.earlyScheduled = true;
      setImmediate(() => {
        this.earlyScheduled = false;
        this.flushEarly();
      });
    }
    return true;
  }

  private flushEarly(): void {
    if (!this.earlyQueue.length) return;
    const shown = this.earlyQueue;
    this.earlyQueue = [];
    try {
      this.validated!(shown);
    } catch {
      // A live follower's failure must not fail the commit (as CommitWriter's followers).
    }
  }

  /** Resolves once everything added so far is committed (or has failed). */
  async drain(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    while (this.writing || this.pending.waiters.length || this.answering) {
      if (!this.writing && this.pending.waiters.length) this.run();
      await (this.writing ?? this.answering)?.catch(() => undefined);
    }
  }

  get depth(): number {
    return this.pending.readings;
  }

  private schedule(): void {
    if (this.writing || this.lingerTimer) return;
    // Always a turn later, even with a full batch waiting: the event loop polls I/O in between.
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.writing) this.run();
    });
  }

  private run(): void {
    if (!this.pending.waiters.length && !this.opts.spool?.pending) return;
    const { batch, rest } = takeUpTo(this.pending, this.opts.maxReadings);
    this.pending = rest;
    const written = this.write(batch).catch((err: Error) => {
      // Not a store error (those are spooled or answered in write()): a bug; the senders hear of it.
      for (const w of batch.waiters) w.done(err);
      return null;
    });
    this.writing = written.then((answer) => {
      this.writing = null;
      // The next batch is scheduled before this one's senders are answered: it is taken and handed
      // to the store in the next check phase, ahead of the later answer slices (a turn each).
      // The linger counts from the oldest waiting message's arrival, not from this commit's end: what
      // waited behind this commit already waited that long, and a commit that took longer than the
      // linger (a loaded writer: the batch is as full as waiting would make it) starts the next at
      // once. With nothing waiting, the first to come waits out the rest of the linger from now.
      const linger = this.opts.lingerMs ?? 0;
      const left = this.pending.waiters.length ? linger - (this.now() - this.pending.since) : linger;
      if (linger > 0 && left > 0 && batch.readings >= LINGER_FROM && this.pending.readings < this.opts.maxReadings && !this.opts.spool?.pending) {
        this.lingerTimer = setTimeout(() => {
          this.lingerTimer = null;
          this.schedule();
        }, left);
      } else if (this.pending.waiters.length) this.schedule();
      else if (this.opts.spool?.pending) this.retryLater();
      if (answer) this.answer(answer);
    });
  }

  /** Senders being answered in slices (answer()); drain() waits for them too. */
  private answering: Promise<void> | null = null;
  private answerQueue: Waiter[][] = [];

  /**
   * Answers a committed batch's senders, at most ANSWER_SLICE per turn of the event loop. A full
   * batch is thousands of senders, and each answer is a PUBACK written (Aedes: a packet generated,
   * a socket write): answered in one go that held the thread for tens of ms, with every socket's
   * input, /health and the next batch's hand-over waiting behind it (issue 15's tail). Slices in
   * their order, so senders are answered in the order their messages were committed.
   */
  private answer(waiters: Waiter[]): void {
    this.answerQueue.push(waiters);
    if (this.answering) return;
    let done!: () => void;
    this.answering = new Promise<void>((r) => (done = r));
    let at = 0;
    const slice = () => {
      let n = 0;
      while (n < ANSWER_SLICE && this.answerQueue.length) {
        const ws = this.answerQueue[0];
        const now = Date.now();
        for (; at < ws.length && n < ANSWER_SLICE; at++, n++) {
          const received = ws[at].messages[0]?.receivedAt;
          if (received !== undefined && Number.isFinite(received)) this.metrics.ackSeconds.observe(Math.max(0, now - received) / 1000);
          try {
            ws[at].done();
          } catch {
            // A sender's callback that throws is its own bug: the others are still answered.
          }
        }
        if (at === ws.length) {
          this.answerQueue.shift();
          at = 0;
        }
      }
      if (this.answerQueue.length) setImmediate(slice);
      else {
        this.answering = null;
        done();
      }
    };
    slice();
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.writing) this.run();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  /** Replays the spool into the store, oldest first; true when it is empty. */
  private async replay(): Promise<boolean> {
    const spool = this.opts.spool!;
    for (let next = spool.peek(); next; next = spool.peek()) {
      const { messages, rejected, sequence, batch } = next.record;
      const wb = toWriteBatch(messages, rejected, sequence);
      if (batch) wb.id = batch;
      wb.checkpoint = { key: SPOOL_KEY + spool.generation, offset: next.end, line: 0, stored: 0, duplicates: 0, rejected: 0, done: false };
      let result: WriteResult;
      try {
        // Announced live when it was spooled: now it is history.
        result = await this.writer.write(wb, { historical: true });
      } catch {
        return false;
      }
      spool.shift();
      this.metrics.replayedBatches.inc();
      this.metrics.readingsStored.inc(result.inserted);
      if (result.duplicates) this.metrics.readingsDuplicate.inc(result.duplicates);
      this.metrics.spoolDepth.set(spool.depthBytes);
    }
    this.retryMs = RETRY_MIN_MS;
    return true;
  }

  /** Commits (or spools) the batch; the senders to answer, or null when they were answered with an error (or requeued). */
  private async write(batch: Pending): Promise<Waiter[] | null> {
    const spool = this.opts.spool;
    // Order matters: while anything waits in the spool, new batches queue behind it.
    const spoolEmpty = spool?.pending ? await this.replay() : true;
    if (!batch.waiters.length) return null;
    const fences = this.fencesOf(batch);
    if (!batch.waiters.length) return null;
    const acct = this.opts.sequence?.account(batch.messages);
    const kept = acct ? acct.keep : batch.messages;
    // What was shown early and is in this batch: left out of its live show below (or after its commit).
    const hadEarly = this.earlySinceAccount;
    if (!this.pending.waiters.length) {
      // Everything shown early is accounted for now: the tracker's state covers it.
      this.earlyMax.clear();
      this.earlyClosed = false;
      this.earlySinceAccount = false;
    }
    // Shown early before anything of this batch is shown (order per device).
    this.flushEarly();
    const shownBefore = hadEarly ? this.early : undefined;
    const wb = toWriteBatch(kept, batch.rejected, acct?.update);
    wb.id = `${this.runId}.${++this.batchCount}`;
    if (fences.length) wb.fences = fences;
    const readings = readingCount(wb);
    const at = batch.messages[0]?.receivedAt;
    if (Number.isFinite(at)) this.metrics.liveStageSeconds.observe({ stage: 'queued' }, Math.max(0, Date.now() - at) / 1000);
    // Shown now only when spoolEmpty too: behind a spool the batch is going there, announced below.
    // A new device's first readings wait for the commit: its `device` message (from the registry,
    // after the commit) comes first on the feed, as before.
    const shown = !!this.validated && !!spool && !fences.length && spoolEmpty && kept.length > 0 && wb.devices.every((d) => this.writer.knows(d.id));
    const toShow = hadEarly ? kept.filter((m) => !this.early.has(m)) : kept;
    if (shown && toShow.length) {
      try {
        this.validated!(toShow);
      } catch {
        // A live follower's failure must not fail the commit (as CommitWriter's followers).
      }
    }
    const started = process.hrtime.bigint();
    const settle = (result: WriteResult) => {
      acct?.commit();
      this.metrics.storeWriteSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.metrics.batchReadings.observe(readings);
      this.metrics.readingsStored.inc(result.inserted);
      if (result.duplicates) this.metrics.readingsDuplicate.inc(result.duplicates);
    };
    try {
      if (!spoolEmpty) throw new Error('store unavailable; spooling behind earlier batches');
      await this.writer.write(wb, { messages: kept, historical: false, shown, shownBefore: shown ? undefined : shownBefore, committed: settle });
    } catch (err) {
      if (fences.length) {
        acct?.rollback();
        this.failFenced(batch, err as Error);
        return null;
      }
      this.metrics.storeErrors.inc();
      try {
        if (!spool) throw err;
        const rec: SpoolRecord = { messages: kept, rejected: batch.rejected };
        if (acct) rec.sequence = acct.update;
        rec.batch = wb.id;
        spool.append(rec);
        this.metrics.spooledBatches.inc();
        this.metrics.spoolDepth.set(spool.depthBytes);
        const result = { inserted: 0, duplicates: 0 };
        settle(result);
        this.writer.announce(wb, kept, false, result, shown, shown ? undefined : shownBefore);
      } catch (spoolErr) {
        acct?.rollback();
        const e = spool ? new StoreUnavailableError(spoolErr as Error) : (spoolErr as Error);
        for (const w of batch.waiters) w.done(e);
        return null;
      }
    }
    return batch.waiters;
  }

  /**
   * One token per partition in a transaction. A sender whose partition this node has since
   * acquired again (a newer token) is stale already: refused here, taken out of the batch.
   */
  private fencesOf(batch: Pending): PartitionFence[] {
    const newest = new Map<number, number>();
    for (const { fence: f } of batch.waiters) if (f && f.token > (newest.get(f.partition) ?? -Infinity)) newest.set(f.partition, f.token);
    if (!newest.size) return [];
    const stale = batch.waiters.filter((w) => w.fence && w.fence.token < newest.get(w.fence.partition)!);
    if (stale.length) {
      for (const w of stale) w.done(new FencedError([w.fence!.partition]));
      const kept = empty();
      for (const w of batch.waiters) if (!stale.includes(w)) push(kept, w);
      kept.since = batch.since;
      Object.assign(batch, kept);
    }
    return [...newest].map(([partition, token]) => ({ partition, token }));
  }

  /**
   * A transaction with fenced senders failed. Refused partitions' senders (or, when the store
   * failed, every fenced sender: its messages wait in the partition stream, not in the spool) get
   * the error; everyone else goes back to the head of the queue for the next transaction.
   */
  private failFenced(batch: Pending, err: Error): void {
    // Its senders go back to the queue after a rollback of their accounting: nothing is shown early
    // behind them until they are accounted for again.
    this.earlyClosed = true;
    if (!(err instanceof FencedError)) this.metrics.storeErrors.inc();
    const refused = err instanceof FencedError ? new Set(err.partitions) : null;
    const hit = (w: Waiter) => !!w.fence && (!refused || refused.has(w.fence.partition));
    // A refusal that names no sender of this batch cannot be retried into success: fail every fenced sender.
    const fail = batch.waiters.some(hit) ? hit : (w: Waiter) => !!w.fence;
    const again = empty();
    again.since = Number.isNaN(this.pending.since) ? batch.since : Math.min(batch.since, this.pending.since);
    for (const w of batch.waiters) {
      if (fail(w)) w.done(err);
      else push(again, w);
    }
    for (const w of this.pending.waiters) push(again, w);
    this.pending = again;
  }
}

const SPOOL_KEY = 'spool:';
/** Readings in a commit from which the next one may wait to fill (opts.lingerMs): about 5 ms of a 10,000 msg/s load. */
export const LINGER_FROM = 150;
/** Senders answered per turn of the event loop (Batcher.answer): a few ms of PUBACKs on this machine. */
export const ANSWER_SLICE = 256;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/** One transaction's worth: readings, the devices they came from, dead letters and seq accounting. */
export function toWriteBatch(messages: Message[], rejected: RejectedRecord[], sequence?: SequenceUpdate): WriteBatch {
  const devices = new Map<string, DeviceSeen>();
  for (const m of messages) {
    const d = devices.get(m.device);
    if (!d) devices.set(m.device, { id: m.device, seen: m.receivedAt, profile: m.profile });
    else if (m.receivedAt > d.seen) d.seen = m.receivedAt;
  }
  // The readings stay in the messages until a store or follower asks for them as objects: the SQLite
  // store reads its columns from the messages, and three objects per message waiting for the commit
  // were a third of what the collector copied.
  let readings: Reading[] | undefined;
  const wb = { devices: [...devices.values()], rejected, messages } as Omit<WriteBatch, 'readings'> as WriteBatch;
  Object.defineProperty(wb, 'readings', {
    enumerable: true,
    configurable: true,
    get: () => (readings ??= messagesToReadings(messages)),
    set: (v: Reading[]) => {
      readings = v;
      delete wb.messages;
    },
  });
  if (sequence) wb.sequence = sequence;
  return wb;
}

/** The messages' readings, each message's metrics in order (what WriteBatch.messages stands for). */
function messagesToReadings(messages: readonly Message[]): Reading[] {
  const readings: Reading[] = [];
  for (const m of messages) {
    const values = m.values;
    for (const metric in values) {
      const r: Reading =
        m.seq === undefined
          ? { device: m.device, metric, ts: m.ts, value: values[metric] }
          : { device: m.device, metric, ts: m.ts, value: values[metric], seq: m.seq };
      readings.push(r);
    }
  }
  return readings;
}
