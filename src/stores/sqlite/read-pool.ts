import type { RetentionPolicy } from '../store.js';
import { ReadWorkerPool, type ReadPoolOptions } from '../reads/worker-pool.js';
import { siblingModule } from '../../module-worker.js';
import type { ReadWorkerData } from './read-worker.js';

export { InlineReads, type ReadRunner } from '../reads/worker-pool.js';

/** SQLite reads on worker threads, each with its own read-only connection (WAL lets them read while the main thread writes). */
export class SqliteReadPool extends ReadWorkerPool {
  constructor(opts: Omit<ReadPoolOptions, 'workerFile' | 'workerData'> & { path: string; retention: RetentionPolicy }) {
    const workerData: ReadWorkerData = { path: opts.path, retention: opts.retention };
    super({ ...opts, workerFile: siblingModule(import.meta.url, 'read-worker'), workerData });
  }
}
