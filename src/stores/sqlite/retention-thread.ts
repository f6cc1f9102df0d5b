import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RetentionPolicy, RetentionResult } from '../store.js';
import type { RetentionWorkerData } from './retention-worker.js';

const fromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(`./retention-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);

/**
 * Runs one retention pass of the SQLite file at `path` on a worker thread of its own: the pass's
 * queries and deletes never run on the thread that acknowledges devices (WAL: one writer at a
 * time, so a write there waits at most for one slice of RETENTION_SLICE rows).
 */
export function retentionOffThread(path: string, now: number, policy: RetentionPolicy): Promise<RetentionResult> {
  const workerData: RetentionWorkerData = { path, now, policy };
  const worker = fromSource
    ? new Worker(
        `require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(fileURLToPath(workerFile))});`,
        { eval: true, workerData },
      )
    : new Worker(workerFile, { workerData });
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (m: { ok: true; result: RetentionResult } | { ok: false; error: string }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`retention worker exited with code ${code} before it answered`));
    });
  });
}
