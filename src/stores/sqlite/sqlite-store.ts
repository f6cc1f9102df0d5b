import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RetentionPolicy, Store, StoreCondition } from '../store.js';
import { SqliteDiskWatch } from './disk-watch.js';
import { migrations } from './migrations.js';
import { SqliteAlarmTables } from './alarm-tables.js';
import { SqliteDeviceTables } from './device-tables.js';
import { SqliteAuthTables } from './auth-tables.js';
import { SqliteTelemetry, type CommitStages } from './telemetry-tables.js';
import { SqliteCatalog } from './catalog-tables.js';
import { SqliteAuditTables } from './audit-tables.js';
import { SqliteReads } from './sqlite-reads.js';
import { InlineReads, SqliteReadPool, type ReadRunner } from './read-pool.js';
import { defaultRetention } from '../retention.js';
import { SqliteRetentionTables } from './retention-tables.js';
import { AUTOCHECKPOINT_PAGES, WalCheckpointer } from './wal-checkpointer.js';
import { SqliteBlobTables, SqliteModelTables } from './blob-tables.js';
import { ChunkedBlobs } from '../blob-chunks.js';
import { SqliteWriterThread, writerThreadData } from './write-thread.js';
import { takingTurns, WriteTurns } from './write-turns.js';

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** 'full' survives power loss; 'normal' (default here; the server's default is full, --sqlite-synchronous) survives a killed process, which is what WAL promises. */
  synchronous?: 'normal' | 'full';
  retention?: RetentionPolicy;
  /** Free space under which the store reports itself degraded and truncates its WAL (default 64 MiB). */
  minFreeBytes?: number;
  /** Read-only connections on worker threads that serve reads (default 2; 0 reads on the calling thread). */
  readWorkers?: number;
  /** Time limit of one read, queueing included (default 5000 ms). */
  readTimeoutMs?: number;
  /** Told when a read ran out of time; running: its worker was replaced. */
  onReadTimeout?: (op: string, running: boolean) => void;
  /** Told of each read a worker answered: seconds waiting for a worker, seconds running. */
  onRead?: (op: string, queuedSec: number, runSec: number) => void;
  /**
   * Telemetry commits on a writer thread of their own (database files; default true). False: on this
   * thread, as before (a PUBACK then waits for every commit, and for the write lock).
   */
  writerThread?: boolean;
  /** Told when the writer thread died; the writes it held were rejected (and spooled by the pipeline). */
  onWriterCrash?: (err: Error) => void;
  /** Told where each telemetry commit on the writer thread spent its time. */
  onWriterCommit?: (stages: CommitStages) => void;
  /** How often the checkpointer's thread copies the WAL into the database file (wal-checkpointer.ts). */
  checkpointEveryMs?: number;
}

/** The WAL is cut back to this after a checkpoint, so one burst does not keep its disk space for good. */
const WAL_SIZE_LIMIT = 16 * 1024 * 1024;

/** The Store on one SQLite file: one connection, each area in its own table module. */
export class SqliteStore implements Store {
  readonly engine = 'sqlite';
  private db!: Database.Database;
  telemetry!: SqliteTelemetry;
  alarms!: SqliteAlarmTables;
  devices!: SqliteDeviceTables;
  auth!: SqliteAuthTables;
  catalog!: SqliteCatalog;
  audit!: SqliteAuditTables;
  retention!: SqliteRetentionTables;
  blobs!: ChunkedBlobs;
  models!: SqliteModelTables;
  /** Where reads run: a pool of worker threads, so that this thread (which acknowledges devices) never does. */
  private reads!: ReadRunner;
  private disk!: SqliteDiskWatch;
  /** Checkpoints the WAL off this thread (file databases). */
  private checkpointer: WalCheckpointer | null = null;
  /** Runs every telemetry write transaction (database files), so this thread never does. */
  writer: SqliteWriterThread | null = null;
  /** Turns at the write lock between the writer thread and this thread's own writes (write-turns.ts). */
  readonly turns = new WriteTurns();

  constructor(private readonly opts: SqliteOptions) {}

