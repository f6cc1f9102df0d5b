import type { Sql } from 'postgres';
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
  DevicePruned,
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
import { DAY, HOUR, MINUTE } from '../zoned-time.js';
import { defaultRetention, deletableRanges, effectiveRetention, longestRaw, type EffectiveRetention } from '../retention.js';
import type { PgProfileSequence } from './profile-sequence.js';
import { writeReadingsInTx } from './readings-write.js';
import { checkFencesInTx } from './partition-fence.js';
import { BatchCommittedBefore, PG_BATCH_IDS_PRUNE_EVERY, pruneBatchIdsInTx, recordBatchInTx } from './batch-ids.js';
import type { ReadRunner } from '../reads/worker-pool.js';
import { exportRowsVia, exportTextVia } from '../reads/paged-export.js';
import type { ExportFormat } from '../export-format.js';

export const OID = { int4: 23, int8: 20, float8: 701, text: 25 } as const;

const dayOf = (ts: number) => Math.floor(ts / DAY) * DAY;
const partitionName = (day: number) => `readings_p${new Date(day).toISOString().slice(0, 10).replace(/-/g, '')}`;

/**
 * The PostgreSQL side of TelemetryStore: readings range-partitioned by day (or a TimescaleDB hypertable
 * when the extension exists), rollups maintained in the write transaction, as the SQLite store does.
 */
export class PgTelemetry implements TelemetryStore {
  /** True when readings is a TimescaleDB hypertable rather than natively partitioned. */
  timescale = false;
  private partitions = new Set<number>();
  private deviceCount: number | undefined;
  /** Series ids by device, then metric: looked up per reading without building a key string. */
  private seriesIds = new Map<string, Map<string, number>>();
  /** Batch ids recorded since write_batches was last cut back: it is cut at the first batch after opening, then every PG_BATCH_IDS_PRUNE_EVERY. */
  private batchesSincePrune = PG_BATCH_IDS_PRUNE_EVERY - 1;

  constructor(
    private readonly sql: Sql,
    private readonly opts: { retention?: RetentionPolicy; partitionsAhead?: number },
    /** Sequence state and checkpoints commit in the same transaction as the readings. */
    private readonly profileSequence: PgProfileSequence,
    private readonly reads: ReadRunner,
    /** Connections only telemetry writes use (postgres-store.ts); the shared pool when not given. */
    private readonly writeSql: Sql = sql,
  ) {}

  get retention(): RetentionPolicy {
    return this.opts.retention ?? defaultRetention;
  }

  /** Finds the partitions that exist (or that readings is a TimescaleDB hypertable) and creates the next few. */
  async init(): Promise<void> {
    const part = await this.sql`SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'readings'::regclass`;
    this.timescale = part.length === 0;
    if (!this.timescale) {
      const rows = await this.sql<{ relname: string }[]>`
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass`;
      for (const r of rows) {
        const day = parsePartition(r.relname);
        if (day !== null) this.partitions.add(day);
      }
      await this.createPartitionsAhead();
    }
  }

  /** Today's partition and the next few, so ingest seldom has to create one. */
  async createPartitionsAhead(now = Date.now()): Promise<void> {
    const days: number[] = [];
    for (let d = -1; d <= (this.opts.partitionsAhead ?? 3); d++) days.push(dayOf(now) + d * DAY);
    await this.ensurePartitions(days);
  }

