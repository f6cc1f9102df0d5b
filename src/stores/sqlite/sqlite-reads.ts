import type Database from 'better-sqlite3';
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
import { emptyBuckets, fromGrouped, mergeIntoBuckets, planBuckets, type PartialRow } from '../buckets.js';
import { statsFromSums, statsOf } from '../stats.js';
import type { SeqStats } from '../../model/sequence.js';
import { SEQ_STATS_SQL, seqStatsArgs } from './catalog-tables.js';
import { readTooLarge } from '../read-errors.js';
import type { ExportFormat } from '../export-format.js';
import { GroupJsonWriter } from '../reads/group-json.js';
import { exportChunkOf, exportPageOf, type ExportChunk, type ExportCursor, type ExportPage } from '../reads/paged-export.js';

const rollupTable = { '1m': 'rollup_1m', '1h': 'rollup_1h' } as const;
/** A reading's time in ms with its microseconds (the table keeps whole ms and the µs within). */
const TS = 'ts + us / 1000.0';
/** Rows per export page: a page is one short task on a read worker, never a long-held cursor. */
export const EXPORT_PAGE = 5000;
/** Rows read of each series at a time by a replay page (replayReadings). */
const REPLAY_BATCH = 4096;
/** Above every device id (ids are ASCII): the upper bound of a prefix range on the (device, metric) index. */
const PREFIX_END = '\u{10FFFF}';

export interface SeriesRef {
  id: number;
  device: string;
  metric: string;
}

const byName = (a: SeriesRef, b: SeriesRef) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0);

/**
 * Every read of telemetry the API issues, on one SQLite connection (a read-only one on a worker
 * thread, see reads/worker-pool.ts). Device and metric filters are resolved to series ids first through the
 * (device, metric) index; readings are then read one series at a time through the (series, ts)
 * primary key, so no request for bounded devices, metrics and times scans the readings table.
 */
export class SqliteReads {
  private readonly stmt: Record<string, Database.Statement> = {};

  constructor(
    private readonly db: Database.Database,
    readonly retention: RetentionPolicy,
  ) {}

  /** Prepared once per connection, by name. */
  private q(sql: string): Database.Statement {
    return (this.stmt[sql] ??= this.db.prepare(sql));
  }

  private sid(device: string, metric: string): number | undefined {
    return this.q('SELECT id FROM series WHERE device = ? AND metric = ?').pluck().get(device, metric) as number | undefined;
  }

  /** The series of the matching devices (by id or prefix) and metrics, ordered by device then metric. */
  resolveSeries(devices: DeviceFilter | undefined, metrics: string[] | undefined): SeriesRef[] {
    const found = new Map<number, SeriesRef>();
    const add = (rows: SeriesRef[]) => {
      for (const r of rows) found.set(r.id, r);
    };
    if (!devices) add(this.q('SELECT id, device, metric FROM series').all() as SeriesRef[]);
    else {
      const one = this.q('SELECT id, device, metric FROM series WHERE device = ?');
      const prefix = this.q('SELECT id, device, metric FROM series WHERE device >= ? AND device < ?');
      for (const id of devices.ids) add(one.all(id) as SeriesRef[]);
      for (const p of devices.prefixes) add(prefix.all(p, p + PREFIX_END) as SeriesRef[]);
    }
    const wanted = metrics?.length ? new Set(metrics) : null;
    return [...found.values()].filter((s) => !wanted || wanted.has(s.metric)).sort(byName);
  }

