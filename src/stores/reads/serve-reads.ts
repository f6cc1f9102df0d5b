// The worker's side of worker-pool.ts: answers each request by calling the method of that name on
// the engine's reads object, so rows are parsed and shaped here and only the answer crosses over.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { setPriority } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { toShape } from '../read-errors.js';
import { PROMPT, type ReadJob, type ReadOp, type ReadReply, type ReadRequest } from './protocol.js';

type JobFn = (reads: object, ...args: unknown[]) => unknown;
const jobModules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * The function a job names. From TypeScript source (tests, tsx) a read worker has tsx's require hook
 * only (worker-pool.ts), which import() does not use: there a .ts module is required instead.
 */
async function jobFunction(job: ReadJob): Promise<JobFn> {
  if (!job.module.startsWith('file:')) throw new Error(`a read job's module must be a file URL, not ${job.module}`);
  let mod = jobModules.get(job.module);
  if (!mod) {
    mod =
      job.module.endsWith('.ts') && !isMainThread
        ? Promise.resolve(createRequire(job.module)(fileURLToPath(job.module)) as Record<string, unknown>)
        : (import(job.module) as Promise<Record<string, unknown>>);
    jobModules.set(job.module, mod);
  }
  const fn = (await mod)[job.fn];
  if (typeof fn !== 'function') throw new Error(`read job ${job.fn} is not exported by ${job.module}`);
  return fn as JobFn;
}

/** Runs one request against the engine's reads object: a method of that name, or a job given that object. */
export async function answerRead(reads: object, op: ReadOp, args: unknown[]): Promise<unknown> {
  if (op === 'job') {
    const [job, ...rest] = args as [ReadJob, ...unknown[]];
    return (await jobFunction(job))(reads, ...rest);
  }
  const fn = (reads as Record<string, (...a: unknown[]) => unknown>)[op];
  return fn.apply(reads, args);
}

/** Nice value of a read thread (0 = the process's; 19 = the lowest). */
export const READ_THREAD_NICE = 10;

/** Whether this read worker is the pool's prompt worker (protocol.ts PROMPT: short reads, normal priority). */
export function isPromptWorker(): boolean {
  return workerData !== null && typeof workerData === 'object' && (workerData as Record<string, unknown>)[PROMPT] === true;
}

/**
 * Lowers this thread's priority (not the prompt worker's); on Linux it applies to this thread only:
 * when reads and ingest want the same cores, ingest wins.
 */
export function lowerReadPriority(): void {
  if (isPromptWorker()) return;
  try {
    setPriority(READ_THREAD_NICE);
  } catch {
    // Not permitted here (or not Linux): reads run at the process's priority.
  }
}

/**
 * Buffers an answer hands over rather than copies: a group answer's JSON bytes (store.ts GroupAnswer) or an export chunk's,
 * when they own their whole ArrayBuffer (a view into a shared pool must never be detached).
 */
function transferOf(result: unknown): ArrayBuffer[] {
  const r = result !== null && typeof result === 'object' ? (result as { json?: unknown; bytes?: unknown }) : undefined;
  // A group answer's JSON, or an export chunk's bytes.
  const json = r?.json ?? r?.bytes;
  return json instanceof Uint8Array && json.buffer instanceof ArrayBuffer && json.byteOffset === 0 && json.byteLength === json.buffer.byteLength
    ? [json.buffer]
    : [];
}

/** Tells the pool this worker is ready and answers its requests from then on (starting, or compiling from source, is no read's time). */
export function serveReads(reads: object): void {
  const port = parentPort!;
  const reply = (m: ReadReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  port.on('message', (req: ReadRequest) => {
    void (async () => {
      try {
        const result = await answerRead(reads, req.op, req.args);
        reply({ id: req.id, ok: true, result }, transferOf(result));
      } catch (err) {
        reply({ id: req.id, ok: false, error: toShape(err) });
      }
    })();
  });
  reply({ id: 0, ok: true, ready: true });
}
