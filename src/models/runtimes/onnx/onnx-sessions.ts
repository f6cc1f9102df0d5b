import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker, stopWorkers } from '../../../module-worker.js';
import type { SessionReply, SessionRequest } from './onnx-protocol.js';

type Load = NonNullable<SessionRequest['load']>;

/**
 * The main thread's side of the ONNX thread (onnx-thread.ts): loads, runs and releases sessions
 * there. The thread starts with the first load (a server with no ONNX bundle maps no native
 * library) and stops with the last release. A thread that dies fails what it was asked, and the
 * next request starts another with every loaded session loaded again.
 */
export class OnnxSessions {
  private worker: Worker | null = null;
  private nextId = 1;
  private nextSession = 1;
  private readonly waiting = new Map<number, { resolve(r: SessionReply): void; reject(e: Error): void }>();
  /** Loaded sessions, to load again on a new thread. */
  private readonly loaded = new Map<number, Load>();

  async load(path: string, steps: number, features: number): Promise<{ session: number; batchable: boolean }> {
    const load = { session: this.nextSession++, path, steps, features };
    const r = await this.ask({ load });
    this.loaded.set(load.session, load);
    return { session: load.session, batchable: r.batchable === true };
  }

  /** `batch` windows laid end to end, in one call of the model or (`each`) one call a window. */
  async run(session: number, data: Float32Array, batch: number, each = false): Promise<Float32Array> {
    // A buffer of its own to hand over (a window may be a view into its caller's).
    const own = data.slice();
    const r = await this.ask({ run: { session, data: own, batch, each } }, [own.buffer]);
    return r.output!;
  }

  async release(session: number): Promise<void> {
    if (!this.loaded.delete(session)) return;
    // The thread stops with the last session, unless something is still asked of it (a load under way).
    if (this.loaded.size || this.waiting.size) {
      await this.ask({ release: { session } });
      return;
    }
    const w = this.worker;
    this.worker = null;
    if (w) await stopWorkers([w]);
  }

  private ask(req: Omit<SessionRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<SessionReply> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<SessionReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...req, id } satisfies SessionRequest, transfer);
    });
  }

  private start(): Worker {
    const worker = startModuleWorker(siblingModule(import.meta.url, 'onnx-thread'), null);
    this.worker = worker;
    worker.unref();
    worker.on('message', (r: SessionReply) => {
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      if (!this.waiting.size) worker.unref();
      if (!w) return;
      if (r.ok) w.resolve(r);
      else w.reject(new Error(r.error ?? 'ONNX thread failed'));
    });
    const lost = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const w of this.waiting.values()) w.reject(new Error(`ONNX thread stopped: ${err.message}`));
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`exited with code ${code}`)));
    // Sessions loaded on a thread that died: loaded again before anything else is asked of this one.
    for (const load of this.loaded.values()) {
      const id = this.nextId++;
      this.waiting.set(id, { resolve: () => {}, reject: () => {} });
      worker.ref();
      worker.postMessage({ id, load } satisfies SessionRequest);
    }
    return worker;
  }
}
