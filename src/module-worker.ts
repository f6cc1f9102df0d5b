// Worker threads on this project's own modules, from the compiled files or from source.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `name` beside `moduleUrl`, as .ts when that module runs from source and .js when compiled. */
export function siblingModule(moduleUrl: string, name: string): URL {
  return new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);
}

/** A worker on the compiled file; run from TypeScript source (tests, tsx), one that registers tsx in its own thread first. */
export function startModuleWorker(workerFile: URL, workerData: unknown): Worker {
  if (!workerFile.pathname.endsWith('.ts')) return new Worker(workerFile, { workerData });
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(workerFile))});`, { eval: true, workerData });
}

/**
 * Terminates the workers and resolves once each has exited. The process is held meanwhile: an
 * idle worker is kept unref'd (it must not hold the process), and with nothing else pending the
 * process sometimes ended with every terminate() unanswered, so a caller awaiting the stop was
 * never resumed (the cluster tests' closes of the read pool: 7 of ~140 runs under load).
 */
export async function stopWorkers(workers: Worker[]): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await Promise.all(workers.map((w) => w.terminate()));
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * Resolves when the worker exits, the process held meanwhile (see stopWorkers: terminate() refs
 * the worker, and yet the process was seen to end before its exit). Call it before asking the
 * worker to stop.
 */
export function exitOf(worker: Worker): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  return new Promise<void>((resolve) =>
    worker.once('exit', () => {
      clearInterval(keepAlive);
      resolve();
    }),
  );
}
