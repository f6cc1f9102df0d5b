import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { WAL_GIVE_BACK_BYTES } from '../../src/stores/sqlite/wal-give-back.js';
import type { Reading } from '../../src/model/reading.js';

const MB = 1024 * 1024;
const walSize = (path: string) => statSync(`${path}-wal`).size;

let next = 0;
async function writeBatch(store: SqliteStore, n: number): Promise<void> {
  const readings: Reading[] = [];
  for (let i = 0; i < n; i++, next++) readings.push({ device: `d${next % 500}`, metric: `m${next % 7}`, ts: Date.now() - 3_600_000 + next, value: next });
  await store.telemetry.write({ readings, devices: [], rejected: [] });
}

/**
 * Copies the whole log into the database file from a connection of the test's own, then commits one
 * batch: that commit restarts the log from its beginning and truncates the file to the writer's limit.
 */
async function restartLog(store: SqliteStore, path: string): Promise<void> {
  // The writer looks at the file's size at most once a second, after a commit: let it look now.
  await new Promise((r) => setTimeout(r, 1100));
  await writeBatch(store, 10);
  const db = new Database(path);
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    assert.equal(r.checkpointed, r.log, 'the whole log was copied (no reader held it)');
  } finally {
    db.close();
  }
  await writeBatch(store, 10);
}

it('a restart of a large WAL gives back at most one slice of the file in the commit, and the rest over the next restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-wal-give-back-'));
  const path = join(dir, 'fieldscope.db');
  // No checkpoint but the test's own: the log grows as it did while readers kept it from restarting.
  const store = new SqliteStore({ path, readWorkers: 0, checkpointEveryMs: 3_600_000 });
  await store.open();
  try {
    for (let b = 0; b < 400 && walSize(path) < 16 * MB + 2.5 * WAL_GIVE_BACK_BYTES; b++) await writeBatch(store, 20_000);
    const grown = walSize(path);
    assert.ok(grown >= 16 * MB + 2.5 * WAL_GIVE_BACK_BYTES, `the log grew to ${(grown / MB).toFixed(0)} MB`);

    await restartLog(store, path);
    const once = walSize(path);
    // Before: the commit after the restart cut the file to 16 MB at once (290 ms of ftruncate on 800 MB under load).
    assert.ok(once < grown, `the file was not given back at all (${(once / MB).toFixed(1)} MB)`);
    assert.ok(grown - once <= WAL_GIVE_BACK_BYTES, `one restart gave back ${((grown - once) / MB).toFixed(1)} MB, more than one slice`);

    await restartLog(store, path);
    const twice = walSize(path);
    assert.ok(twice < once && once - twice <= WAL_GIVE_BACK_BYTES, `the second restart gave back ${((once - twice) / MB).toFixed(1)} MB`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
