import type { StoredTopicMapping } from '../model/topic-mapping.js';
import type { Message, Reading, SourceKind } from '../model/reading.js';
import type { LatestValue } from '../model/device.js';
import type { BucketSeries, GroupRow, RawSeries, SeriesStats } from '../model/telemetry.js';
import type { ExportFormat } from './export-format.js';
import type { ReadJob } from './reads/protocol.js';
export type { BucketSeries } from '../model/telemetry.js';
import type { Alarm, AlarmEvent, AlarmQuery, AlarmStats, NotificationRecord, Rule } from '../model/alarm.js';
import type { AlarmStatsQuery } from './alarm-stats.js';
import type { Profile } from '../model/device.js';
import type { DeviceCommand, DeviceMeta, Equipment, Firmware, OtaJob, Rollout } from '../model/device-admin.js';
import type { SequenceUpdate, SeqDeviceState, SeqStats } from '../model/sequence.js';
import type { AuditEntry, AuditQuery } from '../model/audit.js';
import type { RetentionHold } from '../model/retention.js';
import type { ApiKeyRecord, DeviceCredentialRecord, LoginAttemptRecord, RefreshTokenRecord, UserRecord } from '../model/auth.js';

/** A device as the store keeps it. */
export interface StoredDevice {
  id: string;
  profile: string | null;
  firstSeen: number;
  lastSeen: number;
  latest: Record<string, LatestValue>;
}

/** A refused message, kept with its reason so nobody has to guess later. */
export interface RejectedRecord {
  id?: number;
  at: number;
  source: SourceKind;
  device: string | null;
  field: string;
  rule: string;
  error: string;
  /** The raw payload as received (text), cut to a bounded size. */
  payload: string;
}

export interface DeviceSeen {
  id: string;
  /** Receive time of the newest message in the batch. */
  seen: number;
  profile?: string;
}

export interface WriteBatch {
  readings: Reading[];
  /**
   * Set when `readings` are exactly these messages' values (each message's metrics in order, with its
   * device, ts and seq: the batcher's batches). A store may read the readings from here, and
   * `readings` is then built only if something asks for it (pipeline/batcher.ts toWriteBatch): no
   * object per reading living until the commit.
   */
  messages?: readonly Message[];
  devices: DeviceSeen[];
  rejected: RejectedRecord[];
  /** Sequence accounting of this batch, committed in the same transaction as its readings. */
  sequence?: SequenceUpdate;
  /** Bulk import progress, committed with the rows it covers so a crashed import resumes exactly. */
  checkpoint?: ImportCheckpoint;
  /**
   * Cluster mode: the partition leases this batch was consumed under. The transaction commits only
   * if no partition has been taken by a newer lease since (else FencedError, nothing written).
   */
  fences?: PartitionFence[];
  /**
   * Names this batch for good (the pipeline's batcher sets it; the spool keeps it). A store that
   * honours it (SQLite, PostgreSQL) records it in the same transaction and, given a batch whose id it already
   * committed, writes nothing again: the replay of a batch whose commit succeeded but whose answer
   * was lost (a writer thread that died in between, a connection lost after COMMIT) must not add its dead letters and sequence
   * counters a second time.
   */
  id?: string;
}

/** How many readings a batch carries, without building them when it carries them as messages. */
export function readingCount(batch: WriteBatch): number {
  if (!batch.messages) return batch.readings.length;
  let n = 0;
  for (const m of batch.messages) for (const _ in m.values) n++;
  return n;
}

/** A partition lease's fencing token: the lease bucket's revision when it was acquired (grows with every acquisition). */
export interface PartitionFence {
  partition: number;
  token: number;
}

/** A write refused because a newer lease holder owns these partitions: this node must stop consuming them. */
export class FencedError extends Error {
  constructor(readonly partitions: number[]) {
    super(`partition${partitions.length > 1 ? 's' : ''} ${partitions.join(', ')} taken by a newer lease: batch not stored`);
    this.name = 'FencedError';
  }
}

/** How far an import of one file got: the byte offset and line after the last committed row. */
export interface ImportCheckpoint {
  /** Identifies the file (name, size and a hash of its head). */
  key: string;
  offset: number;
  line: number;
  stored: number;
  duplicates: number;
  rejected: number;
  done: boolean;
}

export interface WriteResult {
  /** Readings newly stored. */
  inserted: number;
  /** Readings already stored (same device, metric and time): replays and re-imports land here. */
  duplicates: number;
}

