// A read-only SQLite connection on a worker thread (see read-pool.ts). WAL lets it read while the
// main thread writes; nothing here can write (the connection is opened read-only, query_only on).
import { parentPort, workerData } from 'node:worker_threads';
import { setPriority } from 'node:os';
import Database from 'better-sqlite3';
import { SqliteReads } from './sqlite-reads.js';
import { toShape } from '../read-errors.js';
import type { RetentionPolicy } from '../store.js';

/** Nice value of a read thread (0 = the process's; 19 = the lowest). */
const READ_THREAD_NICE = 10;

export interface ReadWorkerData {
  path: string;
  retention: RetentionPolicy;
}

export interface ReadRequest {
  id: number;
  op: ReadOp;
  args: unknown[];
}

export type ReadOp = 'queryRange' | 'queryBuckets' | 'queryRollups' | 'stats' | 'groupRecent' | 'groupRange' | 'exportPage' | 'exportChunk' | 'replayReadings';

const { path, retention } = workerData as ReadWorkerData;
// On Linux this lowers this thread only: when reads and ingest want the same cores, ingest wins.
try {
  setPriority(READ_THREAD_NICE);
} catch {
  // Not permitted here (or not Linux): reads run at the process's priority.
}
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('query_only = ON');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -32768');
const reads = new SqliteReads(db, retention);
// The pool hands this worker reads only from now on: starting (and, from source, compiling) is not a read's time.
parentPort!.postMessage({ ready: true });

parentPort!.on('message', (req: ReadRequest) => {
  try {
    const fn = reads[req.op] as (...a: unknown[]) => unknown;
    const result = fn.apply(reads, req.args);
    parentPort!.postMessage({ id: req.id, ok: true, result });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, ok: false, error: toShape(err) });
  }
});
