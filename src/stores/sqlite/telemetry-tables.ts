import type Database from 'better-sqlite3';
import type { RawSeries } from '../../model/telemetry.js';
import type {
  BucketQuery,
  BucketResult,
  ManyBucketQuery,
  ManyBucketResult,
  ExportQuery,
  GroupRangeQuery,
  GroupRecentQuery,
  GroupAnswer,
  GroupRow,
  RangeQuery,
  RejectedQuery,
  RejectedRecord,
  RetentionPolicy,
  RetentionResult,
  RollupQuery,
  RollupRow,
  StatsQuery,
  StatsResult,
  StoredDevice,
  TelemetryStore,
  WriteBatch,
  WriteResult,
} from '../store.js';
import { SqliteHistory } from './sqlite-history.js';
import { SqliteTelemetryWriter } from './telemetry-writer.js';
import { encodeWriteBatch } from './write-batch-codec.js';
import type { SqliteWriterThread } from './write-thread.js';
import type { WriteTurns } from './write-turns.js';
import { exportRowsVia, exportTextVia } from '../reads/paged-export.js';
import type { ReadRunner } from '../reads/worker-pool.js';
import type { ExportFormat } from '../export-format.js';
import { retentionOffThread } from './retention-thread.js';

/** devicesChangedElsewhere: a full comparison at least this often while other connections commit. */
const FULL_LOOK_EVERY = 30;

/** Where one telemetry commit on the writer thread spent its time, in seconds. */
export interface CommitStages {
  /** Waiting for the write lock's turn (this thread's own write, or the previous batch, in progress). */
  turnSec: number;
  /** The transaction on the writer thread, COMMIT included. */
  transactionSec: number;
  /** Handing the batch over and the answer back: postMessage both ways, the writer thread waiting for a core, this thread's event loop. */
  handoverSec: number;
}

/**
 * The SQLite side of TelemetryStore. Writes: the transaction (telemetry-writer.ts) runs on the writer
 * thread for a database file, so the thread that acknowledges devices never runs it nor waits for the
 * write lock; on this thread's connection only for ':memory:' (no other connection can see it).
 * Reads: the read workers. History and dead letters: sqlite-history.ts, here.
 */
export class SqliteTelemetry implements TelemetryStore {
  private dataVersion: number | undefined;
  /** The devices table's highest rowid when last looked at, and looks since the last full answer. */
  private devicesTop: number | null | undefined;
  private looksSinceFull = 0;
  private readonly setProfile: Database.Statement;
  private readonly devicesTopQuery: Database.Statement;
  private readonly history: SqliteHistory;
  /** ':memory:' only: the write transaction on this connection. */
  private readonly inline: SqliteTelemetryWriter | null;

  constructor(
    private readonly db: Database.Database,
    readonly retention: RetentionPolicy,
    /** Where reads run: worker threads, so that the thread which acknowledges devices never does. */
    private readonly reads: ReadRunner,
    /** Told of each write's outcome: a full disk is reported on /health and its WAL given back. */
    private readonly disk?: { failed(err: unknown): void; succeeded(): void },
    /** The writer thread and the turns this thread's own writes take with it; null: write here. */
    private readonly thread: { writer: SqliteWriterThread; turns: WriteTurns } | null = null,
    /** Told where each telemetry commit on the writer thread spent its time (seconds; see CommitStages). */
    private readonly onCommit?: (stages: CommitStages) => void,
  ) {
    this.setProfile = db.prepare('UPDATE devices SET profile = ? WHERE id = ?');
    this.devicesTopQuery = db.prepare('SELECT max(rowid) FROM devices').pluck();
    this.history = new SqliteHistory(db, retention);
    this.inline = thread ? null : new SqliteTelemetryWriter(db, retention);
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    // One process owns a SQLite file: there are no partition leases to fence by (cluster mode refuses SQLite).
    if (batch.fences?.length) throw new Error('partition fences need the shared PostgreSQL store');
    const encoded = encodeWriteBatch(batch);
    if (!this.thread) return this.settle(() => this.inline!.write(encoded));
    const { writer, turns } = this.thread;
    const asked = performance.now();
    // The disk watch may truncate the WAL on this thread's connection: inside the turn, with the writer idle.
    return turns.run(async () => {
      const turn = performance.now();
      const r = await this.settle(() => writer.write(encoded));
      const answered = performance.now();
      this.onCommit?.({ turnSec: (turn - asked) / 1000, transactionSec: r.txSec, handoverSec: Math.max(0, (answered - turn) / 1000 - r.txSec) });
      return { inserted: r.inserted, duplicates: r.duplicates };
    });
  }

