import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { exitOf, siblingModule, startModuleWorker } from '../../module-worker.js';
import type { CheckpointWorkerData } from './checkpoint-worker.js';

/** How often the checkpointer looks at the WAL: a few commits' worth of pages between checkpoints. */
const CHECKPOINT_EVERY_MS = 250;
/** SQLite's own default: what the writer goes back to if the checkpointer's thread is lost. */
export const AUTOCHECKPOINT_PAGES = 1000;

/**
 * Checkpoints the WAL on a thread of its own instead of in the commit that crosses 1,000 pages.
 * SQLite's automatic checkpoint runs inside that commit, on the writer's thread: copying ~4 MB of
 * pages and syncing the database file, tens of ms (more on a busy disk) during which no PUBACK and
 * no /health is answered. Here the writer never checkpoints (wal_autocheckpoint = 0) and a PASSIVE
 * checkpoint runs every 250 ms on another connection, beside the writer's commits. If that thread is
 * lost, the writer checkpoints again as before: the WAL never grows without bound.
 */
export class WalCheckpointer {
  private worker: Worker | null;
  private pages = 0;

  constructor(
    private readonly db: Database.Database,
    path: string,
    walSizeLimit: number,
    everyMs = CHECKPOINT_EVERY_MS,
    /** The thread is lost: the connection that commits telemetry (the writer thread's) must checkpoint again. */
    private readonly onLost: () => void = () => {},
  ) {
    const data: CheckpointWorkerData = { path, everyMs, walSizeLimit };
    const worker = startModuleWorker(siblingModule(import.meta.url, 'checkpoint-worker'), data);
    worker.unref();
    worker.on('message', (m: { checkpointed?: number }) => {
      if (m.checkpointed) this.pages += m.checkpointed;
    });
    const lost = () => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      this.onLost();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    this.worker = worker;
    db.pragma('wal_autocheckpoint = 0');
  }

  /** Pages the checkpointer copied into the database file so far (a WAL frame copied again counts again). */
  get checkpointedPages(): number {
    return this.pages;
  }

  /** Whether the checkpointer's thread is running (else the writer checkpoints, as SQLite does by default). */
  get running(): boolean {
    return this.worker !== null;
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    // The thread is unref'd so that an idle store does not hold the process: while it is being stopped, it must (exitOf).
    const exited = exitOf(w);
    w.on('message', (m: { stopped?: true }) => {
      if (m.stopped) void w.terminate();
    });
    w.postMessage({ stop: true });
    await exited;
  }
}
