import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { SqliteWriterThread, WriterThreadError, writerThreadData } from '../../src/stores/sqlite/write-thread.js';
import { defaultRetention } from '../../src/stores/retention.js';
import { encodeWriteBatch } from '../../src/stores/sqlite/write-batch-codec.js';
import type { WriteBatch } from '../../src/stores/store.js';
import { tempDir } from '../helpers/app.js';

const T0 = 1_700_000_000_000;
function batchOf(device: string, from: number, n: number): WriteBatch {
  const readings = [];
  for (let i = 0; i < n; i++) readings.push({ device, metric: 'x', ts: T0 + from + i, value: i, seq: from + i });
  return { readings, devices: [{ id: device, seen: T0 + from + n }], rejected: [] };
}

async function openStore(t: import('node:test').TestContext, extra: Partial<ConstructorParameters<typeof SqliteStore>[0]> = {}) {
  const tmp = tempDir();
  const path = join(tmp.dir, 'fieldscope.db');
  const store = new SqliteStore({ path, readWorkers: 0, ...extra });
  await store.open();
  t.after(async () => {
    await store.close();
    tmp.remove();
  });
  return { store, path };
}

/** Another connection holding SQLite's write lock, as a retention slice or a second process would. */
function holdWriteLock(path: string): { release(): void } {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  return {
    release() {
      other.exec('COMMIT');
      other.close();
    },
  };
}

const turnOfTheLoop = () => new Promise<void>((r) => setImmediate(r));

function count(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) AS n FROM readings').pluck().get() as number;
  } finally {
    db.close();
  }
}

test('a telemetry write waiting for the write lock does not hold this thread: the loop turns, and the write commits once the lock is free', async (t) => {
  const { store, path } = await openStore(t);
  const lock = holdWriteLock(path);
  let settled = false;
  const writing = store.telemetry.write(batchOf('d1', 0, 100)).finally(() => (settled = true));
  // On this thread the transaction would have waited in SQLite's busy handler, the loop stopped.
  await turnOfTheLoop();
  assert.equal(settled, false, 'the write is still waiting for the lock, elsewhere');
  lock.release();
  assert.deepEqual(await writing, { inserted: 100, duplicates: 0 });
  assert.deepEqual(await store.telemetry.write(batchOf('d1', 50, 100)), { inserted: 50, duplicates: 50 });
  assert.equal(count(path), 150);
});

test("this thread's own writes (device notes, alarms...) wait their turn behind a telemetry commit instead of blocking on the lock", async (t) => {
  const { store, path } = await openStore(t);
  const lock = holdWriteLock(path);
  const order: string[] = [];
  const telemetry = store.telemetry.write(batchOf('d1', 0, 10)).then(() => order.push('telemetry'));
  const meta = store.devices
    .saveDeviceMeta({ id: 'd1', name: 'pump', location: null, tags: [], equipment: null, notes: 'n', updatedAt: 1 } as never)
    .then(() => order.push('meta'));
  await turnOfTheLoop();
  assert.deepEqual(order, [], 'neither ran while the lock was held, and this thread kept turning');
  lock.release();
  await Promise.all([telemetry, meta]);
  assert.deepEqual(order, ['telemetry', 'meta']);
  assert.equal((await store.devices.listDeviceMeta()).length, 1);
});

test('a writer thread that dies rejects the writes it held, is reported, and a new one takes the next write', async (t) => {
  const crashes: Error[] = [];
  const { store, path } = await openStore(t, { onWriterCrash: (e) => crashes.push(e) });
  const lock = holdWriteLock(path);
  const held = store.telemetry.write(batchOf('d1', 0, 10));
  await turnOfTheLoop();
  await store.writer!.threadForTests!.terminate();
  await assert.rejects(held, WriterThreadError);
  assert.equal(crashes.length, 1);
  assert.equal(store.writer!.crashes, 1);
  lock.release();
  assert.deepEqual(await store.telemetry.write(batchOf('d1', 0, 10)), { inserted: 10, duplicates: 0 });
  assert.equal(count(path), 10);
});

