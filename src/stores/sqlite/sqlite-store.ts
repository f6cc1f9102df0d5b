import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RawSeries } from '../../model/telemetry.js';
import type { ImportCheckpoint, RangeQuery, RejectedQuery, RejectedRecord, Store, StoreCondition, StoredDevice, WriteBatch, WriteResult } from '../store.js';
import { DEFAULT_MIN_FREE_BYTES, freeBytes, isDiskFull } from '../disk-space.js';
import type { Profile } from '../../model/device.js';
import type { SeqDeviceState, SeqStats } from '../../pipeline/sequence.js';
import { migrations } from './migrations.js';
import { SqliteAlarmTables } from './alarm-tables.js';
import { SqliteDeviceTables } from './device-tables.js';
import { SqliteAuthTables } from './auth-tables.js';
import type { ApiKeyRecord, DeviceCredentialRecord, LoginAttemptRecord, RefreshTokenRecord, UserRecord } from '../../model/auth.js';
import type { DeviceCommand, DeviceMeta, Equipment, Firmware, OtaJob, Rollout } from '../../model/device-admin.js';
import { SqliteHistory } from './sqlite-history.js';
import { RollupAccumulator } from '../rollup-accumulator.js';
import { defaultRetention } from '../retention.js';
import type {
  BucketQuery,
  BucketResult,
  ExportQuery,
  GroupRangeQuery,
  GroupRecentQuery,
  GroupRow,
  RetentionPolicy,
  RetentionResult,
  RollupQuery,
  RollupRow,
  StatsQuery,
  StatsResult,
} from '../store.js';
import type { Alarm, AlarmEvent, AlarmQuery, AlarmStats, NotificationRecord, Rule } from '../../model/alarm.js';
import { NO_SEQ, type Reading } from '../../model/reading.js';
import type { NotificationQuery, ReplayQuery, TriggerRecord } from '../store.js';

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** 'full' survives power loss; 'normal' (default) survives a killed process, which is what WAL promises. */
  synchronous?: 'normal' | 'full';
  retention?: RetentionPolicy;
  /** Free space under which the store reports itself degraded and truncates its WAL (default 64 MiB). */
  minFreeBytes?: number;
}

/** The WAL is cut back to this after a checkpoint, so one burst does not keep its disk space for good. */
const WAL_SIZE_LIMIT = 16 * 1024 * 1024;
/** Less free space than this and the disk counts as full: no write of any size is sure to fit. */
const EXHAUSTED_BYTES = 64 * 1024;
/** Free space is looked at no more often than this from the write path. */
const SPACE_CHECK_MS = 5_000;

type Stmt = Database.Statement;

/** Rows per multi-row INSERT: 64 x 4 parameters, well under SQLite's limit of 32,766. */
const INSERT_CHUNK = 64;

