import type { Sql } from 'postgres';
import type { RawSeries } from '../../model/telemetry.js';
import { NO_SEQ, type Reading } from '../../model/reading.js';
import type {
  BucketQuery,
  BucketResult,
  DeviceFilter,
  ExportQuery,
  GroupRangeQuery,
  GroupRecentQuery,
  GroupAnswer,
  ManyBucketQuery,
  ManyBucketResult,
  RangeQuery,
  ReplayQuery,
  RetentionPolicy,
  RollupQuery,
  RollupRow,
  StatsQuery,
  StatsResult,
} from '../store.js';
import { emptyBuckets, fromGrouped, mergeIntoBuckets, planBuckets } from '../buckets.js';
import { statsFromSums, statsOf } from '../stats.js';
import { sequenceStatsOf } from './profile-sequence.js';
import { readTimedOut, readTooLarge } from '../read-errors.js';
import type { ExportFormat } from '../export-format.js';
import { GroupJsonWriter } from '../reads/group-json.js';
import { exportChunkOf, exportPageOf, type ExportChunk, type ExportCursor, type ExportPage } from '../reads/paged-export.js';

const OID = { int4: 23, int8: 20, float8: 701, text: 25 } as const;
const rollupTable = { '1m': 'rollup_1m', '1h': 'rollup_1h' } as const;
/** Rows per export page: each page is a short statement, under the same time limit as any read. */
export const PG_EXPORT_PAGE = 5000;

/** Device/metric filter over `series s`, as SQL text using $-parameters from `first` on. */
function seriesFilter(devices: DeviceFilter | undefined, metrics: string[] | undefined, first: number, sql: Sql): { text: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  let i = first;
  if (devices) {
    where.push(`(s.device = ANY($${i}::text[]) OR EXISTS (SELECT 1 FROM unnest($${i + 1}::text[]) p WHERE starts_with(s.device, p)))`);
    args.push(sql.array(devices.ids, OID.text), sql.array(devices.prefixes, OID.text));
    i += 2;
  }
  if (metrics?.length) {
    where.push(`s.metric = ANY($${i}::text[])`);
    args.push(sql.array(metrics, OID.text));
  }
  return { text: where.length ? where.join(' AND ') : 'true', args };
}

/**
 * The first or newest `$1` readings of one series (`id`, an outer column) within [from, to] (SQL
 * expressions; null: all), for a LATERAL join: one row of two arrays, times (ms with their µs) and
 * values, oldest first (null arrays: none). Arrays rather than a row per reading: postgres.js on the
 * read worker then parses 80 rows, not 11,200, for 20 devices x 4 metrics x 140 (a third of the time).
 * The inner order names the table's columns: `ts` alone would be the output column (the time with its
 * µs, computed), which the (series, ts, us, seq) key cannot give in order, so every reading of the
 * window was read, converted and sorted before the LIMIT (0.6 s for that grouped range over 1 h at
 * 1 Hz). seq breaks ties as SQLite's key does.
 */
function seriesWindow(id: string, range: [string, string] | null, dir: 'ASC' | 'DESC'): string {
  const within = range ? ` AND x.ts >= ${range[0]} AND x.ts <= ${range[1]}` : '';
  // The time in ms with its µs (whole ms and the µs within are kept apart; numeric, then float8: exact).
  return `SELECT array_agg(w.ts ORDER BY w.ts, w.seq) AS ts, array_agg(w.value ORDER BY w.ts, w.seq) AS value FROM (
      SELECT (x.ts + x.us / 1000.0)::float8 AS ts, x.seq, x.value FROM readings x WHERE x.series = ${id}${within}
      ORDER BY x.ts ${dir}, x.us ${dir}, x.seq ${dir} LIMIT $1
    ) w`;
}