  queryRange(q: RangeQuery): Record<string, RawSeries> {
    const series = q.metrics?.length
      ? q.metrics.map((m) => ({ id: this.sid(q.device, m), metric: m }))
      : (this.q('SELECT id, metric FROM series WHERE device = ? ORDER BY metric').all(q.device) as { id: number; metric: string }[]);
    const stmt = this.q(
      `SELECT ${TS}, value, ts, us, seq FROM readings WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, us DESC, seq DESC LIMIT ?`,
    ).raw();
    const out: Record<string, RawSeries> = {};
    const cap = q.maxRows ?? Infinity;
    let total = 0;
    for (const { id, metric } of series) {
      const ts: number[] = [];
      const value: number[] = [];
      if (id !== undefined) {
        // One past what may still be returned: enough to know the cap is exceeded, never the whole range.
        const rows = stmt.all(id, q.from, q.to, Math.min(q.limit, cap - total + 1)) as [number, number][];
        total += rows.length;
        if (total > cap) throw readTooLarge(cap, 'limit');
        for (let i = rows.length - 1; i >= 0; i--) {
          ts.push(rows[i][0]);
          value.push(rows[i][1]);
        }
      }
      out[metric] = { ts, value };
    }
    return out;
  }

  queryBuckets(q: BucketQuery): BucketResult {
    const plan = planBuckets({ from: q.from, to: q.to, points: q.points, tz: q.tz, retention: this.retention, now: q.now ?? Date.now() });
    const series: BucketResult['series'] = {};
    const raw = plan.resolution === 'raw';
    const table = plan.resolution === 'raw' ? 'readings' : rollupTable[plan.resolution];
    const t = raw ? 'ts' : 'bucket';
    const agg = raw ? 'min(value), max(value), sum(value), count(*)' : 'min(v_min), max(v_max), sum(v_sum), sum(n)';
    const grouped = this.q(
      `SELECT (${t} - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS b, ${agg} FROM ${table} WHERE series = ? AND ${t} >= ? AND ${t} < ? GROUP BY b ORDER BY b`,
    ).raw();
    const rows = this.q(
      raw
        ? 'SELECT ts, value, value, value, 1 FROM readings WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts'
        : `SELECT bucket, v_min, v_max, v_sum, n FROM ${table} WHERE series = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
    ).raw();
    for (const metric of q.metrics) {
      const id = this.sid(q.device, metric);
      if (id === undefined) {
        series[metric] = emptyBuckets();
      } else if (plan.uniform) {
        const r = grouped.all(plan.start, plan.bucketMs, id, plan.start, plan.end) as [number, number, number, number, number][];
        series[metric] = fromGrouped(
          r.map(([b, min, max, sum, count]) => ({ b, min, max, sum, count })),
          plan,
        );
      } else {
        const r = rows.all(id, plan.start, plan.end) as [number, number, number, number, number][];
        series[metric] = mergeIntoBuckets(
          r.map(([t, min, max, sum, count]): PartialRow => ({ t, min, max, sum, count })),
          plan,
        );
      }
    }
    return { resolution: plan.resolution, bucketMs: plan.bucketMs, start: plan.start, end: plan.end, series };
  }

  queryBucketsMany(q: ManyBucketQuery): ManyBucketResult {
    // One present for every device, so that each gets the same plan (source and bucket edges).
    const now = q.now ?? Date.now();
    const plan = planBuckets({ from: q.from, to: q.to, points: q.points, tz: q.tz, retention: this.retention, now });
    const devices: ManyBucketResult['devices'] = {};
    for (const device of q.devices) {
      const { series } = this.queryBuckets({ device, metrics: q.metrics, from: q.from, to: q.to, points: q.points, tz: q.tz, now });
      devices[device] = q.sequence ? { series, seq: this.q(SEQ_STATS_SQL).get(...seqStatsArgs(device, q.from, q.to)) as SeqStats } : { series };
    }
    return { resolution: plan.resolution, bucketMs: plan.bucketMs, start: plan.start, end: plan.end, devices };
  }

  queryRollups(q: RollupQuery): RollupRow[] {
    const id = this.sid(q.device, q.metric);
    if (id === undefined) return [];
    return this.q(
      `SELECT bucket, v_min AS min, v_max AS max, v_sum AS sum, n AS count, v_sum / n AS avg,
         first_ts AS firstTs, first_v AS first, last_ts AS lastTs, last_v AS last
       FROM ${rollupTable[q.resolution]} WHERE series = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket`,
    ).all(id, q.from, q.to) as RollupRow[];
  }

  stats(q: StatsQuery): StatsResult {
    const now = q.now ?? Date.now();
    const resolution = q.from >= now - this.retention.rawMs ? 'raw' : q.from >= now - this.retention.minuteMs ? '1m' : '1h';
    const out: StatsResult = { resolution, stats: {} };
    for (const metric of q.metrics) {
      const id = this.sid(q.device, metric);
      if (resolution === 'raw') {
        const values =
          id === undefined
            ? []
            : (this.q('SELECT value FROM readings WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY value').pluck().all(id, q.from, q.to) as number[]);
        out.stats[metric] = statsOf(values);
      } else {
        const r = (
          id === undefined
            ? undefined
            : this.q(
                `SELECT min(v_min) AS min, max(v_max) AS max, sum(v_sum) AS sum, sum(v_sum_sq) AS sumSq, coalesce(sum(n), 0) AS count
           FROM ${rollupTable[resolution]} WHERE series = ? AND bucket >= ? AND bucket <= ?`,
              ).get(id, q.from - (q.from % (resolution === '1m' ? 60_000 : 3_600_000)), q.to)
        ) as { min: number | null; max: number | null; sum: number; sumSq: number; count: number } | undefined;
        out.stats[metric] = r ? statsFromSums(r) : statsOf([]);
      }
    }
    return out;
  }

  /** Rows of one series in [from, to], at most n, the first or the newest, returned oldest first. */
  private seriesWindow(id: number, from: number, to: number, n: number, order: 'asc' | 'desc'): [number, number][] {
    const sql =
      order === 'asc'
        ? `SELECT ${TS}, value, ts, us FROM readings WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY ts ASC, us ASC LIMIT ?`
        : `SELECT ${TS}, value, ts, us, seq FROM readings WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, us DESC, seq DESC LIMIT ?`;
    const rows = this.q(sql).raw().all(id, from, to, n) as [number, number][];
    return order === 'asc' ? rows : rows.reverse();
  }

  private collect(
    series: SeriesRef[],
    window: (s: SeriesRef, budget: number) => [number, number][],
    maxRows: number | undefined,
    unit: 'ms' | 'us' | undefined,
  ): GroupAnswer {
    const cap = maxRows ?? Infinity;
    const out = new GroupJsonWriter(unit);
    for (const s of series) {
      const rows = window(s, cap - out.rows + 1);
      if (out.rows + rows.length > cap) throw readTooLarge(cap, 'n');
      for (const [ts, value] of rows) out.add(s.device, s.metric, ts, value);
    }
    return out.finish();
  }

  groupRecent(q: GroupRecentQuery): GroupAnswer {
    const order = q.order ?? 'desc';
    return this.collect(
      this.resolveSeries(q.devices, q.metrics),
      (s, budget) => this.seriesWindow(s.id, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, Math.min(q.n, budget), order),
      q.maxRows,
      q.tsUnit,
    );
  }

  groupRange(q: GroupRangeQuery): GroupAnswer {
    const order = q.order ?? 'desc';
    const series = this.resolveSeries(q.devices, q.metrics);
    let windowOf = (_s: SeriesRef): [number, number] | null => [q.from, q.to];
    if (q.offset) {
      const { from: offFrom, to: offTo } = q.offset;
      // Each device's first reading at or after `from`, over its selected series (they were recorded together).
      const first = this.q('SELECT ts FROM readings WHERE series = ? AND ts >= ? ORDER BY ts ASC LIMIT 1').pluck();
      const anchor = new Map<string, number>();
      for (const s of series) {
        const ts = first.get(s.id, q.from) as number | undefined;
        if (ts !== undefined && ts <= q.to && !(ts >= (anchor.get(s.device) ?? Infinity))) anchor.set(s.device, ts);
      }
      windowOf = (s) => {
        const a = anchor.get(s.device);
        return a === undefined ? null : [a + offFrom, Math.min(a + offTo, q.to)];
      };
    }
    return this.collect(
      series,
      (s, budget) => {
        const w = windowOf(s);
        return w && w[0] <= w[1] ? this.seriesWindow(s.id, w[0], w[1], Math.min(q.n, budget), order) : [];
      },
      q.maxRows,
      q.tsUnit,
    );
  }

  /** One page of an export: up to EXPORT_PAGE rows in (device, metric, ts) order from the cursor. */
  exportPage(q: ExportQuery, cursor: ExportCursor | null): Promise<ExportPage> {
    // Keyset pages on (ts, us, seq), the readings' key: two readings of one time are never split or skipped.
    const first = this.q('SELECT ts, us, seq, value FROM readings WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts, us, seq LIMIT ?').raw();
    const more = this.q('SELECT ts, us, seq, value FROM readings WHERE series = ? AND (ts, us, seq) > (?, ?, ?) AND ts < ? ORDER BY ts, us, seq LIMIT ?').raw();
    return exportPageOf(
      this.resolveSeries(q.devices, q.metrics),
      cursor,
      EXPORT_PAGE,
      async (s, after, want) =>
        (after ? more.all(s.id, after[0], after[1], after[2], q.to, want) : first.all(s.id, q.from, q.to, want)) as [number, number, number, number][],
    );
  }

  /** Pages from the cursor as one chunk of CSV or NDJSON bytes, formatted on the read worker (paged-export.ts). */
  async exportChunk(q: ExportQuery, format: ExportFormat, cursor: ExportCursor | null): Promise<ExportChunk> {
    return exportChunkOf((c) => this.exportPage(q, c), cursor, format, q.tsUnit);
  }

  /**
   * A device's readings in [from, to] ordered by (ts, us, metric), at most `limit`, for a backtest.
   * Each series is read through its primary key (at most `limit` rows each) and the series merged
   * here: one statement joining series to readings and ordering by time sorted the device's whole
   * remaining range in a temporary b-tree at every page (48 h of 3 metrics: 4-5 s of a 6 s backtest).
   * `from` may have a fraction (a replay page ends at a message's µs time): readings before it are
   * not returned, those at it are.
   */
  replayReadings(q: ReplayQuery): Reading[] {
    const series = this.q('SELECT id, metric FROM series WHERE device = ? ORDER BY metric').all(q.device) as { id: number; metric: string }[];
    const first = this.q(`SELECT ts, us, value, seq FROM readings WHERE series = ? AND ts >= ? AND ts <= ? AND ${TS} >= ? ORDER BY ts, us, seq LIMIT ?`).raw();
    const more = this.q(
      'SELECT ts, us, value, seq FROM readings WHERE series = ? AND (ts, us, seq) > (?, ?, ?) AND ts <= ? ORDER BY ts, us, seq LIMIT ?',
    ).raw();
    type Row = [number, number, number, number];
    // Each series in batches (keyset on its key), so a page reads little more than it returns.
    const batch = Math.max(1, Math.min(q.limit, REPLAY_BATCH));
    const streams = series.map((s) => ({ id: s.id, metric: s.metric, rows: first.all(s.id, Math.floor(q.from), q.to, q.from, batch) as Row[], i: 0 }));
    const head = (st: (typeof streams)[number]): Row | undefined => {
      if (st.i === st.rows.length && st.rows.length === batch) {
        const last = st.rows[st.rows.length - 1];
        st.rows = more.all(st.id, last[0], last[1], last[3], q.to, batch) as Row[];
        st.i = 0;
      }
      return st.rows[st.i];
    };
    const out: Reading[] = [];
    while (out.length < q.limit) {
      // The next reading by (ts, us), ties to the first metric (series are in metric order).
      let k = -1;
      let best: Row | undefined;
      for (let j = 0; j < streams.length; j++) {
        const r = head(streams[j]);
        if (r && (!best || r[0] < best[0] || (r[0] === best[0] && r[1] < best[1]))) {
          k = j;
          best = r;
        }
      }
      if (!best) break;
      streams[k].i++;
      const [ts, us, value, seq] = best;
      const r: Reading = { device: q.device, metric: streams[k].metric, ts: ts + us / 1000, value };
      if (seq !== null && seq !== NO_SEQ) r.seq = seq;
      out.push(r);
    }
    return out;
  }
}
