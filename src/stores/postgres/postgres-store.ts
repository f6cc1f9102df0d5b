import postgres, { type Sql } from 'postgres';
import type { ChangeNotice, ChangeSource, RetentionPolicy, Store } from '../store.js';
import { CHANGE_CHANNEL, parseNotice } from './change-notify.js';
import { migrations } from './migrations.js';
import { defaultRetention } from '../retention.js';
import { PgAlarmTables } from './alarm-tables.js';
import { PgDeviceTables } from './device-tables.js';
import { PgAuthTables } from './auth-tables.js';
import { PgProfileSequence } from './profile-sequence.js';
import { PgTelemetry } from './telemetry-tables.js';
import { PgAuditTables } from './audit-tables.js';
import { PgRetentionTables } from './retention-tables.js';
import { PgReads } from './pg-reads.js';
import { PgBlobTables, PgModelTables } from './blob-tables.js';
import { ChunkedBlobs } from '../blob-chunks.js';
import { numericBigints } from './pg-types.js';
import { noDelay } from './pg-socket.js';
import type { PgReadWorkerData } from './pg-read-worker.js';
import { InlineReads, ReadWorkerPool, type ReadRunner } from '../reads/worker-pool.js';
import { siblingModule } from '../../module-worker.js';

export interface PostgresOptions {
  /** postgres://user@host:port/db (a password belongs in PGPASSWORD or ~/.pgpass, not here). */
  url: string;
  retention?: RetentionPolicy;
  /** Daily partitions created ahead of today. */
  partitionsAhead?: number;
  /** Connections in the pool of everything but telemetry writes and reads (the API's, retention's). */
  max?: number;
  /** Time limit of one read (statement_timeout on the read pool's sessions), default 5000 ms. */
  readTimeoutMs?: number;
  /** Read worker threads, each with its own connection (default 2; 0: reads on the caller's thread, on a pool of 4 connections). */
  readWorkers?: number;
  onReadTimeout?: (op: string, running: boolean) => void;
  /** Told of each read a worker answered: seconds waiting for a worker, seconds running. */
  onRead?: (op: string, queuedSec: number, runSec: number) => void;
}

/** Least time a PostgreSQL read worker is given, past a read's limit, to answer with the server's cancel. */
const PG_CANCEL_GRACE_MS = 5000;

const MIGRATION_LOCK = 0x6669656c64; // "field"
/** The pipeline commits one batch at a time; a second connection serves an import writing beside it. */
const WRITE_CONNECTIONS = 2;

/** The Store on PostgreSQL: one pool, each area in its own table module. */
export class PostgresStore implements Store {
  readonly engine = 'postgres';
  private sql!: Sql;
  /**
   * Telemetry writes' own connections: a commit never waits for a connection behind the API's queries
   * (a device list, an audit page, a retention pass), and the ack path's round trips start at once.
   */
  private writeSql!: Sql;
  telemetry!: PgTelemetry;
  alarms!: PgAlarmTables;
  devices!: PgDeviceTables;
  auth!: PgAuthTables;
  catalog!: PgProfileSequence;
  audit!: PgAuditTables;
  retention!: PgRetentionTables;
  blobs!: ChunkedBlobs;
  models!: PgModelTables;
  /** Reads run on worker threads with sessions of their own, with a statement timeout (pg-reads.ts, pg-read-worker.ts). */
  private reads: ReadRunner | null = null;
  private readSql: Sql | null = null;

  constructor(private readonly opts: PostgresOptions) {}