  async open(): Promise<void> {
    if (this.opts.path !== ':memory:') mkdirSync(dirname(this.opts.path), { recursive: true });
    const db = new Database(this.opts.path);
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    this.migrate();
    if (this.opts.path !== ':memory:')
      this.checkpointer = new WalCheckpointer(db, this.opts.path, WAL_SIZE_LIMIT, this.opts.checkpointEveryMs, () =>
        this.writer?.setWalAutocheckpoint(AUTOCHECKPOINT_PAGES),
      );
    this.disk = new SqliteDiskWatch(db, this.opts.path, this.opts.minFreeBytes);
    const retention = this.opts.retention ?? defaultRetention;
    const workers = this.opts.readWorkers ?? 3;
    const reads: ReadRunner =
      this.opts.path === ':memory:' || workers === 0
        ? new InlineReads(new SqliteReads(db, retention))
        : new SqliteReadPool({
            path: this.opts.path,
            retention,
            size: workers,
            timeoutMs: this.opts.readTimeoutMs ?? 5000,
            onTimeout: this.opts.onReadTimeout,
            onRead: this.opts.onRead,
          });
    this.reads = reads;
    if (this.opts.path !== ':memory:' && this.opts.writerThread !== false) {
      const autocheckpoint = this.checkpointer?.running ? 0 : AUTOCHECKPOINT_PAGES;
      this.writer = new SqliteWriterThread(
        writerThreadData(this.opts.path, this.opts.synchronous, WAL_SIZE_LIMIT, autocheckpoint, retention),
        this.opts.onWriterCrash,
      );
      await this.writer.start();
      // The writer thread gives the log's file back a slice at a time (wal-give-back.ts); a restart of the
      // log in one of this thread's own writes must not cut it all at once, with the event loop held.
      db.pragma('journal_size_limit = -1');
    }
    this.telemetry = new SqliteTelemetry(
      db,
      retention,
      reads,
      this.disk,
      this.writer ? { writer: this.writer, turns: this.turns } : null,
      this.opts.onWriterCommit,
    );
    if (this.opts.path !== ':memory:') this.telemetry.retentionPath = this.opts.path;
    // A backtest reads up to millions of readings: on a read worker, with a longer limit than a page view.
    const replayLimit = { timeoutMs: Math.max(60_000, this.opts.readTimeoutMs ?? 5000) };
    // This thread's own writes take turns with the writer thread's: never a wait for the lock here.
    const turn = <T extends object>(tables: T, reads: readonly string[] = []): T => (this.writer ? takingTurns(tables, this.turns, reads) : tables);
    this.alarms = turn(
      new SqliteAlarmTables(
        db,
        (q) => reads.run('replayReadings', [q], replayLimit),
        (job, args) => reads.run('job', [job, ...args], replayLimit),
      ),
      ['runReadJob', 'replayReadings'],
    );
    this.devices = turn(new SqliteDeviceTables(db));
    this.auth = turn(new SqliteAuthTables(db));
    this.catalog = turn(new SqliteCatalog(db));
    this.audit = turn(new SqliteAuditTables(db));
    this.retention = turn(new SqliteRetentionTables(db));
    this.blobs = new ChunkedBlobs(turn(new SqliteBlobTables(db)));
    this.models = turn(new SqliteModelTables(db));
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < migrations.length; v++) {
      this.db.transaction(() => {
        this.db.exec(migrations[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async close(): Promise<void> {
    // Drained first: every write asked for before close (queued for its turn or in the writer's
    // hands) commits and is answered before the connections go; the last turn closes the thread.
    if (this.writer) await this.turns.run(() => this.writer!.close());
    await this.reads?.close();
    await this.checkpointer?.stop();
    if (this.db?.open) this.db.close();
  }

  /** Whether writes can go on (a full or nearly full disk), for /health. */
  condition(): StoreCondition {
    return this.disk.condition();
  }

  /** WAL checkpoints with truncation done because space was short or writes resumed. */
  get walTruncations(): number {
    return this.disk.walTruncations;
  }

  /** WAL pages copied into the database by the checkpointer's thread (tests; 0 for an in-memory database). */
  get walCheckpointedPages(): number {
    return this.checkpointer?.checkpointedPages ?? 0;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }
}
