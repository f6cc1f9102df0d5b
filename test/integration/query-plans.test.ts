/**
 * Every read of telemetry the API issues, checked by its query plan on both engines: a request for
 * bounded devices, metrics and times must reach readings and rollups through the (series, ts) index,
 * never by scanning them. The queries are not listed by hand: the read code runs against a connection
 * that records each statement it issues, with its arguments, and each recorded one is explained.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { groupRowsOf } from '../helpers/group-rows.js';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { tempDir } from '../helpers/app.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { SqliteReads } from '../../src/stores/sqlite/sqlite-reads.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { PgReads } from '../../src/stores/postgres/pg-reads.js';
import type { Reading } from '../../src/model/reading.js';
import type {
  BucketQuery,
  ExportQuery,
  ManyBucketQuery,
  GroupRangeQuery,
  GroupRecentQuery,
  RangeQuery,
  RetentionPolicy,
  RollupQuery,
  StatsQuery,
  TelemetryStore,
} from '../../src/stores/store.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2024, 0, 10);
const retention: RetentionPolicy = { rawMs: 2 * DAY, minuteMs: 30 * DAY, hourMs: 730 * DAY };
const DEVICES = Array.from({ length: 20 }, (_, i) => `g${i + 1}-sensor${(i % 4) + 1}`);
const METRICS = ['rms', 'x', 'y', 'z'];

/** Readings of 20 devices x 4 metrics, 1 s apart for 30 minutes an hour ago, and a day's worth 20 days ago. */
async function load(store: TelemetryStore): Promise<void> {
  for (const start of [NOW - HOUR, NOW - 20 * DAY]) {
    for (const d of DEVICES) {
      const readings: Reading[] = [];
      for (let i = 0; i < 1800; i++) for (const m of METRICS) readings.push({ device: d, metric: m, ts: start + i * 1000, value: Math.sin(i / 10) });
      await store.write({ readings, devices: [{ id: d, seen: start }], rejected: [] });
    }
  }
}

/** The reads the API's routes make (telemetry raw and points, stats, recent, range, export, backtest), each shape once. */
interface Reads {
  queryRange(q: RangeQuery): unknown;
  queryBuckets(q: BucketQuery): unknown;
  queryBucketsMany(q: ManyBucketQuery): unknown;
  queryRollups(q: RollupQuery): unknown;
  stats(q: StatsQuery): unknown;
  groupRecent(q: GroupRecentQuery): unknown;
  groupRange(q: GroupRangeQuery): unknown;
}

async function runEveryRead(r: Reads, exportAll: (q: ExportQuery) => Promise<void>): Promise<void> {
  const one = { ids: ['g1-sensor1'], prefixes: [] };
  const group = { ids: ['g20-sensor4'], prefixes: ['g1'] };
  await r.queryRange({ device: 'g1-sensor1', metrics: ['rms', 'x'], from: NOW - HOUR, to: NOW, limit: 1000, maxRows: 200_000 });
  await r.queryRange({ device: 'g1-sensor1', from: NOW - HOUR, to: NOW, limit: 1000 });
  await r.queryBuckets({ device: 'g1-sensor1', metrics: ['rms'], from: NOW - HOUR, to: NOW, points: 100, now: NOW });
  await r.queryBuckets({ device: 'g1-sensor1', metrics: ['rms'], from: NOW - 2 * HOUR, to: NOW, points: 3, tz: 'Asia/Kolkata', now: NOW });
  await r.queryBuckets({ device: 'g1-sensor1', metrics: ['rms'], from: NOW - 21 * DAY, to: NOW - 19 * DAY, points: 1000, now: NOW });
  await r.queryBuckets({ device: 'g1-sensor1', metrics: ['rms'], from: NOW - 21 * DAY, to: NOW - 19 * DAY, points: 10, tz: 'Asia/Seoul', now: NOW + 40 * DAY });
  // The fleet table's last hour of the rows on screen, with their sequence counters (seq_stats).
  await r.queryBucketsMany({ devices: DEVICES.slice(0, 5), metrics: ['rms'], from: NOW - HOUR, to: NOW, points: 60, now: NOW, sequence: true });
  await r.queryRollups({ device: 'g1-sensor1', metric: 'rms', resolution: '1m', from: NOW - HOUR, to: NOW });
  await r.queryRollups({ device: 'g1-sensor1', metric: 'rms', resolution: '1h', from: NOW - 21 * DAY, to: NOW });
  await r.stats({ device: 'g1-sensor1', metrics: ['rms'], from: NOW - HOUR, to: NOW, now: NOW });
  await r.stats({ device: 'g1-sensor1', metrics: ['rms'], from: NOW - 21 * DAY, to: NOW - 19 * DAY, now: NOW });
  await r.stats({ device: 'g1-sensor1', metrics: ['rms'], from: NOW - 21 * DAY, to: NOW - 19 * DAY, now: NOW + 40 * DAY });
  for (const order of ['asc', 'desc'] as const) {
    await r.groupRecent({ devices: one, metrics: ['rms'], n: 10, order });
    await r.groupRecent({ devices: group, n: 10, order, maxRows: 200_000 });
    await r.groupRange({ devices: { ids: [], prefixes: ['g'] }, metrics: METRICS, from: NOW - HOUR, to: NOW, n: 140, order, maxRows: 200_000 });
    await r.groupRange({ devices: group, metrics: ['rms', 'x'], from: NOW - 30 * DAY, to: NOW, n: 140, order, offset: { from: 0, to: 140_000 } });
  }
  await exportAll({ devices: group, metrics: ['rms'], from: NOW - HOUR, to: NOW });
}