  async open(): Promise<void> {
    this.sql = postgres(this.opts.url, { max: this.opts.max ?? 4, onnotice: () => {}, types: numericBigints, ...noDelay() });
    await this.migrate();
    this.writeSql = postgres(this.opts.url, { max: WRITE_CONNECTIONS, onnotice: () => {}, types: numericBigints, ...noDelay() });
    // Open before the first batch: postgres.js learns the array types when its first connection opens.
    await this.writeSql`SELECT 1`;
    const reads = await this.openReads();
    this.reads = reads;
    // A backtest reads up to millions of readings: on a read worker, with a longer limit than a page view.
    const replayLimit = { timeoutMs: Math.max(60_000, this.opts.readTimeoutMs ?? 5000) };
    this.alarms = new PgAlarmTables(
      this.sql,
      (q) => reads.run('replayReadings', [q], replayLimit),
      (job, args) => reads.run('job', [job, ...args], replayLimit),
    );
    this.devices = new PgDeviceTables(this.sql);
    this.auth = new PgAuthTables(this.sql);
    this.catalog = new PgProfileSequence(this.sql);
    this.audit = new PgAuditTables(this.sql);
    this.retention = new PgRetentionTables(this.sql);
    this.blobs = new ChunkedBlobs(new PgBlobTables(this.sql));
    this.models = new PgModelTables(this.sql);
    this.telemetry = new PgTelemetry(this.sql, this.opts, this.catalog, reads, this.writeSql);
    await this.telemetry.init();
  }

  private async openReads(): Promise<ReadRunner> {
    const retention = this.opts.retention ?? defaultRetention;
    const timeoutMs = this.opts.readTimeoutMs ?? 5000;
    const workers = this.opts.readWorkers ?? 3;
    if (workers === 0) {
      this.readSql = postgres(this.opts.url, { max: 4, onnotice: () => {}, types: numericBigints, connection: { statement_timeout: timeoutMs }, ...noDelay() });
      // postgres.js learns the array types when its first connection opens: a text[] parameter built before then goes out as a scalar.
      await this.readSql`SELECT 1`;
      return new InlineReads(new PgReads(this.readSql, retention, timeoutMs));
    }
    const workerData: PgReadWorkerData = { url: this.opts.url, retention, timeoutMs };
    return new ReadWorkerPool({
      workerFile: siblingModule(import.meta.url, 'pg-read-worker'),
      workerData,
      size: workers,
      timeoutMs,
      // statement_timeout cancels a statement past the limit in the server and the worker answers; a
      // worker is replaced only if it has not answered well after (a read of many statements, a lost server).
      selfCancelGraceMs: Math.max(timeoutMs, PG_CANCEL_GRACE_MS),
      onTimeout: this.opts.onReadTimeout,
      onRead: this.opts.onRead,
    });
  }

  private async migrate(): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
      const [{ v }] = await tx<{ v: number }[]>`SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations`;
      if (v >= migrations.length) return;
      const [{ n }] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'`;
      for (let i = v; i < migrations.length; i++) {
        await migrations[i](tx as unknown as Sql, { timescale: n > 0 });
        await tx`INSERT INTO schema_migrations (version) VALUES (${i + 1})`;
      }
    });
  }

  async close(): Promise<void> {
    await this.reads?.close();
    await this.readSql?.end({ timeout: 5 });
    await this.writeSql?.end({ timeout: 5 });
    await this.sql?.end({ timeout: 5 });
  }

  /** LISTEN on its own connection, which postgres.js re-opens (and LISTENs again) after a loss. */
  readonly changes: ChangeSource = {
    listenChanges: async (onChange: (c: ChangeNotice) => void, onListen: () => void) => {
      const { unlisten } = await this.sql.listen(
        CHANGE_CHANNEL,
        (payload) => {
          const c = parseNotice(payload);
          if (c) onChange(c);
        },
        onListen,
      );
      return unlisten;
    },
  };

  async ping(): Promise<void> {
    try {
      await this.sql`SELECT 1`;
    } catch {
      // A pooled connection that died while the server was away fails its first query, and the pool
      // opens a new one for the next: one more try, so /health does not say "down" (503) once after
      // the server is back (seen in CI right after a spool drained). A server still away fails again.
      await this.sql`SELECT 1`;
    }
  }
}
