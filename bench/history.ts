// Benchmark 6: 48 h at 1 Hz for 3 metrics downsampled to 1,000 buckets, with `total` readings in
// the SQLite store. Baseline: the same buckets computed by one GROUP BY over the raw readings, in the
// same database, in the same run.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import type { Reading } from '../src/model/reading.js';
import { median, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';

const H48 = 48 * 3600_000;

/**
 * baselineQueries: how many times the raw GROUP BY runs (default: as many as `queries`). It takes
 * ~1.4 s a time against the figure's ~8 ms and its repeats agree within ~30%, so a handful is enough
 * for the ratio; the figure itself keeps its 21 queries (the first few are cold).
 */
export async function benchHistory(o: { total: number; queries: number; baselineQueries?: number }): Promise<Figure> {
  const data = tempDir('fs-bench-history-');
  const path = join(data.dir, 'fieldscope.db');
  const store = new SqliteStore({ path });
  await store.open();
  const now = Date.now();
  const from = now - H48;
  const metrics = ['v', 'a', 'w'];
  let written = 0;
  const batch: Reading[] = [];
  const flush = async (devices: string[]) => {
    await store.telemetry.write({ readings: batch, devices: devices.map((id) => ({ id, seen: now })), rejected: [] });
    written += batch.length;
    batch.length = 0;
  };
  // The device we query: 172,800 seconds x 3 metrics.
  for (let t = from; t < now; t += 1000) {
    for (const m of metrics) batch.push({ device: 'hist-1', metric: m, ts: t, value: Math.sin(t / 60_000) * (m === 'v' ? 5 : 1) + Math.random() * 0.01 });
    if (batch.length >= 60_000) await flush(['hist-1']);
  }
  await flush(['hist-1']);
  // Other devices fill the store to `total` readings over the same 48 h.
  let d = 0;
  while (written < o.total) {
    const id = `filler-${String(d++).padStart(3, '0')}`;
    const step = 1000;
    for (let t = from; t < now && written + batch.length < o.total; t += step) {
      for (const m of metrics) batch.push({ device: id, metric: m, ts: t, value: Math.random() });
      if (batch.length >= 60_000) await flush([id]);
    }
    await flush([id]);
  }
  process.stderr.write(`  history: ${written.toLocaleString('en-US')} readings stored\n`);

  const ours: number[] = [];
  for (let i = 0; i < o.queries; i++) {
    const t0 = performance.now();
    const r = await store.telemetry.queryBuckets({ device: 'hist-1', metrics, from, to: now, points: 1000, now });
    ours.push(performance.now() - t0);
    if (i === 0) process.stderr.write(`  history: resolution ${r.resolution}, ${r.series.v.ts.length} buckets of ${r.bucketMs / 1000} s\n`);
  }
  await store.close();

  const db = new Database(path, { readonly: true });
  const ids = metrics.map((m) => db.prepare('SELECT id FROM series WHERE device = ? AND metric = ?').pluck().get('hist-1', m) as number);
  const bucket = Math.ceil(H48 / 1000);
  const q = db
    .prepare('SELECT (ts - ?) / ? AS b, min(value), max(value), avg(value), count(*) FROM readings WHERE series = ? AND ts >= ? AND ts <= ? GROUP BY b')
    .raw();
  const base: number[] = [];
  for (let i = 0; i < (o.baselineQueries ?? o.queries); i++) {
    const t0 = performance.now();
    for (const id of ids) q.all(from, bucket, id, from, now);
    base.push(performance.now() - t0);
  }
  db.close();
  data.remove();
  const value = median(ours);
  const b = median(base);
  return {
    id: 'history',
    name: `6. 48 h at 1 Hz x 3 metrics -> 1,000 buckets, ${(o.total / 1e6).toFixed(1)}M readings stored`,
    value,
    unit: 'ms',
    runs: ours,
    baseline: { name: 'GROUP BY over raw readings, same DB', value: b, runs: base },
    ratio: b / value,
    target: '< 20 ms',
    met: value < 20,
  };
}