export interface RangeQuery {
  device: string;
  metrics?: string[];
  from: number;
  to: number;
  /** Most points per metric; the newest are kept when cut. */
  limit: number;
  /** Most points in all (every metric): past it the read fails with ReadTooLargeError (field `limit`). */
  maxRows?: number;
}

export interface RejectedQuery {
  limit: number;
  /** Only records with id below this (paging backwards). */
  before?: number;
  device?: string;
}

/** How long each kind of data is kept, ms. A device profile may override any of them. */
export interface RetentionPolicy {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
  byProfile?: Record<string, Partial<Pick<RetentionPolicy, 'rawMs' | 'minuteMs' | 'hourMs'>>>;
  /** Per-device raw retention (config file or API); wins over the profile's. */
  byDevice?: Record<string, { rawMs: number; from?: 'device' | 'config' }>;
}

export interface RetentionResult {
  /** Rows deleted, rows in dropped partitions included. */
  raw: number;
  minute: number;
  hour: number;
  partitionsDropped: number;
  /** Devices that lost rows in this pass, with the raw cutoff that applied to them. */
  devices?: DevicePruned[];
}

export interface DevicePruned {
  device: string;
  /** Raw readings before this time (epoch ms) went, outside any hold. */
  rawCutoff: number;
  raw: number;
  minute: number;
  hour: number;
}

export type { RetentionHold };

/** Per-device retention set through the API, and the ranges retention must keep. */
export interface RetentionStore {
  /** Raw retention per device set through the API, ms. */
  deviceOverrides(): Promise<Record<string, number>>;
  setDeviceRawRetention(device: string, rawMs: number | null): Promise<void>;
  /** Adds a hold, or widens the one with the same device and reason to cover [from, to] too. */
  hold(h: RetentionHold): Promise<void>;
  listHolds(device?: string): Promise<RetentionHold[]>;
}

export type Resolution = 'raw' | '1m' | '1h';

export interface BucketQuery {
  device: string;
  metrics: string[];
  from: number;
  to: number;
  /** Most buckets per metric. */
  points: number;
  /** IANA zone whose wall clock sets hour/day bucket boundaries; UTC when omitted. */
  tz?: string;
  /** The present, for choosing a source by retention (tests pass it). */
  now?: number;
}

export interface BucketResult {
  resolution: Resolution;
  bucketMs: number;
  /** Start of the first bucket and end of the last. */
  start: number;
  end: number;
  series: Record<string, BucketSeries>;
}

/**
 * The same buckets for many devices in one read (the fleet table's last hour for the rows on
 * screen): one plan for all (from, to, points are shared), each device's series read as
 * queryBuckets reads one device's.
 */
export interface ManyBucketQuery extends Omit<BucketQuery, 'device'> {
  devices: string[];
  /** Also each device's sequence counters over [from, to] (completeness), read where the buckets are. */
  sequence?: boolean;
}

export interface ManyBucketResult {
  resolution: Resolution;
  bucketMs: number;
  start: number;
  end: number;
  /** By device id, in the order asked for; a device with no readings has empty series. */
  devices: Record<string, { series: Record<string, BucketSeries>; seq?: SeqStats }>;
}

export interface RollupQuery {
  device: string;
  metric: string;
  resolution: '1m' | '1h';
  from: number;
  to: number;
}

export interface RollupRow {
  bucket: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  avg: number;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
}

export interface StatsQuery {
  device: string;
  metrics: string[];
  from: number;
  to: number;
  now?: number;
}

/** Sample standard deviation (n - 1), as PostgreSQL's stddev; percentiles interpolated between ranks (percentile_cont). */
export type { SeriesStats };

export interface StatsResult {
  resolution: Resolution;
  stats: Record<string, SeriesStats>;
}

/** Devices named exactly, or by prefix ("line1-*"). */
export interface DeviceFilter {
  ids: string[];
  prefixes: string[];
}

export interface GroupRecentQuery {
  devices: DeviceFilter;
  metrics?: string[];
  /** Readings per device and metric: the newest n ('desc', default) or the first n ('asc'). */
  n: number;
  order?: 'asc' | 'desc';
  /** Most rows in all: past it the read fails with ReadTooLargeError (field `n`). */
  maxRows?: number;
  /** Unit of ts in the answer's JSON (ms with a fraction by default, or whole µs). */
  tsUnit?: 'ms' | 'us';
}