  private async settle<R extends WriteResult>(write: () => R | Promise<R>): Promise<R> {
    let result: R;
    try {
      result = await write();
    } catch (err) {
      this.disk?.failed(err);
      throw err;
    }
    this.disk?.succeeded();
    return result;
  }

  // Reads go to the read runner (a pool of worker threads; sqlite-reads.ts holds the queries).
  queryBuckets = (q: BucketQuery): Promise<BucketResult> => this.reads.run('queryBuckets', [q]);
  queryBucketsMany = (q: ManyBucketQuery): Promise<ManyBucketResult> => this.reads.run('queryBucketsMany', [q]);
  queryRollups = (q: RollupQuery): Promise<RollupRow[]> => this.reads.run('queryRollups', [q]);
  stats = (q: StatsQuery): Promise<StatsResult> => this.reads.run('stats', [q]);
  groupRecent = (q: GroupRecentQuery): Promise<GroupAnswer> => this.reads.run('groupRecent', [q]);
  groupRange = (q: GroupRangeQuery): Promise<GroupAnswer> => this.reads.run('groupRange', [q]);
  queryRange = (q: RangeQuery): Promise<Record<string, RawSeries>> => this.reads.run('queryRange', [q]);

  exportRows = (q: ExportQuery): AsyncIterable<GroupRow> => exportRowsVia(this.reads, q);
  exportText = (q: ExportQuery, format: ExportFormat): AsyncIterable<Uint8Array> => exportTextVia(this.reads, q, format);

  /** Set for a database file: retention passes run on a worker thread with their own connection. */
  retentionPath: string | null = null;

  async applyRetention(now = Date.now(), policy: RetentionPolicy = this.history.retention): Promise<RetentionResult> {
    if (this.retentionPath) return retentionOffThread(this.retentionPath, now, policy);
    return this.history.applyRetention(now, policy);
  }

  async listDevices(): Promise<StoredDevice[]> {
    const devices = new Map<string, StoredDevice>();
    for (const row of this.db.prepare('SELECT id, profile, first_seen, last_seen FROM devices ORDER BY id').all() as {
      id: string;
      profile: string | null;
      first_seen: number;
      last_seen: number;
    }[]) {
      devices.set(row.id, { id: row.id, profile: row.profile, firstSeen: row.first_seen, lastSeen: row.last_seen, latest: {} });
    }
    for (const s of this.db.prepare('SELECT device, metric, last_ts, last_value FROM series WHERE last_ts IS NOT NULL').all() as {
      device: string;
      metric: string;
      last_ts: number;
      last_value: number;
    }[]) {
      const d = devices.get(s.device);
      if (d) d.latest[s.metric] = { ts: s.last_ts, value: s.last_value };
    }
    return [...devices.values()];
  }

  async deviceIds(): Promise<string[]> {
    return this.db.prepare('SELECT id FROM devices').pluck().all() as string[];
  }

  /**
   * data_version changes when another connection commits; this one's own commits leave it. But the
   * writer thread is another connection: every telemetry commit moved it, and the caller then read
   * every device id on this thread once a second (100,000 ids at 100,000 devices). So a change counts
   * when the devices table grew (its highest rowid, one index step), and, for a device deleted and
   * another added in between, once every FULL_LOOK_EVERY changed looks anyway.
   */
  async devicesChangedElsewhere(): Promise<boolean> {
    const v = this.db.pragma('data_version', { simple: true }) as number;
    const changed = v !== (this.dataVersion ??= v);
    this.dataVersion = v;
    const top = (this.devicesTopQuery.get() as number | null) ?? null;
    const grew = this.devicesTop !== undefined && top !== this.devicesTop;
    this.devicesTop = top;
    if (!changed) return false;
    if (grew || ++this.looksSinceFull >= FULL_LOOK_EVERY) {
      this.looksSinceFull = 0;
      return true;
    }
    return false;
  }

  async setDeviceProfile(device: string, profile: string | null): Promise<void> {
    const set = (): void => void this.setProfile.run(profile, device);
    if (this.thread) await this.thread.turns.run(set);
    else set();
  }

  async listRejected(q: RejectedQuery): Promise<RejectedRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.before !== undefined) {
      where.push('id < ?');
      args.push(q.before);
    }
    if (q.device !== undefined) {
      where.push('device = ?');
      args.push(q.device);
    }
    const sql = `SELECT id, at, source, device, field, rule, error, payload FROM rejected ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, q.limit) as RejectedRecord[];
  }
}
