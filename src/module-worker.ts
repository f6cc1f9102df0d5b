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
 * `done`, with the process held until it settles. An idle worker is kept unref'd (it must not hold
 * the process), and with nothing else pending the process sometimes ended while a worker was being
 * stopped, so a caller awaiting the stop was never resumed (the cluster tests' closes of the read
 * pool: 7 of ~140 runs under load), although terminate() refs the worker.
 */
async function held<T>(done: Promise<T>): Promise<T> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await done;
  } finally {
    clearInterval(keepAlive);
  }
}

/** Terminates the workers and resolves once each has exited. */
export async function stopWorkers(workers: Worker[]): Promise<void> {
  await held(Promise.all(workers.map((w) => w.terminate())));
}

/** Resolves when the worker exits, the process held meanwhile: call it before asking the worker to stop. */
export function exitOf(worker: Worker): Promise<void> {
  return held(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
}