test('close lets every write in flight commit first', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const path = join(tmp.dir, 'fieldscope.db');
  const store = new SqliteStore({ path, readWorkers: 0 });
  await store.open();
  const writes = [0, 1, 2, 3].map((k) => store.telemetry.write(batchOf(`d${k}`, 0, 500)));
  await store.close();
  for (const w of writes) assert.deepEqual(await w, { inserted: 500, duplicates: 0 });
  assert.equal(count(path), 2000);
  await assert.rejects(store.telemetry.write(batchOf('d9', 0, 1)), /closed/);
});

test('sequence state, dead letters and an import checkpoint commit with the readings, on the writer thread', async (t) => {
  const { store, path } = await openStore(t);
  const b = batchOf('d1', 0, 70);
  b.rejected = [{ at: 1, source: 'mqtt', device: 'd1', field: 'values.y', rule: 'number', error: 'not a number', payload: '{}' }];
  b.checkpoint = { key: 'file-a', offset: 123, line: 70, stored: 70, duplicates: 0, rejected: 1, done: false };
  assert.deepEqual(await store.telemetry.write(b), { inserted: 70, duplicates: 0 });
  assert.equal((await store.catalog.getImportCheckpoint('file-a'))?.offset, 123);
  assert.equal((await store.telemetry.listRejected({ limit: 10 })).length, 1);
  const [dev] = await store.telemetry.listDevices();
  assert.deepEqual(dev.latest.x, { ts: T0 + 69, value: 69 });
  assert.equal(count(path), 70);
});

test('each commit on the writer thread is told in stages (turn, transaction, handover), and a batch id already committed writes nothing again', async (t) => {
  const told: import('../../src/stores/sqlite/telemetry-tables.js').CommitStages[] = [];
  const { store, path } = await openStore(t, { onWriterCommit: (s) => told.push(s) });
  const b = batchOf('s', 0, 10);
  b.id = 'run.1';
  b.rejected = [{ at: T0, source: 'mqtt', device: 's', field: 'values.x', rule: 'number', error: 'not a number', payload: 'x' }];
  assert.deepEqual(await store.telemetry.write(b), { inserted: 10, duplicates: 0 });
  // The same batch again, as the spool replays one whose answer was lost.
  assert.deepEqual(await store.telemetry.write(b), { inserted: 0, duplicates: 10 });
  assert.equal(told.length, 2);
  for (const s of told) for (const v of [s.turnSec, s.transactionSec, s.handoverSec]) assert.ok(Number.isFinite(v) && v >= 0);
  assert.equal(count(path), 10);
  assert.equal((await store.telemetry.listRejected({ limit: 10 })).length, 1, 'the dead letter once');
});

test("the writer thread's start can be awaited (open does, so the first write does not pay for it): it resolves once the thread's connection is open, and rejects if the thread cannot open the database", async (t) => {
  const { path } = await openStore(t);
  const ok = new SqliteWriterThread(writerThreadData(path, 'normal', 1 << 26, 0, defaultRetention));
  t.after(() => ok.close());
  await ok.start();
  const r = await ok.write(encodeWriteBatch(batchOf('started', 0, 3)));
  assert.equal(r.inserted, 3);

  const missing = new SqliteWriterThread(writerThreadData(join(path, '..', 'no-such.db'), 'normal', 1 << 26, 0, defaultRetention));
  await assert.rejects(missing.start(), (err: Error) => err instanceof WriterThreadError && /before it was ready/.test(err.message));
});

test('the writer thread commits on its own connection, yet only devices added elsewhere count as devices changed elsewhere', async (t) => {
  const { store, path } = await openStore(t);
  await store.telemetry.write(batchOf('own', 0, 5));
  await store.telemetry.devicesChangedElsewhere(); // where it starts from
  // Telemetry of a known device, committed by the writer thread: data_version moves, the devices do not.
  for (let i = 1; i <= 5; i++) {
    await store.telemetry.write(batchOf('own', i * 10, 5));
    assert.equal(await store.telemetry.devicesChangedElsewhere(), false, `own commit ${i} is not a foreign device`);
  }
  // Another process (an import) adds a device: the next look says so.
  const other = new Database(path);
  other.prepare('INSERT INTO devices (id, profile, first_seen, last_seen) VALUES (?, NULL, ?, ?)').run('imported', T0, T0);
  other.close();
  assert.equal(await store.telemetry.devicesChangedElsewhere(), true);
  assert.ok((await store.telemetry.deviceIds()).includes('imported'));
});