export interface GroupRangeQuery {
  devices: DeviceFilter;
  metrics?: string[];
  from: number;
  to: number;
  /** Most points per device and metric: the newest kept ('desc', default) or the first ('asc'). */
  n: number;
  order?: 'asc' | 'desc';
  /**
   * Offsets in ms from each device's first reading at or after `from` (seed 004's "0..140 s of each
   * recording"): the window of a device is [first + offset.from, min(first + offset.to, to)].
   */
  offset?: { from: number; to: number };
  /** Most rows in all: past it the read fails with ReadTooLargeError (field `n`). */
  maxRows?: number;
  /** Unit of ts in the answer's JSON (ms with a fraction by default, or whole µs). */
  tsUnit?: 'ms' | 'us';
}

/**
 * A group read's answer, encoded where it was read (a read worker): `json` is the UTF-8 JSON array of
 * its rows, [{"device","metric","ts","value"}, ...] ordered by device, metric, ts, ts in the query's
 * unit. Bytes cross from the worker without a copy, and the thread that acknowledges devices neither
 * rebuilds nor serialises thousands of row objects per answer.
 */
export interface GroupAnswer {
  rows: number;
  json: Uint8Array;
}

export type { GroupRow };

export interface ExportQuery {
  devices?: DeviceFilter;
  metrics?: string[];
  from: number;
  /** Exclusive. */
  to: number;
  /** Unit of ts in exported text (ms with a fraction by default, or whole µs). */
  tsUnit?: 'ms' | 'us';
}

/** What the store knows about its own room to write. */
export interface StoreCondition {
  status: 'up' | 'degraded';
  /** disk_full: the last write failed for want of space; low_space: free space is under the threshold. */
  reason?: 'disk_full' | 'low_space';
  /** False while writes fail (disk_full): acknowledgements are refused until space is freed. */
  writable: boolean;
  freeBytes?: number;
  minFreeBytes?: number;
  /** When writes began to fail, and with what. */
  since?: number;
  lastError?: string;
}

/**
 * The storage every engine implements: one connection, and one narrow interface per area that the
 * engine implements with its own table module. Services are handed only the area they use, so the
 * same tests run against every engine.
 */
export interface Store {
  readonly engine: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Throws if the engine cannot serve. */
  ping(): Promise<void>;
  /** Whether writes can go on (a full or nearly full disk), for /health; engines that cannot tell leave it out. */
  condition?(): StoreCondition;
  /** Readings, rollups, history queries, retention, the device list and dead letters. Valid once open. */
  readonly telemetry: TelemetryStore;
  /** Rules, alarms, timers and the notification log. */
  readonly alarms: AlarmStore;
  /** Device metadata, equipment, commands, firmware and OTA. */
  readonly devices: DeviceAdminStore;
  /** Users, tokens, API keys, device credentials, sign-in attempts. */
  readonly auth: AuthStore;
  /** API-added profiles, sequence accounting state and import checkpoints. */
  readonly catalog: CatalogStore;
  /** The audit log of who changed what. */
  readonly audit: AuditStore;
  /** Changes written by any process sharing this store; absent where one process owns it (SQLite). */
  readonly changes?: ChangeSource;
  /** Per-device retention overrides and retention holds (imported history). */
  readonly retention: RetentionStore;
  /** Files every node serves: firmware images, uploaded and fitted model bundles (stored in chunks). */
  readonly blobs: BlobStore;
  /** Model bundles kept in the store (uploaded or fitted) and which version is active where. */
  readonly models: ModelStore;
}

/** What a stored file is: the bytes a reader gets are checked against size and sha256. */
export interface BlobInfo {
  key: string;
  size: number;
  /** Hex sha256 of the whole file. */
  sha256: string;
  createdAt: number;
}

/**
 * Files kept in the store, so that every node sharing it serves them. Bytes go in and come out in
 * chunks (src/stores/blob-chunks.ts): no file is held whole in memory, on either side.
 */
export interface BlobStore {
  /**
   * Stores the bytes under `key` as they arrive; they become visible only once all arrived, so a
   * source that throws (too large, connection lost) leaves nothing behind. A key that exists keeps
   * its bytes: `created` false, and the existing file's info.
   */
  put(key: string, source: AsyncIterable<Uint8Array>): Promise<BlobInfo & { created: boolean }>;
  info(key: string): Promise<BlobInfo | undefined>;
  /** Every file whose key starts with `prefix`. */
  list(prefix: string): Promise<BlobInfo[]>;
  /**
   * Bytes `start..end` (inclusive; default all of it), one chunk at a time, each checked against the
   * sha256 it was stored with (and a whole read against the file's): a mismatch throws BlobCorrupt.
   */
  read(key: string, range?: { start: number; end: number }): AsyncIterable<Buffer>;
  delete(key: string): Promise<boolean>;
  /** Deletes the chunks of uploads that never finished (the process died mid-upload) and began before `before`. */
  sweep(before: number): Promise<number>;
}