/**
 * Planner settings for a statement that walks each series' (series, ts, us, seq) key from one end and
 * stops at a LIMIT (grouped windows, export pages, a backtest's pages). The planner prices that walk
 * against a bitmap scan of the whole window plus a top-N sort from its estimate of one series' rows in
 * the window: an average over every series of the partition (or a guess of 16 before the partition is
 * analyzed), far below what a 1 Hz series holds. It then read, sorted and threw away every reading of
 * the window for each series: the grouped range over 20 devices x 4 metrics read 288,000 rows for
 * 11,200 (140 ms at rest, 283 ms in the mixed bench's PostgreSQL figure). Without the bitmap and seq
 * scans the only plans left use the key, and the ordered walk is the cheapest of them. SET LOCAL: the
 * settings end with the statement's transaction; the session's other reads (bucket aggregates over
 * whole windows, where a bitmap scan is the right plan) keep the planner's choice.
 */
const KEY_WALK_SETTINGS = ['enable_bitmapscan', 'enable_seqscan'];

/** PostgreSQL's code for a statement cancelled by statement_timeout. */
const QUERY_CANCELED = '57014';

/**
 * Every read of telemetry the API issues, on a connection of its own (a read worker's, see
 * pg-read-worker.ts) whose session carries a statement_timeout: a read past its limit is cancelled
 * by the server and answers ReadLimitError (rule read_time_limit), and writes (on the store's pool)
 * never queue behind reads.
 */
export class PgReads {
  constructor(
    private readonly sql: Sql,
    readonly retention: RetentionPolicy,
    private readonly timeoutMs: number,
  ) {}

