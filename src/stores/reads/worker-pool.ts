import type { Worker } from 'node:worker_threads';
import { startModuleWorker, stopWorkers } from '../../module-worker.js';
import { fromShape, readTimedOut } from '../read-errors.js';
import { PROMPT, type ReadOp, type ReadReply, type ReadRequest } from './protocol.js';
import { answerRead } from './serve-reads.js';

/** Runs one read somewhere other than the caller's thread (or, for an in-memory database, in it). */
export interface ReadRunner {
  run<T>(op: ReadOp, args: unknown[], opts?: RunOptions): Promise<T>;
  close(): Promise<void>;
}

export interface RunOptions {
  /** This read's time limit (default: the pool's). */
  timeoutMs?: number;
  /**
   * The same object for every task of one read made of many (an export's chunks, each asked for with
   * the previous one's cursor): once its first task has run, the read keeps its place (ReadWorkerPool).
   */
  stream?: object;
}

export interface ReadPoolOptions {
  /** The worker's module (read-worker.ts of an engine), by URL beside the caller's module. */
  workerFile: URL;
  /** What that module gets as workerData: how to open its own connection. */
  workerData: unknown;
  /** Worker threads, each with its own connection. */
  size: number;
  /** Default time limit of a read, queueing included (for bulk pages: running only). */
  timeoutMs: number;
  /**
   * The engine ends a running read itself at its limit (PostgreSQL: the session's statement_timeout):
   * past a read's limit the caller is answered at once, and its worker is given this much longer to
   * answer (the server's cancel) before it is replaced. Unset (SQLite, whose read cannot be stopped
   * from another thread): the worker is replaced at the limit.
   */
  selfCancelGraceMs?: number;
  /** Told when a read ran out of time (`running`: its worker was replaced). */
  onTimeout?: (op: ReadOp, running: boolean) => void;
  /** Told of each read answered (or failed): seconds it waited for a worker, and seconds it ran. */
  onRead?: (op: ReadOp, queuedSec: number, runSec: number) => void;
}

interface Task {
  id: number;
  op: ReadOp;
  args: unknown[];
  limitMs: number;
  timer: NodeJS.Timeout;
  askedAt: number;
  startedAt: number;
  stream?: object;
  /** Answered already (past its limit), its worker left to finish (selfCancelGraceMs). */
  expired?: boolean;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
  ready: boolean;
  /** The prompt worker: short reads only, at the process's priority (see PROMPT). */
  prompt: boolean;
  /**
   * Kept for the stream whose task it just answered, until that stream asks for its next task (in the
   * microtasks that follow the answer) or the next turn of the event loop: see ReadWorkerPool.
   */
  held: { stream: object; op: ReadOp } | null;
}

/** Reads that move many rows (export pages, backtest replays and jobs): at most `bulkWorkers(n)` of the pool's workers at once. */
const BULK: ReadonlySet<ReadOp> = new Set<ReadOp>(['exportPage', 'exportChunk', 'replayReadings', 'job']);

/**
 * Reads whose cost is bounded by what they return, through the index (a page view's grouped recent or
 * range, a raw telemetry page): the short lane. Every other read leaves one worker free for these, so
 * a dashboard's grouped read never queues behind 48 h of buckets, an export or a backtest.
 */
const SHORT: ReadonlySet<ReadOp> = new Set<ReadOp>(['groupRecent', 'groupRange', 'queryRange']);

/** Workers that reads outside the short lane may hold at once: all but one (the short lane's), when there are two or more. */
export function longWorkers(n: number): number {
  return n >= 2 ? n - 1 : 1;
}

/** Workers that bulk reads may hold at once: all but two (the short lane's and one for other reads), at least one. */
export function bulkWorkers(n: number): number {
  return Math.max(1, n - 2);
}

/** Whether `op` may start on a free worker, with `long` reads outside the short lane and `bulk` reads running, of `n` workers. */
export function mayStart(op: ReadOp, running: { long: number; bulk: number }, n: number): boolean {
  if (SHORT.has(op)) return true;
  if (running.long >= longWorkers(n)) return false;
  return !BULK.has(op) || running.bulk < bulkWorkers(n);
}

