/**
 * SQLite keeps readings in two tables of one key (migrations.ts, storage.md "Readings land in a
 * small table first"): the readings of a series that comes back commit after commit go to
 * readings_recent and move to readings_settled a slice of series per commit; those of a series not
 * seen lately, and dense batches, go to readings_settled at once. What must hold whatever the
 * table: every reading in exactly one of them, a duplicate found in either, rollups summed once,
 * reads and retention seeing both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers/app.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { HOT_WITHIN, MOVE_SLICES, SETTLE_FROM_PER_SERIES } from '../../src/stores/sqlite/telemetry-writer.js';
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

/** `n` readings of one series from `from`, 1 s apart, seq 0, 1, ...: a dense batch (an import). */
function dense(device: string, metric: string, from: number, n: number): WriteBatch {
  const readings: Reading[] = [];
  for (let i = 0; i < n; i++) readings.push({ device, metric, ts: from + i * 1000, value: i, seq: i });
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

test('series that come back land in readings_recent and each reading moves to readings_settled within a sweep; none is ever in both', async (t) => {
  const { store, tables, count } = await open(t);
  const r1 = await store.telemetry.write(live(T0, 1));
  assert.deepEqual(r1, { inserted: 20, duplicates: 0 });
  assert.deepEqual(tables(), { recent: 0, settled: 20, inBoth: 0, rolledUp: 20 }, 'series not seen lately go straight to readings_settled');
  await store.telemetry.write(live(T0 + 2000, 2));
  const second = tables();
  assert.ok(second.recent > 0, 'a series seen in the last commit is staged');
  assert.equal(second.recent + second.settled, 40);
  assert.equal(second.inBoth, 0);
  for (let k = 3; k <= MOVE_SLICES + 2; k++) {
    await store.telemetry.write(live(T0 + k * 1000, k));
    const now = tables();
    assert.equal(now.recent + now.settled, 20 * k, `after commit ${k}`);
    assert.equal(now.inBoth, 0);
    assert.equal(now.rolledUp, 20 * k, 'each reading summed into its minute once');
  }
  // A whole sweep later, the second batch's readings have all moved.
  assert.equal(count('SELECT count(*) FROM readings_settled WHERE ts = ?', T0 + 2000), 20);
  // Reads see both tables, newest first through the merge of their keys.
  const range = await store.telemetry.queryRange({ device: 'st-3', metrics: ['a'], from: T0, to: T0 + DAY, limit: 1000 });
  assert.deepEqual(
    range.a.ts,
    Array.from({ length: MOVE_SLICES + 2 }, (_, i) => (i === 0 ? T0 : T0 + (i + 1) * 1000)),
  );
  assert.deepEqual(
    range.a.value,
    Array.from({ length: MOVE_SLICES + 2 }, (_, i) => i + 1),
  );
  // Away for more than HOT_WITHIN commits (other devices' batches in between): straight to readings_settled again.
  for (let k = 0; k <= HOT_WITHIN; k++) {
    await store.telemetry.write({ readings: [{ device: 'other', metric: 'a', ts: T0 + k, value: k }], devices: [{ id: 'other', seen: T0 }], rejected: [] });
  }
  const back = T0 + 60_000;
  await store.telemetry.write(live(back, 99));
  assert.equal(count('SELECT count(*) FROM readings_settled WHERE ts = ?', back), 20);
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

test('a dense batch goes to readings_settled at once, and its readings already stored in either table are duplicates', async (t) => {
  const { store, tables, count } = await open(t);
  await store.telemetry.write(live(T0 - 10_000, 0));
  const seriesA = count("SELECT id FROM series WHERE device = 'st-0' AND metric = 'a'");
  const stagedA = () => count('SELECT count(*) FROM readings_recent WHERE series = ?', seriesA);
  // Live batches until one of st-0/a's readings waits in readings_recent (its slice not yet moved).
  let k = 0;
  while (k < MOVE_SLICES && !(k > 0 && stagedA() > 0)) await store.telemetry.write(live(T0 + ++k * 1000, k));
  assert.ok(stagedA() > 0 && count('SELECT count(*) FROM readings_settled WHERE series = ? AND ts > ?', seriesA, T0) + stagedA() === k);
  const before = tables();
  const n = SETTLE_FROM_PER_SERIES * 2;
  // T0 .. T0 + 63 s: the k live readings of st-0/a at T0 + 1 s .. T0 + k s are in it.
  const r = await store.telemetry.write(dense('st-0', 'a', T0, n));
  assert.deepEqual(r, { inserted: n - k, duplicates: k });
  const now = tables();
  assert.equal(now.settled + now.recent, before.settled + before.recent + n - k);
  assert.equal(now.inBoth, 0);
  assert.equal(now.rolledUp, before.rolledUp + n - k);
  // Its new readings (T0, and after the live ones) went to readings_settled.
  assert.equal(
    count('SELECT count(*) FROM readings_settled WHERE series = ? AND (ts = ? OR (ts > ? AND ts < ?))', seriesA, T0, T0 + k * 1000, T0 + n * 1000),
    n - k,
  );
});

test('retention deletes expired readings from both tables; reads before and after agree with it', async (t) => {
  const { store, tables, count } = await open(t);
  const old = T0 - 30 * DAY;
  await store.telemetry.write(dense('st-1', 'a', old, SETTLE_FROM_PER_SERIES * 2));
  await store.telemetry.write(live(old + DAY, 1));
  await store.telemetry.write(live(old + DAY + 1000, 2));
  await store.telemetry.write(live(T0, 3));
  const expired = (table: string) => count(`SELECT count(*) FROM ${table} WHERE ts < ?`, T0 - retention.rawMs);
  assert.ok(expired('readings_recent') > 0 && expired('readings_settled') > 0, 'expired readings in both tables');
  const pruned = await store.telemetry.applyRetention(T0 + 1000);
  assert.equal(pruned.raw, SETTLE_FROM_PER_SERIES * 2 + 40);
  assert.equal(expired('readings_recent') + expired('readings_settled'), 0);
  const after = tables();
  assert.equal(after.recent + after.settled, 20);
  const left = await store.telemetry.queryRange({ device: 'st-1', metrics: ['a'], from: 0, to: T0 + DAY, limit: 1000 });
  assert.deepEqual(left.a.ts, [T0]);
});

test('after a restart, a reading staged before it is still found as a duplicate by a batch that goes straight to readings_settled', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const path = join(tmp.dir, 'fieldscope.db');
  let store = new SqliteStore({ path, retention, readWorkers: 1 });
  await store.open();
  for (let k = 1; k <= 3; k++) await store.telemetry.write(live(T0 + k * 1000, k));
  const db = new Database(path, { readonly: true });
  const staged = db.prepare('SELECT count(*) FROM readings_recent WHERE ts = ?').pluck();
  const waiting = staged.get(T0 + 3000) as number;
  assert.ok(waiting > 0, 'some of the last batch is staged');
  await store.close();
  store = new SqliteStore({ path, retention, readWorkers: 1 });
  await store.open();
  t.after(async () => {
    db.close();
    await store.close();
  });
  // The first batch after the restart: no series seen in this run yet, so it goes to readings_settled.
  assert.deepEqual(await store.telemetry.write(live(T0 + 3000, 3)), { inserted: 0, duplicates: 20 });
  assert.equal(db.prepare('SELECT count(*) FROM readings').pluck().get(), 60);
});

/** A dead letter the table refuses (its time is NOT NULL): the whole commit fails and is rolled back. */
const refused = { at: null as unknown as number, source: 'http' as const, device: 'st-0', field: 'x', rule: 'test', error: 'test', payload: '{}' };

test('a commit that fails leaves the writer as it found it: its moved slice counts as staged still, its series ids are not reused', async (t) => {
  const { store, tables, count } = await open(t);
  // One series (id 1): the sweep is two slices, [0, 1) and [1, 2), one a commit.
  const one = (ts: number, extra: Partial<WriteBatch> = {}): WriteBatch => ({
    readings: [{ device: 'st-0', metric: 'a', ts, value: 1, seq: ts - T0 }],
    devices: [{ id: 'st-0', seen: ts }],
    rejected: [],
    ...extra,
  });
  for (const k of [1, 2, 3]) await store.telemetry.write(one(T0 + k * 1000));
  assert.equal(count('SELECT count(*) FROM readings_recent WHERE ts = ?', T0 + 3000), 1, 'the third is staged');
  // This commit moves the series' slice, then fails: the move is undone with it.
  await assert.rejects(store.telemetry.write(one(T0 + 4000, { rejected: [refused] })));
  assert.equal(count('SELECT count(*) FROM readings_recent WHERE ts = ?', T0 + 3000), 1);
  // A dense batch over the same seconds (straight to readings_settled): the staged one is a duplicate.
  const readings = Array.from({ length: SETTLE_FROM_PER_SERIES * 2 }, (_, i) => ({ device: 'st-0', metric: 'a', ts: T0 + i * 1000, value: 1, seq: i * 1000 }));
  assert.deepEqual(await store.telemetry.write({ readings, devices: [{ id: 'st-0', seen: T0 }], rejected: [] }), {
    inserted: readings.length - 3,
    duplicates: 3,
  });
  assert.equal(tables().inBoth, 0);

  // A failed commit that created a series: the id it got is handed out again, to another series.
  const ghost = { readings: [{ device: 'ghost', metric: 'a', ts: T0, value: 7 }], devices: [{ id: 'ghost', seen: T0 }], rejected: [] };
  await assert.rejects(store.telemetry.write({ ...ghost, rejected: [refused] }));
  await store.telemetry.write({ readings: [{ device: 'real', metric: 'b', ts: T0, value: 8 }], devices: [{ id: 'real', seen: T0 }], rejected: [] });
  await store.telemetry.write(ghost);
  const range = (device: string, metric: string) => store.telemetry.queryRange({ device, metrics: [metric], from: 0, to: T0 + DAY, limit: 10 });
  assert.deepEqual((await range('real', 'b')).b.value, [8]);
  assert.deepEqual((await range('ghost', 'a')).a.value, [7]);
});
