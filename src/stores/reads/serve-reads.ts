// The worker's side of worker-pool.ts: answers each request by calling the method of that name on
// the engine's reads object, so rows are parsed and shaped here and only the answer crosses over.
import { parentPort } from 'node:worker_threads';
import { setPriority } from 'node:os';
import { toShape } from '../read-errors.js';
import type { ReadOp, ReadReply, ReadRequest } from './protocol.js';

/** Nice value of a read thread (0 = the process's; 19 = the lowest). */
const READ_THREAD_NICE = 10;

/** Lowers this thread's priority; on Linux it applies to this thread only: when reads and ingest want the same cores, ingest wins. */
export function lowerReadPriority(): void {
  try {
    setPriority(READ_THREAD_NICE);
  } catch {
    // Not permitted here (or not Linux): reads run at the process's priority.
  }
}

/** Tells the pool this worker is ready and answers its requests from then on (starting, or compiling from source, is no read's time). */
export function serveReads(reads: object): void {
  const port = parentPort!;
  const reply = (m: ReadReply) => port.postMessage(m);
  port.on('message', (req: ReadRequest) => {
    void (async () => {
      try {
        const fn = (reads as Record<ReadOp, (...a: unknown[]) => unknown>)[req.op];
        reply({ id: req.id, ok: true, result: await fn.apply(reads, req.args) });
      } catch (err) {
        reply({ id: req.id, ok: false, error: toShape(err) });
      }
    })();
  });
  reply({ id: 0, ok: true, ready: true });
}
