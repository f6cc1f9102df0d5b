import type { Worker } from 'node:worker_threads';
import type { RetentionPolicy, WriteResult } from '../store.js';
import { exitOf, siblingModule, startModuleWorker } from '../../module-worker.js';
import { batchTransferList, type EncodedBatch } from './write-batch-codec.js';
import type { WriteWorkerData, WriterReply, WriterRequest } from './write-worker.js';

/** A telemetry write the writer thread could not answer: it exited or failed while the write was in its hands. */
export class WriterThreadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WriterThreadError';
  }
}

/** A write's outcome, with the time its transaction took on the writer thread. */
export interface WriterOutcome extends WriteResult {
  txSec: number;
}

interface InFlight {
  resolve(r: WriterOutcome): void;
  reject(err: Error): void;
}

/**
 * The client side of the SQLite writer thread (write-worker.ts). Batches go over as transferable
 * columns; each write resolves once its transaction committed on the worker, or rejects with the
 * worker's error (its SQLite code kept, so a full disk is still told apart). A worker that dies
 * rejects every write it held (the pipeline spools them as for any store error), is reported, and is
 * started again for the next write.
 */
export class SqliteWriterThread {
  private worker: Worker | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private started: Promise<void> | null = null;
  /** Writer threads that died (an exit not asked for, or an uncaught error). */
  crashes = 0;

  constructor(
    private readonly data: WriteWorkerData,
    /** Told when the writer thread died; the writes it held were rejected. */
    private readonly onCrash: (err: Error) => void = () => {},
  ) {}

  /**
   * Starts the thread now and resolves once its connection is open and its statements prepared, so
   * the first write does not pay for the start (under tsx about a second of CPU); rejects if the
   * thread exits first.
   */
  start(): Promise<void> {
    this.ensureWorker();
    return this.started!;
  }

  /** SQLite's automatic checkpoint on the writer's connection (0: off), now and for a thread started again. */
  setWalAutocheckpoint(pages: number): void {
    this.data.walAutocheckpoint = pages;
    const req: WriterRequest = { walAutocheckpoint: pages };
    this.worker?.postMessage(req);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** The worker, for tests that need to stop it the hard way. */
  get threadForTests(): Worker | null {
    return this.worker;
  }

  write(batch: EncodedBatch): Promise<WriterOutcome> {
    if (this.closing) return Promise.reject(new WriterThreadError('store closed: the writer thread takes no more writes'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<WriterOutcome>((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject });
      // A worker awaited keeps the loop alive; an idle one must not hold the process open.
      if (this.inFlight.size === 1) worker.ref();
      const req: WriterRequest = { id, batch };
      worker.postMessage(req, batchTransferList(batch));
    });
  }

  /** Lets the writes in flight finish, then closes the thread's connection and ends it. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await Promise.allSettled(
      [...this.inFlight.values()].map(
        (f) =>
          new Promise<void>((done) => {
            const { resolve, reject } = f;
            f.resolve = (r) => (resolve(r), done());
            f.reject = (e) => (reject(e), done());
          }),
      ),
    );
    if (this.worker !== worker) return;
    const exited = exitOf(worker);
    const req: WriterRequest = { close: true };
    worker.postMessage(req);
    await exited;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startModuleWorker(siblingModule(import.meta.url, 'write-worker'), this.data);
    this.worker = worker;
    // Ref'd until ready: a start awaited with nothing else on the loop must not let the process exit.
    let ready!: () => void;
    let notReady!: (err: Error) => void;
    this.started = new Promise<void>((resolve, reject) => ((ready = resolve), (notReady = reject)));
    // Only open() awaits it: a restart after a crash is awaited by the write that caused it.
    this.started.catch(() => undefined);
    worker.on('message', (m: WriterReply) => {
      if ('ready' in m) {
        if (!this.inFlight.size) worker.unref();
        return ready();
      }
      const f = this.inFlight.get(m.id);
      if (!f) return;
      this.inFlight.delete(m.id);
      if (!this.inFlight.size) worker.unref();
      if (m.ok) f.resolve({ inserted: m.inserted, duplicates: m.duplicates, txSec: m.txSec });
      else f.reject(Object.assign(new Error(m.error.message), { name: m.error.name, code: m.error.code }));
    });
    let failure: Error | null = null;
    worker.on('error', (err) => (failure = err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      notReady(new WriterThreadError(`SQLite writer thread exited (code ${code}${failure ? `: ${failure.message}` : ''}) before it was ready`));
      const asked = this.closing !== null && !this.inFlight.size;
      if (asked) return;
      this.crashes++;
      const err = new WriterThreadError(
        `SQLite writer thread exited (code ${code}${failure ? `: ${failure.message}` : ''}) with ${this.inFlight.size} write(s) in flight; they were not acknowledged`,
      );
      for (const f of this.inFlight.values()) f.reject(err);
      this.inFlight.clear();
      this.onCrash(err);
    });
    return worker;
  }
}

export function writerThreadData(
  path: string,
  synchronous: 'normal' | 'full' | undefined,
  walSizeLimit: number,
  walAutocheckpoint: number,
  retention: RetentionPolicy,
): WriteWorkerData {
  return { path, synchronous: synchronous === 'full' ? 'FULL' : 'NORMAL', walSizeLimit, walAutocheckpoint, retention };
}