export class SqliteStore implements Store {
  readonly engine = 'sqlite';
  private db!: Database.Database;
  private seriesIds = new Map<string, Map<string, number>>();
  private stmts!: Record<
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
  private readonly chunkArgs: unknown[] = new Array(INSERT_CHUNK * 4);
  private writeTx!: (batch: WriteBatch) => WriteResult;
  private alarmTables!: SqliteAlarmTables;
  private deviceTables!: SqliteDeviceTables;
  private authTables!: SqliteAuthTables;
  private history!: SqliteHistory;
  /** Set while writes fail for want of disk space. */
  private full: { since: number; error: string } | null = null;
  private spaceCheckedAt = 0;
  /** WAL checkpoints with truncation done because space was short or writes resumed. */
  walTruncations = 0;

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
    this.stmts = {
      upsertDevice: db.prepare(
        `INSERT INTO devices (id, profile, first_seen, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
           profile = coalesce(devices.profile, excluded.profile)`,
      ),
      insertSeries: db.prepare('INSERT INTO series (device, metric) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      findSeries: db.prepare('SELECT id FROM series WHERE device = ? AND metric = ?').pluck(),
      insertReading: db.prepare('INSERT OR IGNORE INTO readings (series, ts, value, seq) VALUES (?, ?, ?, ?)'),
      insertReadings: db.prepare(`INSERT OR IGNORE INTO readings (series, ts, value, seq) VALUES ${Array(INSERT_CHUNK).fill('(?, ?, ?, ?)').join(', ')}`),
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
    this.alarmTables = new SqliteAlarmTables(db);
    this.deviceTables = new SqliteDeviceTables(db);
    this.authTables = new SqliteAuthTables(db);
    this.history = new SqliteHistory(db, this.retention);
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
    if (this.db?.open) this.db.close();
  }

  // Rules, alarms, timers and the notification log live in alarm-tables.ts.
  listRules = (): Promise<Rule[]> => this.alarmTables.listRules();
  getRule = (id: string): Promise<Rule | undefined> => this.alarmTables.getRule(id);
  saveRule = (rule: Rule): Promise<void> => this.alarmTables.saveRule(rule);
  deleteRule = (id: string): Promise<boolean> => this.alarmTables.deleteRule(id);
  openAlarm = (a: Omit<Alarm, 'id'>): Promise<{ alarm: Alarm; created: boolean }> => this.alarmTables.openAlarm(a);
  repeatAlarm = (id: number, value: number | null, at: number): Promise<void> => this.alarmTables.repeatAlarm(id, value, at);
  updateAlarm = (a: Alarm, e: Omit<AlarmEvent, 'id' | 'alarmId'>): Promise<void> => this.alarmTables.updateAlarm(a, e);
  getAlarm = (id: number): Promise<Alarm | undefined> => this.alarmTables.getAlarm(id);
  listAlarms = (q: AlarmQuery): Promise<Alarm[]> => this.alarmTables.listAlarms(q);
  activeAlarms = (): Promise<Alarm[]> => this.alarmTables.activeAlarms();
  alarmStats = (): Promise<AlarmStats> => this.alarmTables.alarmStats();
  listAlarmEvents = (id: number): Promise<AlarmEvent[]> => this.alarmTables.listAlarmEvents(id);
  saveTrigger = (t: TriggerRecord): Promise<void> => this.alarmTables.saveTrigger(t);
  listTriggers = (): Promise<TriggerRecord[]> => this.alarmTables.listTriggers();
  addNotification = (n: NotificationRecord): Promise<number> => this.alarmTables.addNotification(n);
  updateNotification = (n: NotificationRecord & { id: number }): Promise<void> => this.alarmTables.updateNotification(n);
  listNotifications = (q: NotificationQuery): Promise<NotificationRecord[]> => this.alarmTables.listNotifications(q);
  replayReadings = (q: ReplayQuery): Promise<Reading[]> => this.alarmTables.replayReadings(q);

  // Device metadata, equipment, commands, firmware and OTA live in device-tables.ts.
  listDeviceMeta = (): Promise<DeviceMeta[]> => this.deviceTables.listDeviceMeta();
  saveDeviceMeta = (m: DeviceMeta): Promise<void> => this.deviceTables.saveDeviceMeta(m);
  deleteDevice = (id: string): Promise<void> => this.deviceTables.deleteDevice(id);
  listEquipment = (): Promise<Equipment[]> => this.deviceTables.listEquipment();
  saveEquipment = (e: Equipment): Promise<void> => this.deviceTables.saveEquipment(e);
  deleteEquipment = (id: string): Promise<boolean> => this.deviceTables.deleteEquipment(id);
  saveCommand = (c: DeviceCommand): Promise<void> => this.deviceTables.saveCommand(c);
  listCommands = (device: string, limit: number): Promise<DeviceCommand[]> => this.deviceTables.listCommands(device, limit);
  openCommands = (): Promise<DeviceCommand[]> => this.deviceTables.openCommands();
  saveFirmware = (f: Firmware): Promise<void> => this.deviceTables.saveFirmware(f);
  listFirmware = (): Promise<Firmware[]> => this.deviceTables.listFirmware();
  deleteFirmware = (id: string): Promise<boolean> => this.deviceTables.deleteFirmware(id);
  saveRollout = (r: Rollout): Promise<void> => this.deviceTables.saveRollout(r);
  listRollouts = (): Promise<Rollout[]> => this.deviceTables.listRollouts();
  saveOtaJob = (j: OtaJob): Promise<void> => this.deviceTables.saveOtaJob(j);
  listOtaJobs = (q: { rollout?: string; device?: string }): Promise<OtaJob[]> => this.deviceTables.listOtaJobs(q);

  // Users, sessions, API keys, device credentials and login attempts live in auth-tables.ts.
  listUsers = (): Promise<UserRecord[]> => this.authTables.listUsers();
  saveUser = (u: UserRecord): Promise<void> => this.authTables.saveUser(u);
  deleteUser = (id: string): Promise<boolean> => this.authTables.deleteUser(id);
  saveRefreshToken = (t: RefreshTokenRecord): Promise<void> => this.authTables.saveRefreshToken(t);
  getRefreshToken = (hash: string): Promise<RefreshTokenRecord | undefined> => this.authTables.getRefreshToken(hash);
  useRefreshToken = (hash: string, at: number): Promise<boolean> => this.authTables.useRefreshToken(hash, at);
  refreshFamilyLive = (family: string, now: number): Promise<boolean> => this.authTables.refreshFamilyLive(family, now);
  deleteRefreshTokens = (q: { userId?: string; family?: string }): Promise<void> => this.authTables.deleteRefreshTokens(q);
  listApiKeys = (): Promise<ApiKeyRecord[]> => this.authTables.listApiKeys();
  saveApiKey = (k: ApiKeyRecord): Promise<void> => this.authTables.saveApiKey(k);
  listDeviceCredentials = (): Promise<DeviceCredentialRecord[]> => this.authTables.listDeviceCredentials();
  saveDeviceCredential = (c: DeviceCredentialRecord): Promise<void> => this.authTables.saveDeviceCredential(c);
  deleteDeviceCredential = (device: string): Promise<boolean> => this.authTables.deleteDeviceCredential(device);
  getLoginAttempt = (key: string): Promise<LoginAttemptRecord | undefined> => this.authTables.getLoginAttempt(key);
  saveLoginAttempt = (r: LoginAttemptRecord): Promise<void> => this.authTables.saveLoginAttempt(r);
  deleteLoginAttempt = (key: string): Promise<void> => this.authTables.deleteLoginAttempt(key);

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
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
        args[4 * k] = sids[i + k];
        args[4 * k + 1] = r.ts;
        args[4 * k + 2] = r.value;
        args[4 * k + 3] = r.seq ?? NO_SEQ;
      }
      changes += insertReadings.run(args).changes;
    }
    for (; i < readings.length; i++) changes += insertReading.run(sids[i], readings[i].ts, readings[i].value, readings[i].seq ?? NO_SEQ).changes;
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
        const added = insertReading.run(sids[i], r.ts, r.value, r.seq ?? NO_SEQ).changes;
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
    let result: WriteResult;
    try {
      result = this.writeTx(batch);
    } catch (err) {
      if (isDiskFull(err)) {
        this.full ??= { since: Date.now(), error: `${(err as { code: string }).code}: ${(err as Error).message}` };
        this.truncateWal();
      }
      throw err;
    }
    if (this.full) {
      // Writes go through again: give back the log that grew while they could not.
      this.full = null;
      this.truncateWal();
    } else if (Date.now() - this.spaceCheckedAt > SPACE_CHECK_MS) this.condition();
    return result;
  }

  condition(): StoreCondition {
    this.spaceCheckedAt = Date.now();
    const minFreeBytes = this.opts.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
    const free = this.opts.path === ':memory:' ? null : freeBytes(dirname(this.opts.path));
    const low = free !== null && free < minFreeBytes;
    if (this.full && free !== null && !low) {
      // Space was freed: writes are expected to go through again (a failing one says otherwise).
      this.full = null;
      this.truncateWal();
    }
    // Space is short: the WAL's pages go into the database and the file is cut to nothing, which is
    // what lets the store recover once a little space is freed (not as much as the whole log).
    if (low) this.truncateWal();
    const room = { ...(free === null ? {} : { freeBytes: free }), minFreeBytes };
    const exhausted = free !== null && free < EXHAUSTED_BYTES;
    if (this.full || exhausted) {
      const lastError = this.full?.error ?? `${free} bytes left on the disk of ${dirname(this.opts.path)}`;
      return { status: 'degraded', reason: 'disk_full', writable: false, since: this.full?.since ?? this.spaceCheckedAt, lastError, ...room };
    }
    if (low) return { status: 'degraded', reason: 'low_space', writable: true, ...room };
    return { status: 'up', writable: true, ...room };
  }

  /**
   * PRAGMA wal_checkpoint(TRUNCATE), best effort (readers in the way or no room: next time). Only when
   * the log holds something, so while space stays short each write is given back at most once.
   */
  private truncateWal(): void {
    if (this.opts.path === ':memory:') return;
    if (!(statSync(this.opts.path + '-wal', { throwIfNoEntry: false })?.size ?? 0)) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.walTruncations++;
    } catch {
      // Still full: the next write or health check tries again.
    }
  }

  get retention(): RetentionPolicy {
    return this.opts.retention ?? defaultRetention;
  }

  async queryBuckets(q: BucketQuery): Promise<BucketResult> {
    return this.history.queryBuckets(q);
  }

  async queryRollups(q: RollupQuery): Promise<RollupRow[]> {
    return this.history.queryRollups(q);
  }

  async stats(q: StatsQuery): Promise<StatsResult> {
    return this.history.stats(q);
  }

  async groupRecent(q: GroupRecentQuery): Promise<GroupRow[]> {
    return this.history.groupRecent(q);
  }

  async groupRange(q: GroupRangeQuery): Promise<GroupRow[]> {
    return this.history.groupRange(q);
  }

  exportRows(q: ExportQuery): AsyncIterable<GroupRow> {
    return this.history.exportRows(q);
  }

  async applyRetention(now = Date.now()): Promise<RetentionResult> {
    return this.history.applyRetention(now);
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

  async setDeviceProfile(device: string, profile: string | null): Promise<void> {
    this.stmts.setProfile.run(profile, device);
  }

  async queryRange(q: RangeQuery): Promise<Record<string, RawSeries>> {
    const series = q.metrics?.length
      ? q.metrics.map((m) => ({
          id: this.db.prepare('SELECT id FROM series WHERE device = ? AND metric = ?').pluck().get(q.device, m) as number | undefined,
          metric: m,
        }))
      : (this.db.prepare('SELECT id, metric FROM series WHERE device = ? ORDER BY metric').all(q.device) as { id: number; metric: string }[]);
    const stmt = this.db.prepare('SELECT ts, value FROM readings WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT ?').raw();
    const out: Record<string, RawSeries> = {};
    for (const { id, metric } of series) {
      const ts: number[] = [];
      const value: number[] = [];
      if (id !== undefined) {
        const rows = stmt.all(id, q.from, q.to, q.limit) as [number, number][];
        for (let i = rows.length - 1; i >= 0; i--) {
          ts.push(rows[i][0]);
          value.push(rows[i][1]);
        }
      }
      out[metric] = { ts, value };
    }
    return out;
  }

  async listProfiles(): Promise<Profile[]> {
    return (this.db.prepare('SELECT body FROM profiles ORDER BY name').pluck().all() as string[]).map((b) => JSON.parse(b) as Profile);
  }

  async saveProfile(profile: Profile): Promise<void> {
    this.db
      .prepare('INSERT INTO profiles (name, body, updated) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated = excluded.updated')
      .run(profile.name, JSON.stringify(profile), Date.now());
  }

  async loadSequenceState(): Promise<SeqDeviceState[]> {
    return (this.db.prepare('SELECT state FROM seq_state').pluck().all() as string[]).map((s) => JSON.parse(s) as SeqDeviceState);
  }

  async sequenceStats(device: string, from: number, to: number): Promise<SeqStats> {
    const row = this.db
      .prepare(
        `SELECT coalesce(sum(received), 0) AS received, coalesce(sum(duplicates), 0) AS duplicates,
           coalesce(sum(out_of_order), 0) AS outOfOrder, coalesce(sum(restarts), 0) AS restarts
         FROM seq_stats WHERE device = ? AND bucket >= ? AND bucket <= ?`,
      )
      .get(device, from - (from % 60_000), to) as SeqStats;
    return row;
  }

  async getImportCheckpoint(key: string): Promise<ImportCheckpoint | null> {
    const state = this.db.prepare('SELECT state FROM import_progress WHERE key = ?').pluck().get(key) as string | undefined;
    return state ? (JSON.parse(state) as ImportCheckpoint) : null;
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