/**
 * A pool of worker threads, each with its own database connection (SQLite read-only, or a PostgreSQL
 * session), so that the thread which writes and acknowledges devices never runs a read: neither the
 * query nor the parsing and shaping of its rows. Each worker runs one read at a time. Each read has a
 * time limit counted from when it was asked for: past it, a queued read is dropped and a running one
 * has its worker terminated and replaced, and the caller gets a ReadLimitError (rule read_time_limit).
 *
 * A read made of many tasks (a stream: an export's chunks) keeps its place once started: the worker
 * that answered one of its tasks waits for the next (asked for as soon as the answer arrives) instead
 * of taking another read, and its queued tasks go before reads not yet started. Queued again behind
 * every other export at each chunk, an export's wait was multiplied by its chunks (issue 15's mixed
 * load: 10 chunks x 1.2 s); now it waits for its turn once. The hold ends when the stream asks for
 * its next task or, if it has not by then (its client is slow to take the bytes, or it has ended), at
 * the next turn of the event loop; its next task then still goes before reads not yet started.
 */
export class ReadWorkerPool implements ReadRunner {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** Streams in the order their first task started: the earlier started, the sooner its next task runs. */
  private readonly streamOrder = new WeakMap<object, number>();
  private nextStream = 1;

  constructor(private readonly opts: ReadPoolOptions) {
    for (let i = 0; i < Math.max(1, opts.size); i++) this.slots.push(this.spawn(i === 0 && opts.size >= 2));
  }