/** Plan lines that read readings or rollups without the (series, ts) index. */
function sqliteScans(plan: { detail: string }[]): string[] {
  return plan
    .map((p) => p.detail)
    .filter(
      (d) =>
        /^(SCAN|SEARCH) (readings_settled|readings_recent|readings|rollup_1m|rollup_1h|r|x)\b/.test(d) &&
        !/USING (PRIMARY KEY|COVERING INDEX sqlite_autoindex_\w+) \(series=\?/.test(d),
    );
}

describe('query plans: SQLite', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'fieldscope.db');
  let store: SqliteStore;
  let db: Database.Database;

  before(async () => {
    store = new SqliteStore({ path, retention, readWorkers: 1 });
    await store.open();
    await load(store.telemetry);
    db = new Database(path, { readonly: true });
  });
  after(async () => {
    db?.close();
    await store?.close();
    tmp.remove();
  });

  it('reads readings and rollups only through the (series, ts) key, for every read the API issues', async () => {
    const issued: { sql: string; args: unknown[] }[] = [];
    const record = (stmt: Database.Statement, sql: string): Database.Statement =>
      new Proxy(stmt, {
        get(target, key) {
          const v = Reflect.get(target, key) as unknown;
          if (key === 'all' || key === 'get' || key === 'run' || key === 'iterate') {
            return (...args: unknown[]) => {
              issued.push({ sql, args });
              return (v as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          if (key === 'pluck' || key === 'raw') return (...args: unknown[]) => ((v as (...a: unknown[]) => unknown).apply(target, args), record(target, sql));
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    const recording = new Proxy(db, {
      get(target, key) {
        if (key === 'prepare') return (sql: string) => record(target.prepare(sql), sql);
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const reads = new SqliteReads(recording, retention);
    await runEveryRead(reads, async (q) => {
      for (let c = await reads.exportPage(q, null); c.next; c = await reads.exportPage(q, c.next));
      reads.replayReadings({ device: 'g1-sensor1', from: NOW - HOUR, to: NOW, limit: 100_000 });
    });
    const distinct = new Map(issued.map((i) => [i.sql, i.args]));
    assert.ok(distinct.size >= 12, `expected the read code to issue its queries, got ${distinct.size}`);
    const bad: string[] = [];
    let onReadings = 0;
    for (const [sql, args] of distinct) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[];
      if (plan.some((p) => /\b(readings_settled|readings_recent|rollup_1m|rollup_1h|r)\b/.test(p.detail))) onReadings++;
      for (const line of sqliteScans(plan)) bad.push(`${sql.replace(/\s+/g, ' ')}\n    -> ${line}`);
    }
    assert.ok(onReadings >= 8, `expected queries on readings and rollups, got ${onReadings}`);
    assert.deepEqual(bad, [], `queries that scan instead of using the (series, ts) key:\n${bad.join('\n')}`);
    // Sequence counters (completeness) are read per device through the (device, bucket) key.
    const seqBad: string[] = [];
    let onSeq = 0;
    for (const [sql, args] of distinct) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[];
      for (const p of plan.filter((x) => /\bseq_stats\b/.test(x.detail))) {
        onSeq++;
        if (!/USING PRIMARY KEY \(device=\?/.test(p.detail)) seqBad.push(`${sql.replace(/\s+/g, ' ')}\n    -> ${p.detail}`);
      }
    }
    assert.ok(onSeq >= 1, 'expected the read code to read seq_stats');
    assert.deepEqual(seqBad, [], `seq_stats read without its (device, bucket) key:\n${seqBad.join('\n')}`);
    // The first or newest n of one series must come in the key's order, so that reading stops after n:
    // a sort before the LIMIT reads the whole window (the grouped range's cost on PostgreSQL, below).
    const sorted: string[] = [];
    let windows = 0;
    for (const [sql, args] of distinct) {
      // Every LIMITed read of readings (a backtest's replay page too: it once joined series and sorted the device's whole range per page).
      if (!/\breadings\b/.test(sql) || !/\bLIMIT\b/.test(sql)) continue;
      windows++;
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[];
      if (plan.some((p) => /TEMP B-TREE FOR (RIGHT PART OF )?ORDER BY/.test(p.detail))) sorted.push(sql.replace(/\s+/g, ' '));
    }
    assert.ok(windows >= 4, `expected the per-series window queries, got ${windows}`);
    assert.deepEqual(sorted, [], `queries that sort a series' readings before their LIMIT:\n${sorted.join('\n')}`);
  });

  it('answers the grouped range over 20 devices from the index (the old json_each filter scanned every reading)', async () => {
    // The same request through the store (read worker): 20 devices x 4 metrics, 140 each.
    const rows = await groupRowsOf(
      store.telemetry.groupRange({ devices: { ids: [], prefixes: ['g'] }, metrics: METRICS, from: NOW - HOUR, to: NOW, n: 140, order: 'asc' }),
    );
    assert.equal(rows.length, 20 * 4 * 140);
    assert.equal(rows[0].ts, NOW - HOUR);
  });
});

const pgSkip = requirePostgres('query plans on PostgreSQL').skip;

describe('query plans: PostgreSQL', { skip: pgSkip }, () => {
  let pg: TestPostgres;
  let store: PostgresStore;
  let url: string;

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    store = new PostgresStore({ url, retention, partitionsAhead: 1 });
    await store.open();
    await load(store.telemetry);
    const sql = postgres(url, { onnotice: () => {} });
    await sql`ANALYZE`;
    await sql.end();
  });
  after(async () => {
    await store?.close();
    await pg?.destroy();
  });

  it('reads readings and rollups only through an index on series, for every read the API issues', async () => {
    const plans: unknown[] = [];
    // auto_explain hands the plan of every statement this session runs back as a notice; seq scans
    // are priced out so that a plan that still scans has no index it could use.
    const sql = postgres(url, {
      max: 1,
      types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
      connection: {
        session_preload_libraries: 'auto_explain',
        'auto_explain.log_min_duration': '0',
        'auto_explain.log_level': 'notice',
        'auto_explain.log_format': 'json',
        enable_seqscan: 'off',
        client_min_messages: 'notice',
      } as Record<string, string>,
      onnotice: (n) => {
        const text = String(n.message);
        const at = text.indexOf('{');
        if (at >= 0) plans.push(JSON.parse(text.slice(at)));
      },
    });
    try {
      const reads = new PgReads(sql, retention, 5000);
      await runEveryRead(reads, async (q) => {
        for (let c = await reads.exportPage(q, null); c.next; c = await reads.exportPage(q, c.next));
        await reads.replayReadings({ device: 'g1-sensor1', from: NOW - HOUR, to: NOW, limit: 100_000 });
      });
    } finally {
      await sql.end();
    }
    assert.ok(plans.length >= 12, `expected a plan per statement, got ${plans.length}`);
    const bad: string[] = [];
    let onReadings = 0;
    // Under a LIMIT, rows of readings may be sorted only by columns (the key's ts, us, seq, or a series'
    // device and metric when several series are merged): the planner may then read one series in the
    // key's order and stop at the LIMIT. A sort by a computed value (the time with its µs, as the
    // grouped reads once ordered by) can never come from the key: every row of the window is read first.
    const sortedByOther: string[] = [];
    let limited = 0;
    let onSeq = 0;
    const scansReadings = (node: Record<string, unknown>): boolean =>
      /^readings/.test(String(node['Relation Name'] ?? '')) || ((node.Plans as Record<string, unknown>[] | undefined) ?? []).some(scansReadings);
    const walk = (node: Record<string, unknown>, query: string, underLimit: boolean) => {
      const type = node['Node Type'] as string;
      if (type === 'Limit') underLimit = true;
      const rel = node['Relation Name'] as string | undefined;
      if (rel && /^(readings|rollup_1m|rollup_1h)/.test(rel)) {
        onReadings++;
        if (underLimit) limited++;
        const cond = String(node['Index Cond'] ?? node['Recheck Cond'] ?? '');
        const viaIndex = (type === 'Index Scan' || type === 'Index Only Scan' || type === 'Bitmap Heap Scan') && /\bseries\b/.test(cond);
        if (!viaIndex) bad.push(`${query.replace(/\s+/g, ' ').slice(0, 200)}\n    -> ${type} on ${rel} (${cond || 'no condition'})`);
      }
      if (rel === 'seq_stats') {
        onSeq++;
        const cond = String(node['Index Cond'] ?? node['Recheck Cond'] ?? '');
        if (!/Index|Bitmap Heap/.test(type) || !/\bdevice\b/.test(cond))
          bad.push(`${query.replace(/\s+/g, ' ').slice(0, 200)}\n    -> ${type} on seq_stats (${cond || 'no condition'})`);
      }
      if (underLimit && /Sort$/.test(type) && scansReadings(node)) {
        const keys = (node['Sort Key'] as string[] | undefined) ?? [];
        const other = keys.filter((k) => !/^(\w+\.)?(ts|us|seq|device|metric)( DESC)?$/.test(k));
        if (other.length) sortedByOther.push(`${query.replace(/\s+/g, ' ').slice(0, 300)}\n    -> ${type} by ${other.join(', ')} before the LIMIT`);
      }
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child, query, underLimit);
    };
    for (const p of plans as { 'Query Text': string; Plan: Record<string, unknown> }[]) walk(p.Plan, p['Query Text'], false);
    assert.ok(onReadings >= 8, `expected scans of readings and rollups in the plans, got ${onReadings}`);
    assert.ok(onSeq >= 1, 'expected the read code to read seq_stats (the many-device buckets with completeness)');
    assert.deepEqual(bad, [], `queries that scan readings or rollups without an index on series:\n${bad.join('\n')}`);
    assert.ok(limited >= 4, `expected scans under a LIMIT (the grouped reads' windows), got ${limited}`);
    assert.deepEqual(sortedByOther, [], `queries that sort readings by other than the key before their LIMIT:\n${sortedByOther.join('\n')}`);
  });
});

describe('query plans: PostgreSQL before the statistics catch up', { skip: pgSkip }, () => {
  // A partition being filled has no statistics (or an average over every series, far below what a 1 Hz
  // series holds): the planner then priced a bitmap scan of each series' whole window plus a sort below
  // the cheap ordered walk of the key, and read 1,800 rows per series to answer 140. Autovacuum is off
  // in this cluster of its own, so that no ANALYZE arrives while the test runs.
  let pg: TestPostgres;
  let url: string;
  let store: PostgresStore;

  before(async () => {
    pg = await startPostgres();
    const admin = postgres(await pg.createDatabase(), { max: 1, onnotice: () => {} });
    await admin`ALTER SYSTEM SET autovacuum = off`;
    await admin`SELECT pg_reload_conf()`;
    await admin.end();
    url = await pg.createDatabase();
    store = new PostgresStore({ url, retention, partitionsAhead: 1 });
    await store.open();
    await load(store.telemetry);
  });
  after(async () => {
    await store?.close();
    await pg?.destroy();
  });

  it('walks each series in key order and stops at its LIMIT (grouped windows, export pages, backtest pages), with the answers of the data', async () => {
    const plans: { 'Query Text': string; Plan: Record<string, unknown> }[] = [];
    const sql = postgres(url, {
      max: 1,
      types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
      connection: {
        session_preload_libraries: 'auto_explain',
        'auto_explain.log_min_duration': '0',
        'auto_explain.log_level': 'notice',
        'auto_explain.log_format': 'json',
        client_min_messages: 'notice',
      } as Record<string, string>,
      onnotice: (n) => {
        const text = String(n.message);
        const at = text.indexOf('{');
        if (at >= 0) plans.push(JSON.parse(text.slice(at)) as (typeof plans)[number]);
      },
    });
    const value = (ts: number) => Math.sin((ts - (NOW - HOUR)) / 10_000);
    try {
      // postgres.js learns the array types when its first connection opens (as the read worker does).
      await sql`SELECT 1`;
      const reads = new PgReads(sql, retention, 5000);
      for (const order of ['asc', 'desc'] as const) {
        const rows = await groupRowsOf(reads.groupRange({ devices: { ids: [], prefixes: ['g'] }, metrics: METRICS, from: NOW - HOUR, to: NOW, n: 140, order }));
        assert.equal(rows.length, 20 * 4 * 140, order);
        // Ordered by device, metric, ts; asc: the window's first 140 seconds, desc: its last 140 (of the half hour loaded).
        const first = order === 'asc' ? NOW - HOUR : NOW - HOUR + 1799_000 - 139_000;
        for (const [i, r] of rows.slice(0, 140).entries()) {
          assert.equal(r.ts, first + i * 1000);
          assert.equal(r.value, value(r.ts));
        }
      }
      let exported = 0;
      for (let c = await reads.exportPage({ devices: { ids: ['g1-sensor1'], prefixes: [] }, from: NOW - HOUR, to: NOW }, null); ;) {
        exported += c.rows.length;
        if (!c.next) break;
        c = await reads.exportPage({ devices: { ids: ['g1-sensor1'], prefixes: [] }, from: NOW - HOUR, to: NOW }, c.next);
      }
      assert.equal(exported, 4 * 1800);
      const replay = await reads.replayReadings({ device: 'g1-sensor1', from: NOW - HOUR, to: NOW, limit: 500 });
      assert.equal(replay.length, 500);
      assert.deepEqual(
        replay.slice(0, 4).map((r) => [r.metric, r.ts]),
        METRICS.map((m) => [m, NOW - HOUR]),
      );
    } finally {
      await sql.end();
    }
    const walks: string[] = [];
    const bad: string[] = [];
    // Between a scan of readings and the nearest LIMIT above it: no sort (a sort above an inner LIMIT,
    // merging the series' windows, is not reading a whole window).
    const walk = (node: Record<string, unknown>, query: string, underLimit: boolean, sorted: boolean) => {
      const type = node['Node Type'] as string;
      if (type === 'Limit') [underLimit, sorted] = [true, false];
      if (/Sort$/.test(type)) sorted = true;
      const rel = String(node['Relation Name'] ?? '');
      if (underLimit && /^readings/.test(rel)) {
        walks.push(query);
        const q = query.replace(/\s+/g, ' ').slice(0, 160);
        if (type !== 'Index Scan' && type !== 'Index Only Scan') bad.push(`${q}\n    -> ${type} on ${rel}`);
        if (sorted) bad.push(`${q}\n    -> a sort of ${rel} before its LIMIT`);
      }
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child, query, underLimit, sorted);
    };
    for (const p of plans) walk(p.Plan, p['Query Text'], false, false);
    assert.ok(new Set(walks).size >= 4, `expected the grouped, export and replay windows in the plans, got ${new Set(walks).size}`);
    assert.deepEqual(bad, [], `key-walking reads planned otherwise without statistics:\n${bad.join('\n')}`);
  });
});
