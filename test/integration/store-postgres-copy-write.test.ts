/**
 * The PostgreSQL write path (readings-write.ts): rows by binary COPY into a session stage, rollups from
 * the writer's own parts when every row was new, from RETURNING when some were duplicates. Whatever
 * path a batch takes, the rollup tables must equal an aggregation of the readings actually stored,
 * computed here by the database from the readings table (not by either write path).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres, { type Sql } from 'postgres';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { Reading } from '../../src/model/reading.js';
import type { WriteBatch } from '../../src/stores/store.js';

const { skip } = requirePostgres('PostgreSQL COPY write path');

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 10);

const batch = (readings: Reading[]): WriteBatch => {
  const devices = new Map<string, number>();
  // A device is seen at a whole ms (the pipeline's receive time), its readings may carry µs.
  for (const r of readings) devices.set(r.device, Math.max(devices.get(r.device) ?? 0, Math.floor(r.ts)));
  return { readings, devices: [...devices].map(([id, seen]) => ({ id, seen })), rejected: [] };
};

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface RollupRow {
  series: number;
  bucket: number;
  v_min: number;
  v_max: number;
  v_sum: number;
  v_sum_sq: number;
  n: number;
  first_ts: number;
  first_v: number;
  last_ts: number;
  last_v: number;
}

/** Every rollup row of a table beside the same aggregation over the stored readings. */
async function rollupsVsReadings(sql: Sql, table: 'rollup_1m' | 'rollup_1h', width: number): Promise<{ stored: RollupRow[]; truth: RollupRow[] }> {
  const stored = await sql.unsafe<RollupRow[]>(
    `SELECT series, bucket, v_min, v_max, v_sum, v_sum_sq, n::int AS n, first_ts, first_v, last_ts, last_v FROM ${table} ORDER BY series, bucket`,
  );
  // first/last by (ts, us, seq): the tests below never store two readings of one (series, ts, us) at a bucket's edge.
  const truth = await sql.unsafe<RollupRow[]>(`
    SELECT series, ts - (((ts % ${width}) + ${width}) % ${width}) AS bucket, min(value) AS v_min, max(value) AS v_max,
      sum(value) AS v_sum, sum(value * value) AS v_sum_sq, count(*)::int AS n,
      min(ts) AS first_ts, (array_agg(value ORDER BY ts, us, seq))[1] AS first_v,
      max(ts) AS last_ts, (array_agg(value ORDER BY ts DESC, us DESC, seq DESC))[1] AS last_v
    FROM readings GROUP BY 1, 2 ORDER BY 1, 2`);
  return { stored: [...stored], truth: [...truth] };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} != ${b}`);

async function assertRollupsExact(sql: Sql): Promise<void> {
  for (const [table, width] of [
    ['rollup_1m', MIN],
    ['rollup_1h', HOUR],
  ] as const) {
    const { stored, truth } = await rollupsVsReadings(sql, table, width);
    assert.equal(stored.length, truth.length, `${table}: bucket count`);
    for (let i = 0; i < truth.length; i++) {
      const s = stored[i];
      const t = truth[i];
      const at = `${table} series ${t.series} bucket ${t.bucket}`;
      assert.deepEqual([s.series, Number(s.bucket)], [t.series, Number(t.bucket)], at);
      assert.equal(s.n, t.n, `${at}: count`);
      assert.equal(s.v_min, t.v_min, `${at}: min`);
      assert.equal(s.v_max, t.v_max, `${at}: max`);
      close(s.v_sum, t.v_sum, `${at}: sum`);
      close(s.v_sum_sq, t.v_sum_sq, `${at}: sum of squares`);
      assert.deepEqual([Number(s.first_ts), s.first_v], [Number(t.first_ts), t.first_v], `${at}: first`);
      assert.deepEqual([Number(s.last_ts), s.last_v], [Number(t.last_ts), t.last_v], `${at}: last`);
    }
  }
}

describe('PostgreSQL write path: COPY, rollups from parts or from RETURNING', { skip }, () => {
  let pg: TestPostgres;
  let store: PostgresStore;
  let sql: Sql;
  before(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase();
    store = new PostgresStore({ url, readWorkers: 0 });
    await store.open();
    sql = postgres(url, { max: 1, onnotice: () => {} });
  });
  after(async () => {
    await sql?.end();
    await store?.close();
    await pg?.destroy();
  });

  it('counts new rows and duplicates on every path, and keeps the rollups equal to the stored readings', async () => {
    const w = (rs: Reading[]) => store.telemetry.write(batch(rs));
    // All new: the rollups come from the writer's parts.
    const first = [0, 1, 2, 3].map((i) => ({ device: 'p', metric: 'x', ts: T0 + i * 1000, value: i }));
    assert.deepEqual(await w(first), { inserted: 4, duplicates: 0 });
    await assertRollupsExact(sql);
    // Only duplicates of stored rows (a re-import): nothing new, no rollup touched.
    assert.deepEqual(await w(first.map((r) => ({ ...r, value: 100 }))), { inserted: 0, duplicates: 4 });
    await assertRollupsExact(sql);
    // A duplicate within the batch: the first of the two is kept, the second counted (the RETURNING path).
    const inBatch = [
      { device: 'p', metric: 'x', ts: T0 + 10_000, value: 10 },
      { device: 'p', metric: 'x', ts: T0 + 10_000, value: 11 },
      { device: 'p', metric: 'x', ts: T0 + 11_000, value: 12 },
    ];
    assert.deepEqual(await w(inBatch), { inserted: 2, duplicates: 1 });
    const got = await store.telemetry.queryRange({ device: 'p', metrics: ['x'], from: T0, to: T0 + 20_000, limit: 100 });
    assert.deepEqual(got.x.value, [0, 1, 2, 3, 10, 12]);
    await assertRollupsExact(sql);
    // A duplicate of a stored row beside new rows (the RETURNING path).
    assert.deepEqual(await w([first[2], { device: 'p', metric: 'x', ts: T0 + 12_000, value: 13 }]), { inserted: 1, duplicates: 1 });
    await assertRollupsExact(sql);
    const [m] = await store.telemetry.queryRollups({ device: 'p', metric: 'x', resolution: '1m', from: T0 - MIN, to: T0 + MIN });
    assert.equal(m.count, 7);
    assert.equal(m.sum, 0 + 1 + 2 + 3 + 10 + 12 + 13);
  });

  it('stores µs times and orders first/last within one millisecond by µs, on both paths', async () => {
    const base = T0 + 5 * HOUR + 500; // inside a minute, away from bucket edges
    // All new: times 0.25 ms apart, written newest first so that batch order is not time order.
    const rs: Reading[] = [0.75, 0.5, 0.25, 0].map((f, i) => ({ device: 'u', metric: 'v', ts: base + f, value: 40 - i }));
    assert.deepEqual(await store.telemetry.write(batch(rs)), { inserted: 4, duplicates: 0 });
    const [a] = await sql<{ first_v: number; last_v: number; first_ts: number }[]>`
      SELECT r.first_v, r.last_v, r.first_ts FROM rollup_1m r JOIN series s ON s.id = r.series WHERE s.device = 'u'`;
    assert.deepEqual([a.first_v, a.last_v, Number(a.first_ts)], [37, 40, base], 'first is the reading at µs 0, last the one at µs 750');
    const stored = await sql<{ us: number }[]>`SELECT us FROM readings r JOIN series s ON s.id = r.series WHERE s.device = 'u' ORDER BY us`;
    assert.deepEqual(
      stored.map((x) => x.us),
      [0, 250, 500, 750],
    );
    // With a duplicate (the RETURNING path): an earlier µs in the same ms becomes the new first.
    const more: Reading[] = [rs[0], { device: 'u', metric: 'v', ts: base - 0.5, value: 7 }];
    assert.deepEqual(await store.telemetry.write(batch(more)), { inserted: 1, duplicates: 1 });
    const [b] = await sql<{ first_v: number; n: number }[]>`
      SELECT r.first_v, r.n::int AS n FROM rollup_1m r JOIN series s ON s.id = r.series WHERE s.device = 'u'`;
    assert.deepEqual([b.first_v, b.n], [7, 5]);
    await assertRollupsExact(sql);
  });

  it('keeps rollups exact over many random batches: late data, duplicates within and across batches, µs times, seq', async () => {
    const rand = rng(7);
    const sent: Reading[] = [];
    let inserted = 0;
    let duplicates = 0;
    for (let b = 0; b < 30; b++) {
      const rs: Reading[] = [];
      const size = 50 + Math.floor(rand() * 400);
      // A third of the batches are all new; the rest repeat some readings already sent or in the batch.
      const withDuplicates = b % 3 !== 0;
      for (let i = 0; i < size; i++) {
        if (withDuplicates && sent.length && rand() < 0.1) {
          rs.push(sent[Math.floor(rand() * sent.length)]);
          continue;
        }
        if (withDuplicates && rs.length && rand() < 0.05) {
          rs.push({ ...rs[Math.floor(rand() * rs.length)], value: -1 });
          continue;
        }
        // 3 hours of random times in whole µs (unique with overwhelming odds), 3 devices x 2 metrics.
        const us = Math.floor(rand() * 3 * HOUR * 1000);
        rs.push({
          device: `r-${Math.floor(rand() * 3)}`,
          metric: rand() < 0.5 ? 'a' : 'b',
          ts: T0 + 10 * HOUR + us / 1000,
          value: Math.round(rand() * 2e6 - 1e6) / 1000,
          seq: Math.floor(rand() * 1000),
        });
      }
      const r = await store.telemetry.write(batch(rs));
      inserted += r.inserted;
      duplicates += r.duplicates;
      sent.push(...rs);
    }
    const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM readings r JOIN series s ON s.id = r.series WHERE s.device LIKE 'r-%'`;
    assert.equal(inserted, n, 'inserted = rows stored');
    assert.equal(inserted + duplicates, sent.length);
    assert.ok(duplicates > 0, 'the run had duplicates');
    await assertRollupsExact(sql);
  });

  it('leaves the stage empty after each transaction, committed or rolled back', async () => {
    const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_class WHERE relname = 'fieldscope_stage' AND relpersistence = 't'`;
    assert.ok(n >= 1, 'the store made its stage');
    // A batch that fails inside the transaction (a series id that does not exist cannot fail here, so
    // break the rejected insert: a NUL byte in text is refused by PostgreSQL) rolls back the readings too.
    const bad: WriteBatch = {
      ...batch([{ device: 'bad', metric: 'x', ts: T0 + 20 * HOUR, value: 1 }]),
      rejected: [{ at: T0, source: 'http', device: 'bad', field: 'x', rule: 'r', error: 'e', payload: 'a\u0000b' }],
    };
    await assert.rejects(store.telemetry.write(bad));
    const [{ rows }] = await sql<{ rows: number }[]>`SELECT count(*)::int AS rows FROM readings WHERE ts >= ${T0 + 20 * HOUR}`;
    assert.equal(rows, 0, 'nothing of the failed batch stored');
    // The next batches on the same sessions are unaffected by what the failed one staged.
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(await store.telemetry.write(batch([{ device: 'bad', metric: 'x', ts: T0 + 20 * HOUR + i, value: i }])), { inserted: 1, duplicates: 0 });
    }
    await assertRollupsExact(sql);
  });
});