  private spawn(prompt: boolean): Slot {
    const data = this.opts.workerData;
    const worker = startModuleWorker(this.opts.workerFile, prompt && data !== null && typeof data === 'object' ? { ...data, [PROMPT]: true } : data);
    // An idle pool must not keep the process alive (holdWhileBusy refs the workers while reads wait or run).
    worker.unref();
    const slot: Slot = { worker, task: null, ready: false, prompt, held: null };
    worker.on('message', (m: ReadReply) => {
      if (m.ready) {
        slot.ready = true;
        // Reads asked for before any worker had started: their time counts from now (starting is no read's time).
        for (const t of this.queue) if (!t.timer && !BULK.has(t.op)) t.timer = setTimeout(() => this.expire(t), t.limitMs);
        this.dispatch();
        return this.holdWhileBusy();
      }
      const t = slot.task;
      if (!t || t.id !== m.id) return;
      slot.task = null;
      clearTimeout(t.timer);
      this.opts.onRead?.(t.op, (t.startedAt - t.askedAt) / 1000, (performance.now() - t.startedAt) / 1000);
      if (t.stream && m.ok && !t.expired) this.hold(slot, t.stream, t.op);
      if (m.ok) t.resolve(m.result);
      else t.reject(fromShape(m.error!));
      this.dispatch();
      this.holdWhileBusy();
    });
    const lost = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      const t = slot.task;
      slot.task = null;
      if (t) {
        clearTimeout(t.timer);
        t.reject(new Error(`read worker failed: ${err.message}`));
      }
      if (this.closed) return;
      this.slots[i] = this.spawn(slot.prompt);
      this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`exited with code ${code}`)));
    return slot;
  }

  run<T>(op: ReadOp, args: unknown[], opts: RunOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      const limitMs = opts.timeoutMs ?? this.opts.timeoutMs;
      const now = performance.now();
      const task: Task = {
        id: this.nextId++,
        op,
        args,
        limitMs,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: undefined as never,
        askedAt: now,
        startedAt: now,
        stream: opts.stream,
      };
      // A page view's limit counts its wait in the queue; a bulk page's only its run (an export is many pages, each waits its turn).
      if (!BULK.has(op) && this.slots.some((s) => s.ready)) task.timer = setTimeout(() => this.expire(task), limitMs);
      this.queue.push(task);
      this.dispatch();
      this.holdWhileBusy();
    });
  }

  /**
   * A read waiting for a worker that is still starting has no timer yet, and a promise alone does not
   * keep the process alive: while any read waits or runs the workers are ref'd, and unref'd when idle.
   */
  private holdWhileBusy(): void {
    const busy = this.queue.length > 0 || this.slots.some((s) => s.task);
    for (const s of this.slots) {
      if (busy) s.worker.ref();
      else s.worker.unref();
    }
  }

  private expire(task: Task): void {
    const q = this.queue.indexOf(task);
    if (q >= 0) {
      this.queue.splice(q, 1);
      this.opts.onTimeout?.(task.op, false);
      task.reject(readTimedOut(task.limitMs));
      return;
    }
    const i = this.slots.findIndex((s) => s.task === task);
    if (i < 0) return;
    const grace = this.opts.selfCancelGraceMs;
    if (grace !== undefined && !task.expired) {
      // The caller is answered now; the worker keeps its place until the server's cancel reaches it.
      task.expired = true;
      task.timer = setTimeout(() => this.expire(task), grace);
      this.opts.onTimeout?.(task.op, false);
      task.reject(readTimedOut(task.limitMs));
      return;
    }
    // A synchronous SQLite read cannot be told to stop from another thread: the worker goes, a fresh one takes its place
    // (a PostgreSQL worker's session goes with it; its statement_timeout and connection check end the statement).
    const stuck = this.slots[i];
    this.slots[i] = this.spawn(stuck.prompt);
    stuck.task = null;
    stuck.worker.removeAllListeners('exit');
    stuck.worker.removeAllListeners('error');
    stuck.worker.on('error', () => {});
    void stuck.worker.terminate();
    this.opts.onTimeout?.(task.op, true);
    // Settled already when the engine was given its grace (a second reject is no-op).
    task.reject(readTimedOut(task.limitMs));
    this.dispatch();
  }

  /**
   * Keeps `slot` for `stream`'s next task. The answer's promise is settled after this, and its
   * continuation (which asks for the next task) runs in the microtasks before any other message or
   * timer; a setImmediate callback runs after them, so by then the stream has asked or will not soon.
   */
  private hold(slot: Slot, stream: object, op: ReadOp): void {
    slot.held = { stream, op };
    setImmediate(() => {
      if (slot.held?.stream !== stream) return;
      slot.held = null;
      this.dispatch();
      this.holdWhileBusy();
    });
  }

  /** The queued task `slot` should run next, or -1: its stream's if held, else a started stream's first, else the oldest that may start. */
  private pick(slot: Slot, running: { long: number; bulk: number }): number {
    if (slot.held) return this.queue.findIndex((t) => t.stream === slot.held!.stream);
    let at = -1;
    let order = Infinity;
    for (let i = 0; i < this.queue.length; i++) {
      const t = this.queue[i];
      if (slot.prompt ? !SHORT.has(t.op) : !mayStart(t.op, running, this.slots.length)) continue;
      // A stream holding another worker gets its task there.
      if (t.stream && this.slots.some((s) => s.held?.stream === t.stream)) continue;
      const o = (t.stream && this.streamOrder.get(t.stream)) || Infinity;
      if (at < 0 || o < order) {
        at = i;
        order = o;
      }
    }
    return at;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task || !slot.ready || !this.queue.length) continue;
      // Lanes: short reads may take any free worker; the others leave one for them, and bulk reads one more.
      // A worker held for a stream counts as running its last task.
      const running = { long: 0, bulk: 0 };
      for (const s of this.slots) {
        const op = s.task?.op ?? s.held?.op;
        if (!op || SHORT.has(op)) continue;
        running.long++;
        if (BULK.has(op)) running.bulk++;
      }
      const at = this.pick(slot, running);
      if (at < 0) continue;
      const [task] = this.queue.splice(at, 1);
      slot.task = task;
      slot.held = null;
      if (task.stream && !this.streamOrder.has(task.stream)) this.streamOrder.set(task.stream, this.nextStream++);
      task.startedAt = performance.now();
      if (BULK.has(task.op)) task.timer = setTimeout(() => this.expire(task), task.limitMs);
      const req: ReadRequest = { id: task.id, op: task.op, args: task.args };
      slot.worker.postMessage(req);
    }
  }

  /** Reads in flight and waiting (for /metrics and tests): `ops` the running reads' ops, `ready` the workers started. */
  get load(): { running: number; queued: number; workers: number; ready: number; ops: ReadOp[] } {
    const busy = this.slots.filter((s) => s.task);
    return {
      running: busy.length,
      queued: this.queue.length,
      workers: this.slots.length,
      ready: this.slots.filter((s) => s.ready).length,
      ops: busy.map((s) => s.task!.op),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) {
      clearTimeout(t.timer);
      t.reject(new Error('the store is closed'));
    }
    for (const s of this.slots) {
      s.worker.removeAllListeners('exit');
      s.worker.removeAllListeners('error');
      s.worker.on('error', () => {});
      if (s.task) {
        clearTimeout(s.task.timer);
        s.task.reject(new Error('the store is closed'));
      }
    }
    await stopWorkers(this.slots.map((s) => s.worker));
  }
}

/** For an in-memory database, which other connections cannot see, or with no workers asked for: reads run in the caller's thread. */
export class InlineReads implements ReadRunner {
  constructor(private readonly reads: object) {}

  async run<T>(op: ReadOp, args: unknown[]): Promise<T> {
    return (await answerRead(this.reads, op, args)) as T;
  }

  async close(): Promise<void> {}
}
