// Storage benchmarks (issue "Storage at two scales"): readings/s written through the Store for each
// engine, beside that engine's raw insert rate for the same rows in the same run; and a 30-day range
// downsampled to 1,000 buckets from the rollups. The stores are opened without read worker threads:
// reads are not measured here, and workers starting up (about a second of CPU each under tsx) would
// share the two cores with the timed writes, which the raw baselines do not have to.
import postgres from 'postgres';
import { join } from 'node:path';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../src/stores/postgres/postgres-store.js';
import type { Store } from '../src/stores/store.js';
import type { Reading } from '../src/model/reading.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { median, tempDir } from './lib/procs.js';
import { rawSqliteInsertMs } from './lib/raw-sqlite-insert.js';
import type { Figure } from './lib/report.js';

const BATCH = 5000;

/** `n` readings of 10 devices x 3 metrics at 1 Hz, ending now, in store batches. */
function batches(n: number): Reading[][] {
  const out: Reading[][] = [];
  const now = Date.now();
  let cur: Reading[] = [];
  for (let i = 0; i < n; i++) {
    const dev = i % 10;
    const metric = ['v', 'a', 'w'][Math.floor(i / 10) % 3];
    const ts = now - Math.floor(n / 30) * 1000 + Math.floor(i / 30) * 1000;
    cur.push({ device: `w-${dev}`, metric, ts, value: Math.random() });
    if (cur.length === BATCH) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

async function throughStore(store: Store, data: Reading[][]): Promise<number> {
  const devices = Array.from({ length: 10 }, (_, i) => ({ id: `w-${i}`, seen: Date.now() }));
  const t0 = performance.now();
  // Each batch named as the pipeline's batcher names it: both stores record the id in the transaction.
  let k = 0;
  for (const readings of data) await store.telemetry.write({ readings, devices, rejected: [], id: `bench.${++k}` });
  return (data.length * BATCH) / ((performance.now() - t0) / 1000);
}

async function rawPostgres(url: string, data: Reading[][]): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`CREATE TABLE raw_readings (series INTEGER NOT NULL, ts BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, PRIMARY KEY (series, ts))`;
  const series = new Map<string, number>();
  const t0 = performance.now();
  for (const rows of data) {
    const s: number[] = [];
    const ts: number[] = [];
    const v: number[] = [];
    for (const r of rows) {
      const k = r.device + '\u0000' + r.metric;
      let id = series.get(k);
      if (id === undefined) series.set(k, (id = series.size + 1));
      s.push(id);
      ts.push(r.ts);
      v.push(r.value);
    }
    await sql`INSERT INTO raw_readings SELECT * FROM unnest(${s}::int[], ${ts}::bigint[], ${v}::float8[]) ON CONFLICT DO NOTHING`;
  }
  const rate = (data.length * BATCH) / ((performance.now() - t0) / 1000);
  await sql.end();
  return rate;
}

export async function benchStoreWrite(o: { readings: number; runs: number }): Promise<Figure[]> {
  const figures: Figure[] = [];
  // SQLite
  {
    const ours: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const data = batches(o.readings);
      const d = tempDir('fs-bench-write-');
      const store = new SqliteStore({ path: join(d.dir, 'store.db'), readWorkers: 0 });
      await store.open();
      ours.push(await throughStore(store, data));
      await store.close();
      base.push((data.length * BATCH) / (rawSqliteInsertMs(join(d.dir, 'raw.db'), data) / 1000));
      d.remove();
      process.stderr.write(`  store write sqlite run ${i + 1}: store ${Math.round(ours[i])}/s, raw ${Math.round(base[i])}/s\n`);
    }
    const value = median(ours);
    const b = median(base);
    figures.push({
      id: 'store-write-sqlite',
      name: 'S1. SQLite: readings/s through Store.write (with rollups)',
      value,
      unit: 'readings/s',
      runs: ours,
      baseline: { name: 'raw better-sqlite3 insert loop, same rows', value: b, runs: base },
      ratio: value / b,
      target: '>= 0.7x raw',
      met: value / b >= 0.7,
    });
  }
  // 30 days from the rollups (SQLite): 1 reading per minute for 30 days x 3 metrics.
  {
    const d = tempDir('fs-bench-30d-');
    const store = new SqliteStore({ path: join(d.dir, 'store.db') });
    await store.open();
    const now = Date.now();
    const from = now - 30 * 86_400_000;
    let rows: Reading[] = [];
    for (let t = from; t < now; t += 60_000) {
      for (const m of ['v', 'a', 'w']) rows.push({ device: 'month-1', metric: m, ts: t, value: Math.sin(t / 3.6e6) });
      if (rows.length >= 30_000) {
        await store.telemetry.write({ readings: rows, devices: [{ id: 'month-1', seen: now }], rejected: [] });
        rows = [];
      }
    }
    await store.telemetry.write({ readings: rows, devices: [{ id: 'month-1', seen: now }], rejected: [] });
    const times: number[] = [];
    let resolution = '';
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      const r = await store.telemetry.queryBuckets({ device: 'month-1', metrics: ['v', 'a', 'w'], from, to: now, points: 1000, now });
      times.push(performance.now() - t0);
      resolution = r.resolution;
    }
    await store.close();
    d.remove();
    figures.push({
      id: 'history-30d',
      name: `S2. SQLite: 30 days x 3 metrics -> 1,000 buckets (from ${resolution} rollups)`,
      value: median(times),
      unit: 'ms',
      runs: times,
      target: '< 20 ms',
      met: median(times) < 20,
    });
  }
  // PostgreSQL, started for the run (initdb into a temp dir, a free port).
  {
    const pg = await startPostgres({ durable: true });
    try {
      const ours: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        const data = batches(o.readings);
        const store = new PostgresStore({ url: await pg.createDatabase(), readWorkers: 0 });
        await store.open();
        ours.push(await throughStore(store, data));
        await store.close();
        base.push(await rawPostgres(await pg.createDatabase(), data));
        process.stderr.write(`  store write postgres run ${i + 1}: store ${Math.round(ours[i])}/s, raw ${Math.round(base[i])}/s\n`);
      }
      const value = median(ours);
      const b = median(base);
      figures.push({
        id: 'store-write-postgres',
        name: 'S3. PostgreSQL: readings/s through Store.write (partitions, rollups)',
        value,
        unit: 'readings/s',
        runs: ours,
        baseline: { name: 'raw postgres.js unnest insert, same rows', value: b, runs: base },
        ratio: value / b,
        target: '>= 0.8x raw (issue 21)',
        met: value / b >= 0.8,
      });
    } finally {
      await pg.destroy();
    }
  }
  return figures;
}
