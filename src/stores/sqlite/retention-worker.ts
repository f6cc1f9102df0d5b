// One retention pass on a worker thread with its own connection (see retention-thread.ts): the
// thread that acknowledges devices does none of its work and waits on it for one slice at most.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteHistory } from './sqlite-history.js';
import type { RetentionPolicy } from '../store.js';

export interface RetentionWorkerData {
  path: string;
  now: number;
  policy: RetentionPolicy;
}

const { path, now, policy } = workerData as RetentionWorkerData;
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
new SqliteHistory(db, policy)
  .applyRetention(now, policy)
  .then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (err: Error) => parentPort!.postMessage({ ok: false, error: err.message }),
  )
  .finally(() => db.close());