  private async ensurePartitions(days: Iterable<number>): Promise<void> {
    if (this.timescale) return;
    for (const day of days) {
      if (this.partitions.has(day)) continue;
      // On the write connections: a batch for a new day must not wait for the API's pool.
      await this.writeSql
        .unsafe(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF readings FOR VALUES FROM (${day}) TO (${day + DAY})`)
        .catch((err: { code?: string }) => {
          // Another process sharing the store created it between IF NOT EXISTS's look and the create (cluster mode).
          if (err.code !== '42P07' && err.code !== '23505') throw err;
        });
      this.partitions.add(day);
    }
  }

  /** The days a batch's readings fall in (mostly one: readings arrive in time order). */
  private daysOf(readings: WriteBatch['readings']): Set<number> {
    const days = new Set<number>();
    let last = NaN;
    for (let i = 0; i < readings.length; i++) {
      const day = dayOf(readings[i].ts);
      if (day !== last) days.add((last = day));
    }
    return days;
  }

  /** Each reading's series id, the series not seen before created first. */
  private async seriesOf(readings: WriteBatch['readings']): Promise<Int32Array> {
    const sids = new Int32Array(readings.length);
    let missing: Map<string, { device: string; metric: string }> | undefined;
    let device: string | undefined;
    let byMetric: Map<string, number> | undefined;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i];
      // Consecutive readings are mostly of one device (one message's metrics).
      if (r.device !== device) byMetric = this.seriesIds.get((device = r.device));
      const id = byMetric?.get(r.metric);
      if (id !== undefined) sids[i] = id;
      else {
        sids[i] = -1;
        (missing ??= new Map()).set(r.device + '\u0000' + r.metric, { device: r.device, metric: r.metric });
      }
    }
    if (!missing) return sids;
    const devices = [...missing.values()].map((m) => m.device);
    const metrics = [...missing.values()].map((m) => m.metric);
    await this.writeSql`
      INSERT INTO series (device, metric) SELECT * FROM unnest(${this.writeSql.array(devices, OID.text)}::text[], ${this.writeSql.array(metrics, OID.text)}::text[])
      ON CONFLICT DO NOTHING`;
    const rows = await this.writeSql<{ id: number; device: string; metric: string }[]>`
      SELECT s.id, s.device, s.metric FROM series s
      JOIN unnest(${this.writeSql.array(devices, OID.text)}::text[], ${this.writeSql.array(metrics, OID.text)}::text[]) AS u(device, metric)
        ON s.device = u.device AND s.metric = u.metric`;
    for (const r of rows) {
      let m = this.seriesIds.get(r.device);
      if (!m) this.seriesIds.set(r.device, (m = new Map()));
      m.set(r.metric, r.id);
    }
    for (let i = 0; i < readings.length; i++) if (sids[i] === -1) sids[i] = this.seriesIds.get(readings[i].device)!.get(readings[i].metric)!;
    return sids;
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    const sql = this.writeSql;
    const readings = batch.readings;
    await this.ensurePartitions(this.daysOf(readings));
    const sids = await this.seriesOf(readings);
    // Each series' newest reading of the batch (the later one of equal times), by its index.
    const latest = new Map<number, number>();
    for (let i = 0; i < readings.length; i++) {
      const l = latest.get(sids[i]);
      if (l === undefined || readings[i].ts >= readings[l].ts) latest.set(sids[i], i);
    }
    const id = batch.id;
    const result = sql.begin(async (tx) => {
      // First, and awaited (cluster mode only): a batch a newer partition owner has superseded writes nothing, readings nor sequence state.
      await checkFencesInTx(tx, batch.fences);
      // Statements that need no answer are sent at once (execute(): postgres.js would otherwise send a
      // query only when awaited) and pipelined ahead of the readings' COPY: one round trip, not one each.
      const sent: Promise<unknown>[] = [];
      // The batch id goes first: whether it committed before is known by the time the readings are in.
      const recorded = id === undefined ? undefined : recordBatchInTx(tx, id);
      recorded?.catch(() => {});
      if (recorded && ++this.batchesSincePrune >= PG_BATCH_IDS_PRUNE_EVERY) {
        this.batchesSincePrune = 0;
        sent.push(pruneBatchIdsInTx(tx));
      }
      if (batch.devices.length) {
        sent.push(
          tx`
          INSERT INTO devices (id, profile, first_seen, last_seen)
          SELECT id, profile, seen, seen FROM unnest(${sql.array(
            batch.devices.map((d) => d.id),
            OID.text,
          )}::text[],
            ${sql.array(
              batch.devices.map((d) => d.profile ?? null),
              OID.text,
            )}::text[], ${sql.array(
              batch.devices.map((d) => d.seen),
              OID.int8,
            )}::int8[])
            AS u(id, profile, seen)
          ON CONFLICT (id) DO UPDATE SET last_seen = greatest(devices.last_seen, excluded.last_seen),
            profile = coalesce(devices.profile, excluded.profile)`.execute(),
        );
      }
      if (readings.length) {
        const ids = [...latest.keys()];
        const at = [...latest.values()];
        sent.push(
          tx`
          UPDATE series s SET last_ts = u.ts, last_value = u.value
          FROM unnest(${sql.array(ids, OID.int4)}::int4[], ${sql.array(
            at.map((i) => readings[i].ts),
            OID.float8,
          )}::float8[],
            ${sql.array(
              at.map((i) => readings[i].value),
              OID.float8,
            )}::float8[]) AS u(id, ts, value)
          WHERE s.id = u.id AND (s.last_ts IS NULL OR s.last_ts <= u.ts)`.execute(),
        );
      }
      for (const x of batch.rejected) {
        sent.push(
          tx`INSERT INTO rejected (at, source, device, field, rule, error, payload)
                 VALUES (${x.at}, ${x.source}, ${x.device}, ${x.field}, ${x.rule}, ${x.error}, ${x.payload})`.execute(),
        );
      }
      // Sequence state and the import/spool checkpoint commit with the readings they account for, or not
      // at all; sent with the rest, ahead of the readings (which may roll back to a savepoint taken after them).
      sent.push(this.profileSequence.writeInTx(tx, batch));
      // Held, not awaited yet: a failure among them is thrown below (and fails the statements after it).
      const sentDone = Promise.all(sent);
      sentDone.catch(() => {});
      // The readings and the rollups of exactly those that were new (readings-write.ts).
      const inserted = readings.length ? await writeReadingsInTx(sql, tx, readings, sids) : 0;
      await sentDone;
      // Committed before, its answer lost (the spool replays it): all of it rolls back, nothing is counted twice.
      if (recorded && !(await recorded)) throw new BatchCommittedBefore(id!);
      return { inserted, duplicates: readings.length - inserted };
    });
    return result.catch(async (err: unknown) => {
      if (!(err instanceof BatchCommittedBefore)) throw err;
      // Everything in it is stored; only the replay's checkpoint moves on (as the SQLite store does).
      const cp = batch.checkpoint;
      if (cp) {
        await sql`INSERT INTO import_progress (key, state) VALUES (${cp.key}, ${JSON.stringify(cp)})
          ON CONFLICT (key) DO UPDATE SET state = excluded.state`;
      }
      return { inserted: 0, duplicates: readings.length };
    });
  }

  async listDevices(): Promise<StoredDevice[]> {
    const devices = new Map<string, StoredDevice>();
    for (const d of await this.sql<{ id: string; profile: string | null; first_seen: number; last_seen: number }[]>`
      SELECT id, profile, first_seen, last_seen FROM devices ORDER BY id`) {
      devices.set(d.id, { id: d.id, profile: d.profile, firstSeen: d.first_seen, lastSeen: d.last_seen, latest: {} });
    }
    for (const s of await this.sql<{ device: string; metric: string; last_ts: number; last_value: number }[]>`
      SELECT device, metric, last_ts, last_value FROM series WHERE last_ts IS NOT NULL`) {
      const d = devices.get(s.device);
      if (d) d.latest[s.metric] = { ts: s.last_ts, value: s.last_value };
    }
    return [...devices.values()];
  }

  async deviceIds(): Promise<string[]> {
    return (await this.sql<{ id: string }[]>`SELECT id FROM devices`).map((r) => r.id);
  }

  /** The count of devices moved (PostgreSQL has no data_version; the devices table is small). */
  async devicesChangedElsewhere(): Promise<boolean> {
    const [{ n }] = await this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM devices`;
    const changed = n !== (this.deviceCount ??= n);
    this.deviceCount = n;
    return changed;
  }

  async setDeviceProfile(device: string, profile: string | null): Promise<void> {
    await this.sql`UPDATE devices SET profile = ${profile} WHERE id = ${device}`;
  }

  // Reads of telemetry live in pg-reads.ts, run by read workers (sessions of their own, with a statement timeout).
  queryRange = (q: RangeQuery): Promise<Record<string, RawSeries>> => this.reads.run('queryRange', [q]);
  queryBuckets = (q: BucketQuery): Promise<BucketResult> => this.reads.run('queryBuckets', [q]);
  queryBucketsMany = (q: ManyBucketQuery): Promise<ManyBucketResult> => this.reads.run('queryBucketsMany', [q]);
  queryRollups = (q: RollupQuery): Promise<RollupRow[]> => this.reads.run('queryRollups', [q]);
  stats = (q: StatsQuery): Promise<StatsResult> => this.reads.run('stats', [q]);
  groupRecent = (q: GroupRecentQuery): Promise<GroupAnswer> => this.reads.run('groupRecent', [q]);
  groupRange = (q: GroupRangeQuery): Promise<GroupAnswer> => this.reads.run('groupRange', [q]);
  exportRows = (q: ExportQuery): AsyncIterable<GroupRow> => exportRowsVia(this.reads, q);
  exportText = (q: ExportQuery, format: ExportFormat): AsyncIterable<Uint8Array> => exportTextVia(this.reads, q, format);

  async listRejected(q: RejectedQuery): Promise<RejectedRecord[]> {
    const rows = await this.sql<RejectedRecord[]>`
      SELECT id, at, source, device, field, rule, error, payload FROM rejected
      WHERE (${q.before ?? null}::int8 IS NULL OR id < ${q.before ?? null}::int8) AND (${q.device ?? null}::text IS NULL OR device = ${q.device ?? null}::text)
      ORDER BY id DESC LIMIT ${q.limit}`;
    return rows.map((r) => ({ ...r }));
  }

  /**
   * Deletes what the policy no longer keeps, device by device (its own retention, else its profile's,
   * else the default), never inside a retention hold. Whole days older than every device's raw limit
   * and outside every hold go as partitions, their rows counted per device first; the rest row by row.
   */
  async applyRetention(now = Date.now(), policy: RetentionPolicy = this.retention): Promise<RetentionResult> {
    const result: RetentionResult = { raw: 0, minute: 0, hour: 0, partitionsDropped: 0, devices: [] };
    const series = await this.sql<{ id: number; device: string; profile: string | null }[]>`
      SELECT s.id, s.device, d.profile FROM series s LEFT JOIN devices d ON d.id = s.device`;
    const holdRows = await this.sql<{ device: string; from: number; to: number }[]>`SELECT device, from_ts AS "from", to_ts AS "to" FROM retention_holds`;
    const holds = new Map<string, { from: number; to: number }[]>();
    for (const h of holdRows) holds.set(h.device, [...(holds.get(h.device) ?? []), h]);
    const devices = new Map<string, { ids: number[]; p: EffectiveRetention; pruned: DevicePruned }>();
    for (const s of series) {
      let d = devices.get(s.device);
      if (!d) {
        const p = effectiveRetention(policy, s.device, s.profile);
        d = { ids: [], p, pruned: { device: s.device, rawCutoff: now - p.rawMs, raw: 0, minute: 0, hour: 0 } };
        devices.set(s.device, d);
      }
      d.ids.push(s.id);
    }
    // TimescaleDB chunks are not dropped here: their rows go row by row below, so that each is counted
    // per device and held ranges stay.
    if (!this.timescale) {
      const oldest = now - longestRaw(policy);
      const deviceOf = new Map(series.map((s) => [s.id, s.device]));
      for (const day of [...this.partitions].sort((a, b) => a - b)) {
        if (day + DAY > oldest) break;
        const dropped = await this.sql.begin(async (tx) => {
          await tx.unsafe(`LOCK TABLE ${partitionName(day)} IN ACCESS EXCLUSIVE MODE`);
          const [held] = await tx`SELECT count(*)::int AS n FROM retention_holds WHERE from_ts < ${day + DAY} AND to_ts >= ${day}`;
          if (held.n > 0) return null;
          const counts = await tx.unsafe<{ series: number; n: number }[]>(`SELECT series, count(*)::int AS n FROM ${partitionName(day)} GROUP BY series`);
          await tx.unsafe(`DROP TABLE ${partitionName(day)}`);
          return counts;
        });
        if (!dropped) continue;
        this.partitions.delete(day);
        result.partitionsDropped++;
        for (const c of dropped) {
          result.raw += c.n;
          const d = devices.get(deviceOf.get(c.series) ?? '');
          if (d) d.pruned.raw += c.n;
        }
      }
      await this.createPartitionsAhead(now);
    }
    for (const [device, d] of devices) {
      const kept = holds.get(device) ?? [];
      const ids = this.sql.array(d.ids, OID.int4);
      for (const [table, col, ms, key, width] of [
        ['readings', 'ts', d.p.rawMs, 'raw', 1],
        ['rollup_1m', 'bucket', d.p.minuteMs, 'minute', MINUTE],
        ['rollup_1h', 'bucket', d.p.hourMs, 'hour', HOUR],
      ] as const) {
        for (const [from, to] of deletableRanges(now - ms, kept, width)) {
          const r = await this.sql.unsafe(`DELETE FROM ${table} WHERE series = ANY($1::int4[]) AND ${col} >= $2::int8 AND ${col} < $3::int8`, [
            ids,
            from,
            to,
          ] as never[]);
          result[key] += r.count;
          d.pruned[key] += r.count;
        }
      }
    }
    result.devices = [...devices.values()].map((d) => d.pruned).filter((d) => d.raw + d.minute + d.hour > 0);
    return result;
  }
}

function parsePartition(name: string): number | null {
  const m = /^readings_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}
