// The SQLite writer thread (see write-thread.ts): its own connection to the database file, and every
// telemetry write transaction of the store. The thread that acknowledges devices hands it batches and
// awaits the outcome; it never runs the transaction nor waits for the write lock itself.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteTelemetryWriter } from './telemetry-writer.js';
import { WalGiveBack } from './wal-give-back.js';
import type { EncodedBatch } from './write-batch-codec.js';
import type { RetentionPolicy } from '../store.js';

export interface WriteWorkerData {
  path: string;
  synchronous: 'NORMAL' | 'FULL';
  /** The WAL file's size once given back (journal_size_limit's floor; see wal-give-back.ts). */
  walSizeLimit: number;
  /** SQLite's automatic checkpoint in this connection's commits, in WAL pages: 0 while the checkpointer's thread runs. */
  walAutocheckpoint: number;
  retention: RetentionPolicy;
}

export type WriterRequest = { id: number; batch: EncodedBatch } | { close: true } | { walAutocheckpoint: number };
export type WriterReply =
  | { ready: true }
  | { id: number; ok: true; inserted: number; duplicates: number; txSec: number }
  | { id: number; ok: false; error: { message: string; code?: string; name: string } };

const { path, synchronous, walSizeLimit, walAutocheckpoint, retention } = workerData as WriteWorkerData;
const db = new Database(path, { fileMustExist: true });
db.pragma(`synchronous = ${synchronous}`);
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -65536');
// A statement of many rows that may stop half way (a multi-row upsert, chunked-rows.ts) keeps a
// statement journal to undo its own part: in memory, not in a temporary file written per statement.
db.pragma('temp_store = MEMORY');
// The log's file is given back in slices, never all at once inside a telemetry commit (wal-give-back.ts).
const giveBack = new WalGiveBack(db, `${path}-wal`, walSizeLimit);
// Per connection: without it this thread copied the WAL into the file inside every commit that
// crossed 1,000 pages, beside the checkpointer's thread doing the same (wal-checkpointer.ts).
db.pragma(`wal_autocheckpoint = ${walAutocheckpoint}`);
const writer = new SqliteTelemetryWriter(db, retention);
const port = parentPort!;
// The store's open() waits for this: the first write does not pay for the thread's start.
port.postMessage({ ready: true } satisfies WriterReply);

port.on('message', (m: WriterRequest) => {
  if ('close' in m) {
    db.close();
    port.close();
    return;
  }
  if ('walAutocheckpoint' in m) {
    db.pragma(`wal_autocheckpoint = ${m.walAutocheckpoint}`);
    return;
  }
  let reply: WriterReply;
  try {
    const t0 = performance.now();
    const r = writer.write(m.batch);
    reply = { id: m.id, ok: true, inserted: r.inserted, duplicates: r.duplicates, txSec: (performance.now() - t0) / 1000 };
  } catch (err) {
    const e = err as Error & { code?: unknown };
    reply = { id: m.id, ok: false, error: { message: e.message, name: e.name, code: typeof e.code === 'string' ? e.code : undefined } };
  }
  port.postMessage(reply);
  // After the answer is on its way: the limit for the next restart of the log, not this commit's business.
  giveBack.afterCommit();
});