/** A model bundle kept in the store: its manifest as uploaded and the names of its files (blobs `model/<id>/<name>`). */
export interface StoredBundle {
  /** `<target>/<power>/<version>`. */
  id: string;
  origin: 'upload' | 'fitted';
  manifest: unknown;
  /** Plain file names beside the manifest; each is the blob `<blobPrefix><name>`. */
  files: string[];
  /** `model/<id>/<upload>/`: an upload's own, so two uploads of one id never mix files. */
  blobPrefix: string;
  createdAt: number;
}

/** Uploaded and fitted model bundles (src/models/bundles.ts) and the activation history of each slot. */
export interface ModelStore {
  /** false: a bundle with this id exists already (it is kept). */
  addBundle(b: StoredBundle): Promise<boolean>;
  listBundles(): Promise<StoredBundle[]>;
  deleteBundle(id: string): Promise<boolean>;
  /** `<target>/<power>` -> the versions activated there, newest last. */
  listActivations(): Promise<Record<string, string[]>>;
  saveActivation(slot: string, history: string[]): Promise<void>;
}

/** One change to shared state: the kind of entity and its key (the entity itself is read back). */
export interface ChangeNotice {
  kind: 'rule' | 'alarm' | 'profile' | 'device_profile' | 'mapping' | 'command' | 'user' | 'api_key' | 'device_credential' | 'session' | (string & {});
  id: string;
}

/** Tells of every committed change to shared state, whoever wrote it (PostgreSQL: LISTEN/NOTIFY). */
export interface ChangeSource {
  /** onListen runs on every (re)connection of the listener; resolves with a function that stops listening. */
  listenChanges(onChange: (c: ChangeNotice) => void, onListen: () => void): Promise<() => Promise<void>>;
}

/** Readings and what is derived from them (src/pipeline writes, src/api reads): what the shared store suite checks on every engine. */
export interface TelemetryStore {
  /** Stores a batch atomically: all of it or none of it. */
  write(batch: WriteBatch): Promise<WriteResult>;
  listDevices(): Promise<StoredDevice[]>;
  /** Ids of every stored device (cheap beside listDevices). */
  deviceIds(): Promise<string[]>;
  /**
   * Whether devices may have been added by another process since the last call (`fieldscope import`
   * beside a running server). Cheap, for polling; may also answer true for this process's own writes.
   */
  devicesChangedElsewhere(): Promise<boolean>;
  setDeviceProfile(device: string, profile: string | null): Promise<void>;
  queryRange(q: RangeQuery): Promise<Record<string, RawSeries>>;
  listRejected(q: RejectedQuery): Promise<RejectedRecord[]>;
  readonly retention: RetentionPolicy;
  /** At most q.points buckets per metric, from raw readings or the coarsest rollup that fits. */
  queryBuckets(q: BucketQuery): Promise<BucketResult>;
  /** queryBuckets for many devices in one read, optionally with their sequence counters; on a read worker like every read. */
  queryBucketsMany(q: ManyBucketQuery): Promise<ManyBucketResult>;
  queryRollups(q: RollupQuery): Promise<RollupRow[]>;
  stats(q: StatsQuery): Promise<StatsResult>;
  /** The newest n readings per (device, metric) among matching devices, in one query. */
  groupRecent(q: GroupRecentQuery): Promise<GroupAnswer>;
  /** Per (device, metric) within [from, to], at most n points each (newest), in one query. */
  groupRange(q: GroupRangeQuery): Promise<GroupAnswer>;
  /** Readings ordered by device, metric, time; yields in chunks without holding the engine. */
  exportRows(q: ExportQuery): AsyncIterable<GroupRow>;
  /** The same rows as text lines (no header), formatted where they are read (SQLite: on a read worker). */
  exportText?(q: ExportQuery, format: ExportFormat): AsyncIterable<string | Uint8Array>;
  /**
   * Deletes what is older than the retention policy allows (default: the store's), measured back from
   * now, per device; never inside a retention hold.
   */
  applyRetention(now?: number, policy?: RetentionPolicy): Promise<RetentionResult>;
}

