import type Database from 'better-sqlite3';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type {
  BucketQuery,
  BucketResult,
  DeviceFilter,
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
import { emptyBuckets, fromGrouped, mergeIntoBuckets, planBuckets, type PartialRow } from '../buckets.js';
import type { RollupAccumulator } from '../rollup-accumulator.js';
import { statsFromSums, statsOf } from '../stats.js';
import { retentionFor } from '../retention.js';

const rollupTable = { '1m': 'rollup_1m', '1h': 'rollup_1h' } as const;
const EXPORT_PAGE = 5000;

/** Device/metric filter as SQL over `series s`, with its arguments (JSON arrays read by json_each). */
export function seriesFilter(devices: DeviceFilter | undefined, metrics: string[] | undefined): { sql: string; args: string[] } {
  const where: string[] = [];
  const args: string[] = [];
  if (devices) {
    where.push(`(s.device IN (SELECT value FROM json_each(?)) OR EXISTS (SELECT 1 FROM json_each(?) p WHERE substr(s.device, 1, length(p.value)) = p.value))`);
    args.push(JSON.stringify(devices.ids), JSON.stringify(devices.prefixes));
  }
  if (metrics?.length) {
    where.push('s.metric IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(metrics));
  }
  return { sql: where.length ? where.join(' AND ') : '1', args };
}

/** Rollups, history, statistics, group queries, export and retention for the SQLite store. */
export class SqliteHistory {
  private readonly upsert: Record<'1m' | '1h', Database.Statement>;
  private readonly findSeries: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    readonly retention: RetentionPolicy,
  ) {
    const upsert = (table: string) =>
      db.prepare(
        `INSERT INTO ${table} (series, bucket, v_min, v_max, v_sum, v_sum_sq, n, first_ts, first_v, last_ts, last_v)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (series, bucket) DO UPDATE SET
           v_min = min(v_min, excluded.v_min), v_max = max(v_max, excluded.v_max),
           v_sum = v_sum + excluded.v_sum, v_sum_sq = v_sum_sq + excluded.v_sum_sq, n = n + excluded.n,
           first_v = CASE WHEN excluded.first_ts < first_ts THEN excluded.first_v ELSE first_v END,
           first_ts = min(first_ts, excluded.first_ts),
           last_v = CASE WHEN excluded.last_ts > last_ts THEN excluded.last_v ELSE last_v END,
           last_ts = max(last_ts, excluded.last_ts)`,
      );
    this.upsert = { '1m': upsert('rollup_1m'), '1h': upsert('rollup_1h') };
    this.findSeries = db.prepare('SELECT id FROM series WHERE device = ? AND metric = ?').pluck();
  }

  /** Runs inside the write transaction: rollups commit with the readings they summarize. */
  applyRollups(acc: RollupAccumulator): void {
    for (const [res, map] of [
      ['1m', acc.minute],
      ['1h', acc.hour],
    ] as const) {
      const stmt = this.upsert[res];
      for (const d of map.values()) stmt.run(d.series, d.bucket, d.min, d.max, d.sum, d.sumSq, d.count, d.firstTs, d.first, d.lastTs, d.last);
    }
  }

  private sid(device: string, metric: string): number | undefined {
    return this.findSeries.get(device, metric) as number | undefined;
  }

  queryBuckets(q: BucketQuery): BucketResult {
    const plan = planBuckets({ from: q.from, to: q.to, points: q.points, tz: q.tz, retention: this.retention, now: q.now ?? Date.now() });
    const series: BucketResult['series'] = {};
    const raw = plan.resolution === 'raw';
    const table = plan.resolution === 'raw' ? 'readings' : rollupTable[plan.resolution];
    const t = raw ? 'ts' : 'bucket';
    const agg = raw ? 'min(value), max(value), sum(value), count(*)' : 'min(v_min), max(v_max), sum(v_sum), sum(n)';
    const grouped = this.db
      .prepare(
        `SELECT (${t} - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS b, ${agg} FROM ${table} WHERE series = ? AND ${t} >= ? AND ${t} < ? GROUP BY b ORDER BY b`,
      )
      .raw();
    const rows = this.db
      .prepare(
        raw
          ? 'SELECT ts, value, value, value, 1 FROM readings WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts'
          : `SELECT bucket, v_min, v_max, v_sum, n FROM ${table} WHERE series = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
      )
      .raw();
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

  queryRollups(q: RollupQuery): RollupRow[] {
    const id = this.sid(q.device, q.metric);
    if (id === undefined) return [];
    return this.db
      .prepare(
        `SELECT bucket, v_min AS min, v_max AS max, v_sum AS sum, n AS count, v_sum / n AS avg,
           first_ts AS firstTs, first_v AS first, last_ts AS lastTs, last_v AS last
         FROM ${rollupTable[q.resolution]} WHERE series = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket`,
      )
      .all(id, q.from, q.to) as RollupRow[];
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
            : (this.db.prepare('SELECT value FROM readings WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY value').pluck().all(id, q.from, q.to) as number[]);
        out.stats[metric] = statsOf(values);
      } else {
        const r = (
          id === undefined
            ? undefined
            : this.db
                .prepare(
                  `SELECT min(v_min) AS min, max(v_max) AS max, sum(v_sum) AS sum, sum(v_sum_sq) AS sumSq, coalesce(sum(n), 0) AS count
                    FROM ${rollupTable[resolution]} WHERE series = ? AND bucket >= ? AND bucket <= ?`,
                )
                .get(id, q.from - (q.from % (resolution === '1m' ? 60_000 : 3_600_000)), q.to)
        ) as { min: number | null; max: number | null; sum: number; sumSq: number; count: number } | undefined;
        out.stats[metric] = r ? statsFromSums(r) : statsOf([]);
      }
    }
    return out;
  }

  groupRecent(q: GroupRecentQuery): GroupRow[] {
    const f = seriesFilter(q.devices, q.metrics);
    // The correlated bound lets each series' index range start at its n-th newest reading.
    return this.db
      .prepare(
        `SELECT device, metric, ts, value FROM (
           SELECT s.device, s.metric, r.ts, r.value, row_number() OVER (PARTITION BY r.series ORDER BY r.ts DESC) AS rn
           FROM series s JOIN readings r ON r.series = s.id
           WHERE ${f.sql}
             AND r.ts >= coalesce((SELECT x.ts FROM readings x WHERE x.series = s.id ORDER BY x.ts DESC LIMIT 1 OFFSET ?), -9007199254740991)
         ) WHERE rn <= ? ORDER BY device, metric, ts`,
      )
      .all(...f.args, q.n - 1, q.n) as GroupRow[];
  }

  groupRange(q: GroupRangeQuery): GroupRow[] {
    const f = seriesFilter(q.devices, q.metrics);
    return this.db
      .prepare(
        `SELECT device, metric, ts, value FROM (
           SELECT s.device, s.metric, r.ts, r.value, row_number() OVER (PARTITION BY r.series ORDER BY r.ts DESC) AS rn
           FROM series s JOIN readings r ON r.series = s.id
           WHERE ${f.sql} AND r.ts <= ?
             AND r.ts >= max(?, coalesce((SELECT x.ts FROM readings x WHERE x.series = s.id AND x.ts <= ? ORDER BY x.ts DESC LIMIT 1 OFFSET ?), ?))
         ) WHERE rn <= ? ORDER BY device, metric, ts`,
      )
      .all(...f.args, q.to, q.from, q.to, q.n - 1, q.from, q.n) as GroupRow[];
  }

  async *exportRows(q: ExportQuery): AsyncGenerator<GroupRow> {
    const f = seriesFilter(q.devices, q.metrics);
    const series = this.db.prepare(`SELECT id, device, metric FROM series s WHERE ${f.sql} ORDER BY device, metric`).all(...f.args) as {
      id: number;
      device: string;
      metric: string;
    }[];
    const page = this.db.prepare('SELECT ts, value FROM readings WHERE series = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?').raw();
    for (const s of series) {
      let from = q.from;
      for (;;) {
        // Keyset pages: no cursor stays open, so writers are never held up by a slow reader.
        const rows = page.all(s.id, from, q.to, EXPORT_PAGE) as [number, number][];
        for (const [ts, value] of rows) yield { device: s.device, metric: s.metric, ts, value };
        if (rows.length < EXPORT_PAGE) break;
        from = rows[rows.length - 1][0] + 1;
        await yieldToLoop();
      }
    }
  }

  applyRetention(now: number): RetentionResult {
    const series = this.db.prepare('SELECT s.id, d.profile FROM series s LEFT JOIN devices d ON d.id = s.device').all() as {
      id: number;
      profile: string | null;
    }[];
    const del = {
      raw: this.db.prepare('DELETE FROM readings WHERE series = ? AND ts < ?'),
      minute: this.db.prepare('DELETE FROM rollup_1m WHERE series = ? AND bucket < ?'),
      hour: this.db.prepare('DELETE FROM rollup_1h WHERE series = ? AND bucket < ?'),
    };
    const result: RetentionResult = { raw: 0, minute: 0, hour: 0, partitionsDropped: 0 };
    // One short transaction per series, so ingest never waits long behind a big purge.
    const one = this.db.transaction((id: number, p: ReturnType<typeof retentionFor>) => {
      result.raw += del.raw.run(id, now - p.rawMs).changes;
      result.minute += del.minute.run(id, now - p.minuteMs).changes;
      result.hour += del.hour.run(id, now - p.hourMs).changes;
    });
    for (const s of series) one(s.id, retentionFor(this.retention, s.profile));
    return result;
  }
}
