// The WAL checkpointer's thread (see wal-checkpointer.ts): its own connection copies committed pages
// from the WAL into the database file (and syncs it), so no commit on the thread that acknowledges
// devices ever does. PASSIVE: it never waits for, nor blocks, the writer or the readers.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { lowerReadPriority } from '../reads/serve-reads.js';

export interface CheckpointWorkerData {
  path: string;
  everyMs: number;
  walSizeLimit: number;
}

const { path, everyMs, walSizeLimit } = workerData as CheckpointWorkerData;
lowerReadPriority();
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma(`journal_size_limit = ${walSizeLimit}`);

const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    if (r.checkpointed > 0) parentPort!.postMessage({ checkpointed: r.checkpointed, log: r.log });
  } catch (err) {
    // SQLITE_BUSY (another checkpoint, e.g. a TRUNCATE for disk space, is running): next time.
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
  }
}, everyMs);

parentPort!.on('message', (m: { stop?: true }) => {
  if (!m.stop) return;
  clearInterval(timer);
  db.close();
  parentPort!.postMessage({ stopped: true });
});