  /** Maps a cancelled statement to the read limit it hit. */
  private async limited<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if ((err as { code?: string }).code === QUERY_CANCELED) throw readTimedOut(this.timeoutMs);
      throw err;
    }
  }

  /** Runs one key-walking statement (see KEY_WALK_SETTINGS) in a transaction of its own, pipelined: one round trip. */
  private async walkingKey<T>(statement: (tx: Sql) => Promise<T>): Promise<T> {
    const results = await this.sql.begin((tx) => [
      ...KEY_WALK_SETTINGS.map((name) => tx`SELECT set_config(${name}, 'off', true)`),
      statement(tx as unknown as Sql),
    ]);
    return results[KEY_WALK_SETTINGS.length] as T;
  }

  private async seriesOf(device: string, metrics: string[] | undefined): Promise<{ id: number | undefined; metric: string }[]> {
    const rows = await this.sql<{ id: number; metric: string }[]>`SELECT id, metric FROM series WHERE device = ${device} ORDER BY metric`;
    if (!metrics?.length) return rows;
    const byMetric = new Map(rows.map((r) => [r.metric, r.id]));
    return metrics.map((m) => ({ id: byMetric.get(m), metric: m }));
  }

  queryRange(q: RangeQuery): Promise<Record<string, RawSeries>> {
    return this.limited(async () => {
      const out: Record<string, RawSeries> = {};
      const cap = q.maxRows ?? Number.MAX_SAFE_INTEGER;
      let total = 0;
      for (const { id, metric } of await this.seriesOf(q.device, q.metrics)) {
        const rows =
          id === undefined
            ? []
            : ((await this.sql`
          SELECT (ts + us / 1000.0)::float8, value FROM readings WHERE series = ${id} AND ts >= ${q.from} AND ts <= ${q.to} ORDER BY ts DESC, us DESC, seq DESC LIMIT ${Math.min(q.limit, cap - total + 1)}`.values()) as unknown as [
                number,
                number,
              ][]);
        total += rows.length;
        if (total > cap) throw readTooLarge(cap, 'limit');
        out[metric] = { ts: rows.map((r) => r[0]).reverse(), value: rows.map((r) => r[1]).reverse() };
      }
      return out;
    });
  }

  queryBuckets(q: BucketQuery): Promise<BucketResult> {
    return this.limited(async () => {
      const plan = planBuckets({ from: q.from, to: q.to, points: q.points, tz: q.tz, retention: this.retention, now: q.now ?? Date.now() });
      const raw = plan.resolution === 'raw';
      const table = plan.resolution === 'raw' ? 'readings' : rollupTable[plan.resolution];
      const t = raw ? 'ts' : 'bucket';
      const agg = raw ? 'min(value), max(value), sum(value), count(*)' : 'min(v_min), max(v_max), sum(v_sum), sum(n)::int8';
      const series: BucketResult['series'] = {};
      for (const { id, metric } of await this.seriesOf(q.device, q.metrics)) {
        if (id === undefined) {
          series[metric] = emptyBuckets();
        } else if (plan.uniform) {
          const rows = (await this.sql
            .unsafe(
              `SELECT (${t} - $1::int8) / $2::int8 AS b, ${agg} FROM ${table} WHERE series = $3 AND ${t} >= $1::int8 AND ${t} < $4::int8 GROUP BY 1 ORDER BY 1`,
              [plan.start, plan.bucketMs, id, plan.end],
            )
            .values()) as unknown as [number, number, number, number, number][];
          series[metric] = fromGrouped(
            rows.map(([b, min, max, sum, count]) => ({ b, min, max, sum, count })),
            plan,
          );
        } else {
          const rows = (await this.sql
            .unsafe(
              raw
                ? 'SELECT ts, value, value, value, 1::int8 FROM readings WHERE series = $1 AND ts >= $2::int8 AND ts < $3::int8 ORDER BY ts'
                : `SELECT bucket, v_min, v_max, v_sum, n FROM ${table} WHERE series = $1 AND bucket >= $2::int8 AND bucket < $3::int8 ORDER BY bucket`,
              [id, plan.start, plan.end],
            )
            .values()) as unknown as [number, number, number, number, number][];
          series[metric] = mergeIntoBuckets(
            rows.map(([t, min, max, sum, count]) => ({ t, min, max, sum, count })),
            plan,
          );
        }
      }
      return { resolution: plan.resolution, bucketMs: plan.bucketMs, start: plan.start, end: plan.end, series };
    });
  }

  async queryBucketsMany(q: ManyBucketQuery): Promise<ManyBucketResult> {
    // One present for every device, so that each gets the same plan (source and bucket edges).
    const now = q.now ?? Date.now();
    const plan = planBuckets({ from: q.from, to: q.to, points: q.points, tz: q.tz, retention: this.retention, now });
    const devices: ManyBucketResult['devices'] = {};
    for (const device of q.devices) {
      const { series } = await this.queryBuckets({ device, metrics: q.metrics, from: q.from, to: q.to, points: q.points, tz: q.tz, now });
      devices[device] = q.sequence ? { series, seq: await this.limited(() => sequenceStatsOf(this.sql, device, q.from, q.to)) } : { series };
    }
    return { resolution: plan.resolution, bucketMs: plan.bucketMs, start: plan.start, end: plan.end, devices };
  }

  queryRollups(q: RollupQuery): Promise<RollupRow[]> {
    return this.limited(async () => {
      const rows = await this.sql.unsafe(
        `SELECT r.bucket, r.v_min AS min, r.v_max AS max, r.v_sum AS sum, r.n AS count, r.v_sum / r.n AS avg,
           r.first_ts AS "firstTs", r.first_v AS first, r.last_ts AS "lastTs", r.last_v AS last
         FROM ${rollupTable[q.resolution]} r JOIN series s ON s.id = r.series
         WHERE s.device = $1 AND s.metric = $2 AND r.bucket >= $3::int8 AND r.bucket <= $4::int8 ORDER BY r.bucket`,
        [q.device, q.metric, q.from, q.to],
      );
      return rows.map((r) => ({ ...r }) as unknown as RollupRow);
    });
  }

  stats(q: StatsQuery): Promise<StatsResult> {
    return this.limited(async () => {
      const now = q.now ?? Date.now();
      const resolution = q.from >= now - this.retention.rawMs ? 'raw' : q.from >= now - this.retention.minuteMs ? '1m' : '1h';
      const out: StatsResult = { resolution, stats: {} };
      for (const { id, metric } of await this.seriesOf(q.device, q.metrics)) {
        if (id === undefined) {
          out.stats[metric] = statsOf([]);
        } else if (resolution === 'raw') {
          const [r] = await this.sql<
            { count: number; min: number | null; max: number | null; avg: number | null; stddev: number | null; p: number[] | null }[]
          >`
            WITH r AS (SELECT value FROM readings WHERE series = ${id} AND ts >= ${q.from} AND ts <= ${q.to}),
              -- Values divided by the largest magnitude: float8 avg/stddev_samp raise an overflow error past ~1e154.
              s AS (SELECT nullif(max(abs(value)), 0) AS scale FROM r)
            SELECT count(r.value) AS count, min(r.value) AS min, max(r.value) AS max,
              coalesce(avg(r.value / s.scale) * s.scale, CASE WHEN count(r.value) > 0 THEN 0 END) AS avg,
              coalesce(stddev_samp(r.value / s.scale) * s.scale, CASE WHEN count(r.value) > 1 THEN 0 END) AS stddev,
              percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY r.value) AS p
            FROM s LEFT JOIN r ON true GROUP BY s.scale`;
          out.stats[metric] = {
            count: r.count,
            min: r.min,
            max: r.max,
            avg: r.avg,
            stddev: r.stddev,
            p50: r.p?.[0] ?? null,
            p95: r.p?.[1] ?? null,
            p99: r.p?.[2] ?? null,
          };
        } else {
          const width = resolution === '1m' ? 60_000 : 3_600_000;
          const [r] = await this.sql.unsafe(
            `SELECT min(v_min) AS min, max(v_max) AS max, coalesce(sum(v_sum), 0) AS sum, coalesce(sum(v_sum_sq), 0) AS "sumSq", coalesce(sum(n), 0)::int8 AS count
             FROM ${rollupTable[resolution]} WHERE series = $1 AND bucket >= $2::int8 AND bucket <= $3::int8`,
            [id, q.from - (q.from % width), q.to],
          );
          out.stats[metric] = statsFromSums(r as unknown as Parameters<typeof statsFromSums>[0]);
        }
      }
      return out;
    });
  }

  /** Group rows of the query text (device, metric, ts[], value[] per series, ordered), encoded (GroupAnswer); over maxRows: too large. */
  private async groupRows(text: string, args: unknown[], maxRows: number | undefined, unit: 'ms' | 'us' | undefined): Promise<GroupAnswer> {
    const cap = maxRows ?? Number.MAX_SAFE_INTEGER;
    const rows = (await this.walkingKey((tx) => tx.unsafe(text, args as never[]).values())) as unknown as [string, string, number[] | null, number[] | null][];
    let total = 0;
    for (const [, , ts] of rows) total += ts?.length ?? 0;
    if (total > cap) throw readTooLarge(cap, 'n');
    const out = new GroupJsonWriter(unit, total * 64);
    for (const [device, metric, ts, value] of rows) {
      if (!ts || !value) continue;
      for (let i = 0; i < ts.length; i++) out.add(device, metric, ts[i], value[i]);
    }
    return out.finish();
  }

  groupRecent(q: GroupRecentQuery): Promise<GroupAnswer> {
    const f = seriesFilter(q.devices, q.metrics, 2, this.sql);
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    // LATERAL with LIMIT walks each series' index from one end: one query, n rows read per series.
    return this.limited(() =>
      this.groupRows(
        `SELECT s.device, s.metric, r.ts, r.value FROM series s
         CROSS JOIN LATERAL (${seriesWindow('s.id', null, dir)}) r
         WHERE ${f.text} ORDER BY s.device, s.metric`,
        [q.n, ...f.args],
        q.maxRows,
        q.tsUnit,
      ),
    );
  }

  groupRange(q: GroupRangeQuery): Promise<GroupAnswer> {
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    if (!q.offset) {
      const f = seriesFilter(q.devices, q.metrics, 4, this.sql);
      return this.limited(() =>
        this.groupRows(
          `SELECT s.device, s.metric, r.ts, r.value FROM series s
           CROSS JOIN LATERAL (${seriesWindow('s.id', ['$2::int8', '$3::int8'], dir)}) r
           WHERE ${f.text} ORDER BY s.device, s.metric`,
          [q.n, q.from, q.to, ...f.args],
          q.maxRows,
          q.tsUnit,
        ),
      );
    }
    // Each device's first reading at or after `from` anchors its window (seed 004's per-recording 0..140 s).
    const offset = q.offset;
    const f = seriesFilter(q.devices, q.metrics, 6, this.sql);
    return this.limited(() =>
      this.groupRows(
        `WITH sel AS (SELECT s.id, s.device, s.metric FROM series s WHERE ${f.text}),
         anchor AS (
           SELECT sel.device, min(f.ts) AS first FROM sel
           CROSS JOIN LATERAL (SELECT ts FROM readings WHERE series = sel.id AND ts >= $2::int8 ORDER BY ts ASC LIMIT 1) f
           WHERE f.ts <= $3::int8 GROUP BY sel.device
         )
         SELECT sel.device, sel.metric, r.ts, r.value FROM sel JOIN anchor a ON a.device = sel.device
         CROSS JOIN LATERAL (${seriesWindow('sel.id', ['a.first + $4::int8', 'least(a.first + $5::int8, $3::int8)'], dir)}) r
         ORDER BY sel.device, sel.metric`,
        [q.n, q.from, q.to, offset.from, offset.to, ...f.args],
        q.maxRows,
        q.tsUnit,
      ),
    );
  }

  private async exportSeries(q: ExportQuery): Promise<{ id: number; device: string; metric: string }[]> {
    const f = seriesFilter(q.devices, q.metrics, 1, this.sql);
    const rows = await this.sql.unsafe(`SELECT s.id, s.device, s.metric FROM series s WHERE ${f.text} ORDER BY s.device, s.metric`, f.args as never[]);
    return rows.map((r) => ({ id: r.id as number, device: r.device as string, metric: r.metric as string }));
  }

  /** One page of an export: up to PG_EXPORT_PAGE readings, each statement under the read time limit (a long export is many short reads). */
  exportPage(q: ExportQuery, cursor: ExportCursor | null): Promise<ExportPage> {
    return this.limited(async () =>
      exportPageOf(
        await this.exportSeries(q),
        cursor,
        PG_EXPORT_PAGE,
        async (s, after, want) =>
          (await this.walkingKey((tx) =>
            after
              ? tx`SELECT ts, us, seq, value FROM readings WHERE series = ${s.id} AND (ts, us, seq) > (${after[0]}::int8, ${after[1]}::int4, ${after[2]}::int8) AND ts < ${q.to} ORDER BY ts, us, seq LIMIT ${want}`.values()
              : tx`SELECT ts, us, seq, value FROM readings WHERE series = ${s.id} AND ts >= ${q.from} AND ts < ${q.to} ORDER BY ts, us, seq LIMIT ${want}`.values(),
          )) as unknown as [number, number, number, number][],
      ),
    );
  }

  /** Pages from the cursor as one chunk of CSV or NDJSON bytes, formatted on the read worker (paged-export.ts). */
  async exportChunk(q: ExportQuery, format: ExportFormat, cursor: ExportCursor | null): Promise<ExportChunk> {
    return exportChunkOf((c) => this.exportPage(q, c), cursor, format, q.tsUnit);
  }

  /**
   * A device's readings in [from, to] ordered by (ts, us, metric), at most `limit`, for a backtest.
   * Each series is read through its key, at most `limit` rows (LATERAL), before the merge: a join
   * ordered by time sorted the device's whole remaining range at every page. `from` may have a
   * fraction (a replay page ends at a message's µs time): readings before it are not returned.
   */
  replayReadings(q: ReplayQuery): Promise<Reading[]> {
    return this.limited(async () => {
      const rows = await this.walkingKey(
        (tx) => tx<{ metric: string; ts: number; value: number; seq: number | null }[]>`
        SELECT s.metric, (r.ts + r.us / 1000.0)::float8 AS ts, r.value, r.seq FROM series s
        CROSS JOIN LATERAL (
          SELECT ts, us, seq, value FROM readings
          WHERE series = s.id AND ts >= ${Math.floor(q.from)}::int8 AND ts <= ${Math.floor(q.to)}::int8 AND (ts + us / 1000.0)::float8 >= ${q.from}::float8
          ORDER BY ts, us, seq LIMIT ${q.limit}
        ) r
        WHERE s.device = ${q.device} ORDER BY r.ts, r.us, s.metric, r.seq LIMIT ${q.limit}`,
      );
      return rows.map((r) => {
        const out: Reading = { device: q.device, metric: r.metric, ts: r.ts, value: r.value };
        if (r.seq !== null && Number(r.seq) !== NO_SEQ) out.seq = Number(r.seq);
        return out;
      });
    });
  }
}
