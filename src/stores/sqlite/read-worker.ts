// A read-only SQLite connection on a worker thread (see reads/worker-pool.ts). WAL lets it read while
// the main thread writes; nothing here can write (the connection is opened read-only, query_only on).
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteReads } from './sqlite-reads.js';
import { lowerReadPriority, serveReads } from '../reads/serve-reads.js';
import type { RetentionPolicy } from '../store.js';

export interface ReadWorkerData {
  path: string;
  retention: RetentionPolicy;
}

const { path, retention } = workerData as ReadWorkerData;
lowerReadPriority();
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('query_only = ON');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -32768');
serveReads(new SqliteReads(db, retention));
