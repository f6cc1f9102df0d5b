import type Database from 'better-sqlite3';
import { NO_SEQ } from '../../model/reading.js';
import { microsWithinMs, wholeMs } from '../../model/time.js';
import type { RawSeries } from '../../model/telemetry.js';
import type {
  BucketQuery,
  BucketResult,
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
import { RollupAccumulator } from '../rollup-accumulator.js';
import { exportRowsVia, exportTextVia } from '../reads/paged-export.js';
import type { ReadRunner } from '../reads/worker-pool.js';
import type { ExportFormat } from '../export-format.js';
import { retentionOffThread } from './retention-thread.js';

type Stmt = Database.Statement;

/** Rows per multi-row INSERT: 64 x 5 parameters, well under SQLite's limit of 32,766. */
const INSERT_CHUNK = 64;

/** The SQLite side of TelemetryStore: readings, rollups (kept in the write transaction), history and dead letters. */
export class SqliteTelemetry implements TelemetryStore {
  private seriesIds = new Map<string, Map<string, number>>();
  private dataVersion: number | undefined;
  private stmts: Record<
    | 'upsertDevice'
    | 'insertSeries'
    | 'findSeries'
    | 'insertReading'
    | 'updateLatest'
    | 'insertRejected'
    | 'setProfile'
    | 'saveSeqState'
    | 'addSeqStats'
    | 'saveCheckpoint'
    | 'insertReadings'
    | 'savepoint'
    | 'release'
    | 'rollbackTo',
    Stmt
  >;
  /** Reused bind array of the multi-row insert. */
  private readonly chunkArgs: unknown[] = new Array(INSERT_CHUNK * 5);
  private readonly writeTx: (batch: WriteBatch) => WriteResult;
  private readonly history: SqliteHistory;

  constructor(
    private readonly db: Database.Database,
    readonly retention: RetentionPolicy,
    /** Where reads run: worker threads, so that the thread which acknowledges devices never does. */
    private readonly reads: ReadRunner,
    /** Told of each write's outcome: a full disk is reported on /health and its WAL given back. */
    private readonly disk?: { failed(err: unknown): void; succeeded(): void },
  ) {
    this.stmts = {
      upsertDevice: db.prepare(
        `INSERT INTO devices (id, profile, first_seen, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
           profile = coalesce(devices.profile, excluded.profile)`,
      ),
      insertSeries: db.prepare('INSERT INTO series (device, metric) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      findSeries: db.prepare('SELECT id FROM series WHERE device = ? AND metric = ?').pluck(),
      insertReading: db.prepare('INSERT OR IGNORE INTO readings (series, ts, us, value, seq) VALUES (?, ?, ?, ?, ?)'),
      insertReadings: db.prepare(
        `INSERT OR IGNORE INTO readings (series, ts, us, value, seq) VALUES ${Array(INSERT_CHUNK).fill('(?, ?, ?, ?, ?)').join(', ')}`,
      ),
      savepoint: db.prepare('SAVEPOINT bulk'),
      release: db.prepare('RELEASE bulk'),
      rollbackTo: db.prepare('ROLLBACK TO bulk'),
      updateLatest: db.prepare('UPDATE series SET last_ts = ?, last_value = ? WHERE id = ? AND (last_ts IS NULL OR last_ts <= ?)'),
      insertRejected: db.prepare('INSERT INTO rejected (at, source, device, field, rule, error, payload) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      setProfile: db.prepare('UPDATE devices SET profile = ? WHERE id = ?'),
      saveSeqState: db.prepare('INSERT INTO seq_state (device, state) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET state = excluded.state'),
      addSeqStats: db.prepare(
        `INSERT INTO seq_stats (device, bucket, received, duplicates, out_of_order, restarts) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device, bucket) DO UPDATE SET received = received + excluded.received, duplicates = duplicates + excluded.duplicates,
           out_of_order = out_of_order + excluded.out_of_order, restarts = restarts + excluded.restarts`,
      ),
      saveCheckpoint: db.prepare('INSERT INTO import_progress (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state'),
    };
    this.writeTx = db.transaction((batch: WriteBatch) => this.writeNow(batch));
    this.history = new SqliteHistory(db, retention);
  }

  private seriesId(device: string, metric: string): number {
    // By device, then metric: no key string built per reading (bulk imports call this millions of times).
    let byMetric = this.seriesIds.get(device);
    if (byMetric === undefined) this.seriesIds.set(device, (byMetric = new Map()));
    let id = byMetric.get(metric);
    if (id === undefined) {
      this.stmts.insertSeries.run(device, metric);
      id = this.stmts.findSeries.get(device, metric) as number;
      byMetric.set(metric, id);
    }
    return id;
  }

  /**
   * Inserts the readings INSERT_CHUNK rows per statement (a fraction of the per-statement cost of one
   * row each) inside a savepoint. Returns how many were new when that says which (all of them, or
   * none: a re-import); otherwise rolls the savepoint back and returns -1, for the caller to write
   * them row by row.
   */
  private insertAllNew(readings: WriteBatch['readings'], sids: number[]): number {
    if (readings.length < INSERT_CHUNK) return -1;
    const { insertReadings, insertReading, savepoint, release, rollbackTo } = this.stmts;
    const args = this.chunkArgs;
    savepoint.run();
    let changes = 0;
    let i = 0;
    for (; i + INSERT_CHUNK <= readings.length; i += INSERT_CHUNK) {
      for (let k = 0; k < INSERT_CHUNK; k++) {
        const r = readings[i + k];
        args[5 * k] = sids[i + k];
        args[5 * k + 1] = wholeMs(r.ts);
        args[5 * k + 2] = microsWithinMs(r.ts);
        args[5 * k + 3] = r.value;
        args[5 * k + 4] = r.seq ?? NO_SEQ;
      }
      changes += insertReadings.run(args).changes;
    }
    for (; i < readings.length; i++) {
      const r = readings[i];
      changes += insertReading.run(sids[i], wholeMs(r.ts), microsWithinMs(r.ts), r.value, r.seq ?? NO_SEQ).changes;
    }
    const known = changes === readings.length || changes === 0;
    if (!known) rollbackTo.run();
    release.run();
    return known ? changes : -1;
  }

  private writeNow(batch: WriteBatch): WriteResult {
    const { upsertDevice, insertReading, updateLatest, insertRejected } = this.stmts;
    for (const d of batch.devices) upsertDevice.run(d.id, d.profile ?? null, d.seen, d.seen);
    const readings = batch.readings;
    const sids = new Array<number>(readings.length);
    for (let i = 0; i < readings.length; i++) sids[i] = this.seriesId(readings[i].device, readings[i].metric);
    // Only readings actually stored count toward rollups: a duplicate must not be summed twice. The
    // multi-row insert cannot say which rows were new, so a batch holding any duplicate is undone and
    // written again row by row, which can.
    let inserted = this.insertAllNew(readings, sids);
    const rollups = new RollupAccumulator();
    if (inserted === readings.length) {
      for (let i = 0; i < readings.length; i++) rollups.add(sids[i], readings[i].ts, readings[i].value);
    } else if (inserted < 0) {
      inserted = 0;
      for (let i = 0; i < readings.length; i++) {
        const r = readings[i];
        const added = insertReading.run(sids[i], wholeMs(r.ts), microsWithinMs(r.ts), r.value, r.seq ?? NO_SEQ).changes;
        if (added) rollups.add(sids[i], r.ts, r.value);
        inserted += added;
      }
    }
    const latest = new Map<number, { ts: number; value: number }>();
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      const l = latest.get(sids[i]);
      // Updated in place: bulk imports pass here millions of times, one object per reading is GC churn.
      if (!l) latest.set(sids[i], { ts: r.ts, value: r.value });
      else if (r.ts >= l.ts) {
        l.ts = r.ts;
        l.value = r.value;
      }
    }
    for (const [sid, l] of latest) updateLatest.run(l.ts, l.value, sid, l.ts);
    this.history.applyRollups(rollups);
    for (const x of batch.rejected) insertRejected.run(x.at, x.source, x.device, x.field, x.rule, x.error, x.payload);
    if (batch.sequence) {
      for (const st of batch.sequence.devices) this.stmts.saveSeqState.run(st.device, JSON.stringify(st));
      for (const b of batch.sequence.buckets) this.stmts.addSeqStats.run(b.device, b.bucket, b.received, b.duplicates, b.outOfOrder, b.restarts);
    }
    if (batch.checkpoint) this.stmts.saveCheckpoint.run(batch.checkpoint.key, JSON.stringify(batch.checkpoint));
    return { inserted, duplicates: batch.readings.length - inserted };
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    // One process owns a SQLite file: there are no partition leases to fence by (cluster mode refuses SQLite).
    if (batch.fences?.length) throw new Error('partition fences need the shared PostgreSQL store');
    let result: WriteResult;
    try {
      result = this.writeTx(batch);
    } catch (err) {
      this.disk?.failed(err);
      throw err;
    }
    this.disk?.succeeded();
    return result;
  }

  // Reads go to the read runner (a pool of worker threads; sqlite-reads.ts holds the queries).
  queryBuckets = (q: BucketQuery): Promise<BucketResult> => this.reads.run('queryBuckets', [q]);
  queryRollups = (q: RollupQuery): Promise<RollupRow[]> => this.reads.run('queryRollups', [q]);
  stats = (q: StatsQuery): Promise<StatsResult> => this.reads.run('stats', [q]);
  groupRecent = (q: GroupRecentQuery): Promise<GroupAnswer> => this.reads.run('groupRecent', [q]);
  groupRange = (q: GroupRangeQuery): Promise<GroupAnswer> => this.reads.run('groupRange', [q]);
  queryRange = (q: RangeQuery): Promise<Record<string, RawSeries>> => this.reads.run('queryRange', [q]);

  exportRows = (q: ExportQuery): AsyncIterable<GroupRow> => exportRowsVia(this.reads, q);
  exportText = (q: ExportQuery, format: ExportFormat): AsyncIterable<string> => exportTextVia(this.reads, q, format);

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

  /** data_version changes when another connection (another process) commits; this one's own commits leave it. */
  async devicesChangedElsewhere(): Promise<boolean> {
    const v = this.db.pragma('data_version', { simple: true }) as number;
    const changed = v !== (this.dataVersion ??= v);
    this.dataVersion = v;
    return changed;
  }

  async setDeviceProfile(device: string, profile: string | null): Promise<void> {
    this.stmts.setProfile.run(profile, device);
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