/** Profiles added through the API, sequence accounting state and import checkpoints. */
export interface CatalogStore {
  /** Profiles added through the API (they outlive restarts). */
  listProfiles(): Promise<Profile[]>;
  saveProfile(profile: Profile): Promise<void>;
  /** Per-device sequence accounting state, as last committed. */
  loadSequenceState(): Promise<SeqDeviceState[]>;
  /** One device's, as last committed (cluster mode: completeness of a device another node consumes). */
  sequenceStateOf?(device: string): Promise<SeqDeviceState | undefined>;
  /**
   * Cluster mode: records that a lease with this token owns the partition, unless a newer one
   * (higher token) did already; false then. Waits for a commit in flight under an older token.
   */
  advancePartitionFence?(partition: number, token: number): Promise<boolean>;
  /** Sequence counters of one device summed over messages with device time in [from, to]. */
  sequenceStats(device: string, from: number, to: number): Promise<SeqStats>;
  getImportCheckpoint(key: string): Promise<ImportCheckpoint | null>;
  /** Topic mappings added through the API, oldest first. */
  listTopicMappings(): Promise<StoredTopicMapping[]>;
  /** Adds or replaces (by id). */
  saveTopicMapping(m: StoredTopicMapping): Promise<void>;
  /** false: there was none with that id. */
  deleteTopicMapping(id: string): Promise<boolean>;
  /** Ids of the profiles' rule-pack rules installed once: a removed one is not installed again, by any node. */
  listInstalledPackRules(): Promise<string[]>;
  recordInstalledPackRules(ids: string[]): Promise<void>;
}

/** Where one (device, rule) pair's on/off-delay machine stands (see alarms/trigger.ts). */
export interface TriggerRecord {
  ruleId: string;
  device: string;
  phase: string;
  since: number | null;
}

export interface NotificationQuery {
  limit: number;
  channel?: string;
  /** Only records with id below this (paging backwards). */
  before?: number;
}

export interface ReplayQuery {
  device: string;
  from: number;
  to: number;
  /** Most readings returned (oldest first). */
  limit: number;
}

/** Rules, alarms, their history, timer state and the notification log. */
export interface AlarmStore {
  listRules(): Promise<Rule[]>;
  getRule(id: string): Promise<Rule | undefined>;
  /** Inserts or replaces. */
  saveRule(rule: Rule): Promise<void>;
  /** Deletes the rule and its timer state; its alarms stay as history. */
  deleteRule(id: string): Promise<boolean>;
  /**
   * Opens an alarm, or, when one is already open for (device, rule) (a partial unique index
   * guarantees at most one), counts a repeat on it instead. Atomic.
   */
  openAlarm(alarm: Omit<Alarm, 'id'>): Promise<{ alarm: Alarm; created: boolean }>;
  /** Counts one more occurrence on an open alarm. */
  repeatAlarm(id: number, value: number | null, at: number): Promise<void>;
  /** Writes a lifecycle change (ack, clear) together with its event. */
  updateAlarm(alarm: Alarm, event: Omit<AlarmEvent, 'id' | 'alarmId'>): Promise<void>;
  getAlarm(id: number): Promise<Alarm | undefined>;
  listAlarms(q: AlarmQuery): Promise<Alarm[]>;
  /** Alarms not yet cleared. */
  activeAlarms(): Promise<Alarm[]>;
  /** Counts by status and severity; with a period (raisedAt), also per rule and device with times to ack and clear. */
  alarmStats(q?: AlarmStatsQuery): Promise<AlarmStats>;
  listAlarmEvents(alarmId: number): Promise<AlarmEvent[]>;
  /** phase 'normal' deletes the record. */
  saveTrigger(t: TriggerRecord): Promise<void>;
  listTriggers(): Promise<TriggerRecord[]>;
  addNotification(n: NotificationRecord): Promise<number>;
  updateNotification(n: NotificationRecord & { id: number }): Promise<void>;
  listNotifications(q: NotificationQuery): Promise<NotificationRecord[]>;
  /** Stored readings of a device with their seq, oldest first, for replay (backtest). */
  replayReadings(q: ReplayQuery): Promise<Reading[]>;
  /**
   * Runs a function beside the reads (on a read worker, with a replay's time limit), given the
   * engine's reads object (which has replayReadings): a backtest evaluates there and returns only
   * its alarms. See ReadJob.
   */
  runReadJob<T>(job: ReadJob, args: unknown[]): Promise<T>;
  /**
   * Runs `fn` against a view of this store whose writes (alarms, triggers, rule watermarks) commit
   * together or not at all, after claiming `fences` (FencedError when a newer lease owns one of
   * their partitions: nothing is written). Shared stores only (cluster mode: docs/scale-out.md,
   * "Rule watermarks"); a single node's SQLite store writes alarm state one statement at a time.
   */
  atomically?<T>(fn: (tx: AlarmStore) => Promise<T>, fences?: PartitionFence[]): Promise<T>;
  /** Each device's last judged message, moved forward only (never back). */
  saveRuleWatermarks?(marks: RuleWatermark[]): Promise<void>;
  /** The last judged message of each of these devices that has one. */
  loadRuleWatermarks?(devices: string[]): Promise<RuleWatermark[]>;
}

