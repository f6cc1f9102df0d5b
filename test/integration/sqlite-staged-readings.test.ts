/**
 * SQLite keeps readings in two tables of one key (migrations.ts, storage.md "Readings land in a
 * small table first"): live batches go to readings_recent and move to readings_settled a slice of
 * series per commit; dense batches go to readings_settled at once. What must hold whatever the
 * table: every reading in exactly one of them, a duplicate found in either, rollups summed once,
 * reads and retention seeing both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers/app.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { MOVE_SLICES, SETTLE_FROM_PER_SERIES } from '../../src/stores/sqlite/telemetry-writer.js';
import type { Reading } from '../../src/model/reading.js';
import type { RetentionPolicy, WriteBatch } from '../../src/stores/store.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const DEVICES = Array.from({ length: 10 }, (_, i) => `st-${i}`);
const METRICS = ['a', 'b'];
const retention: RetentionPolicy = { rawMs: 7 * DAY, minuteMs: 30 * DAY, hourMs: 365 * DAY };

/** One reading of every series at `ts` (seq k): 20 readings over 20 series, a live batch. */
function live(ts: number, k: number): WriteBatch {
  const readings: Reading[] = [];
  for (const device of DEVICES) for (const metric of METRICS) readings.push({ device, metric, ts, value: k, seq: k });
  return { readings, devices: DEVICES.map((id) => ({ id, seen: ts })), rejected: [] };
}

/** `n` readings of one series from `from`, 1 s apart: a dense batch (an import). */
function dense(device: string, metric: string, from: number, n: number): WriteBatch {
  const readings: Reading[] = [];
  for (let i = 0; i < n; i++) readings.push({ device, metric, ts: from + i * 1000, value: i });
  return { readings, devices: [{ id: device, seen: from }], rejected: [] };
}

async function open(t: { after: (fn: () => Promise<void>) => void }) {
  const tmp = tempDir();
  const path = join(tmp.dir, 'fieldscope.db');
  const store = new SqliteStore({ path, retention, readWorkers: 1 });
  await store.open();
  const db = new Database(path, { readonly: true });
  t.after(async () => {
    db.close();
    await store.close();
    tmp.remove();
  });
  const count = (sql: string, ...args: unknown[]) =>
    db
      .prepare(sql)
      .pluck()
      .get(...args) as number;
  const tables = () => ({
    recent: count('SELECT count(*) FROM readings_recent'),
    settled: count('SELECT count(*) FROM readings_settled'),
    // A key in both tables would be a reading counted twice by every read.
    inBoth: count('SELECT count(*) FROM readings_recent r JOIN readings_settled s USING (series, ts, us, seq)'),
    rolledUp: count('SELECT coalesce(sum(n), 0) FROM rollup_1m'),
  });
  return { store, tables, count };
}

test('live batches land in readings_recent and each reading moves to readings_settled within a sweep; none is ever in both', async (t) => {
  const { store, tables, count } = await open(t);
  const r1 = await store.telemetry.write(live(T0, 1));
  assert.deepEqual(r1, { inserted: 20, duplicates: 0 });
  const first = tables();
  assert.ok(first.recent > 0, 'a live batch is staged');
  assert.equal(first.recent + first.settled, 20);
  assert.equal(first.inBoth, 0);
  for (let k = 2; k <= MOVE_SLICES + 1; k++) {
    await store.telemetry.write(live(T0 + k * 1000, k));
    const now = tables();
    assert.equal(now.recent + now.settled, 20 * k, `after commit ${k}`);
    assert.equal(now.inBoth, 0);
    assert.equal(now.rolledUp, 20 * k, 'each reading summed into its minute once');
  }
  // A whole sweep later, the first batch's readings have all moved.
  assert.equal(count('SELECT count(*) FROM readings_settled WHERE ts = ?', T0), 20);
  // Reads see both tables, newest first through the merge of their keys.
  const range = await store.telemetry.queryRange({ device: 'st-3', metrics: ['a'], from: T0, to: T0 + DAY, limit: 1000 });
  assert.deepEqual(
    range.a.ts,
    Array.from({ length: MOVE_SLICES + 1 }, (_, i) => (i === 0 ? T0 : T0 + (i + 1) * 1000)),
  );
  assert.deepEqual(
    range.a.value,
    Array.from({ length: MOVE_SLICES + 1 }, (_, i) => i + 1),
  );
});