/**
 * The newest message of a device the rules have judged: every committed reading after it (by
 * time, then seq) is still to be judged. seq is NO_SEQ (-1) for a message without one.
 */
export interface RuleWatermark {
  device: string;
  ts: number;
  seq: number;
}

/** Device metadata, equipment, commands, firmware and OTA rollouts (src/devices/*). */
export interface DeviceAdminStore {
  listDeviceMeta(): Promise<DeviceMeta[]>;
  /** Inserts or replaces. */
  saveDeviceMeta(meta: DeviceMeta): Promise<void>;
  /** Forgets a device: its metadata and its row in the device list (its readings stay as history). */
  deleteDevice(id: string): Promise<void>;
  listEquipment(): Promise<Equipment[]>;
  saveEquipment(e: Equipment): Promise<void>;
  /** Deletes the equipment and unassigns its devices. */
  deleteEquipment(id: string): Promise<boolean>;
  saveCommand(c: DeviceCommand): Promise<void>;
  /** Newest first. */
  listCommands(device: string, limit: number): Promise<DeviceCommand[]>;
  /** Commands not yet acked, failed or timed out (resumed after a restart). */
  openCommands(): Promise<DeviceCommand[]>;
  saveFirmware(f: Firmware): Promise<void>;
  listFirmware(): Promise<Firmware[]>;
  deleteFirmware(id: string): Promise<boolean>;
  saveRollout(r: Rollout): Promise<void>;
  listRollouts(): Promise<Rollout[]>;
  saveOtaJob(j: OtaJob): Promise<void>;
  listOtaJobs(q: { rollout?: string; device?: string }): Promise<OtaJob[]>;
}

/**
 * The audit log: append-only underneath (SQLite triggers, PostgreSQL trigger) except for the
 * retention job's delete of entries older than its cutoff.
 */
export interface AuditStore {
  addAudit(e: Omit<AuditEntry, 'id'>): Promise<number>;
  listAudit(q: AuditQuery): Promise<AuditEntry[]>;
  /** Deletes entries older than `before` (epoch ms); returns how many. */
  pruneAudit(before: number): Promise<number>;
}

/** Users, refresh tokens, API keys, device credentials and failed sign-ins (src/auth/*). Secrets are stored hashed. */
export interface AuthStore {
  listUsers(): Promise<UserRecord[]>;
  /** Inserts or replaces (by id). */
  saveUser(u: UserRecord): Promise<void>;
  /** Deletes the user and their refresh tokens. */
  deleteUser(id: string): Promise<boolean>;
  saveRefreshToken(t: RefreshTokenRecord): Promise<void>;
  getRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks a token used; false when it was used already (so two racing refreshes cannot both win). */
  useRefreshToken(hash: string, at: number): Promise<boolean>;
  /** Whether a sign-in (refresh family) still has a token that has not expired: access tokens of a revoked one stop working. */
  refreshFamilyLive(family: string, now: number): Promise<boolean>;
  /** Deletes a user's refresh tokens, or one family of them. */
  deleteRefreshTokens(q: { userId?: string; family?: string }): Promise<void>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  saveApiKey(k: ApiKeyRecord): Promise<void>;
  listDeviceCredentials(): Promise<DeviceCredentialRecord[]>;
  /** Inserts or replaces (one credential per device). */
  saveDeviceCredential(c: DeviceCredentialRecord): Promise<void>;
  deleteDeviceCredential(device: string): Promise<boolean>;
  getLoginAttempt(key: string): Promise<LoginAttemptRecord | undefined>;
  saveLoginAttempt(r: LoginAttemptRecord): Promise<void>;
  deleteLoginAttempt(key: string): Promise<void>;
}