test('a duplicate is found in either table: written again, a moved batch and a staged one store nothing and sum nothing', async (t) => {
  const { store, tables } = await open(t);
  for (let k = 1; k <= MOVE_SLICES + 2; k++) await store.telemetry.write(live(T0 + k * 1000, k));
  const before = tables();
  // The first batch has moved by now, the last is (mostly) staged.
  assert.deepEqual(await store.telemetry.write(live(T0 + 1000, 1)), { inserted: 0, duplicates: 20 });
  assert.deepEqual(await store.telemetry.write(live(T0 + (MOVE_SLICES + 2) * 1000, MOVE_SLICES + 2)), { inserted: 0, duplicates: 20 });
  const after = tables();
  assert.equal(after.recent + after.settled, before.recent + before.settled);
  assert.equal(after.rolledUp, before.rolledUp);
  assert.equal(after.inBoth, 0);
  // Half new, half staged: the new half is stored and summed, the other half counted as duplicates.
  const half = live(T0 + (MOVE_SLICES + 2) * 1000, MOVE_SLICES + 2);
  half.readings = half.readings.map((r, i) => (i % 2 ? { ...r, ts: r.ts + 500 } : r));
  assert.deepEqual(await store.telemetry.write(half), { inserted: 10, duplicates: 10 });
  assert.equal(tables().rolledUp, before.rolledUp + 10);
});

test('a dense batch goes to readings_settled at once, and a reading of it already staged is a duplicate', async (t) => {
  const { store, tables, count } = await open(t);
  // One staged reading of st-0/a at T0 + 5 s (a live batch of one series: 1 < SETTLE_FROM_PER_SERIES).
  await store.telemetry.write({ readings: [{ device: 'st-0', metric: 'a', ts: T0 + 5000, value: 5 }], devices: [{ id: 'st-0', seen: T0 }], rejected: [] });
  assert.equal(tables().recent, 1);
  const n = SETTLE_FROM_PER_SERIES * 2;
  const r = await store.telemetry.write(dense('st-0', 'a', T0, n));
  assert.deepEqual(r, { inserted: n - 1, duplicates: 1 });
  const now = tables();
  assert.equal(now.settled + now.recent, n);
  assert.equal(now.inBoth, 0);
  assert.equal(now.rolledUp, n);
  assert.ok(count('SELECT count(*) FROM readings_settled') >= n - 1, 'the dense batch was written to readings_settled');
});

test('retention deletes expired readings from both tables; reads before and after agree with it', async (t) => {
  const { store, tables } = await open(t);
  const old = T0 - 30 * DAY;
  await store.telemetry.write(dense('st-1', 'a', old, SETTLE_FROM_PER_SERIES * 2));
  await store.telemetry.write(live(old + DAY, 1));
  await store.telemetry.write(live(T0, 2));
  const before = tables();
  assert.ok(before.recent > 0 && before.settled > 0, JSON.stringify(before));
  const pruned = await store.telemetry.applyRetention(T0 + 1000);
  assert.equal(pruned.raw, SETTLE_FROM_PER_SERIES * 2 + 20);
  const after = tables();
  assert.equal(after.recent + after.settled, 20);
  const left = await store.telemetry.queryRange({ device: 'st-1', metrics: ['a'], from: 0, to: T0 + DAY, limit: 1000 });
  assert.deepEqual(left.a.ts, [T0]);
});
