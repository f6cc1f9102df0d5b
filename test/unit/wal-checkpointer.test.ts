import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Reading } from '../../src/model/reading.js';

it('the WAL is checkpointed by a thread of its own: commits never checkpoint, and every reading is in the database file after close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-wal-ckpt-'));
  const path = join(dir, 'fieldscope.db');
  const store = new SqliteStore({ path, readWorkers: 0 });
  await store.open();
  let written = 0;
  try {
    // Several thousand WAL pages: SQLite's writer would have checkpointed in a commit more than once.
    for (let b = 0; b < 40; b++) {
      const readings: Reading[] = [];
      for (let i = 0; i < 5000; i++) readings.push({ device: `d${i % 50}`, metric: 'v', ts: 1_700_000_000_000 + b * 5000 + i, value: i });
      await store.telemetry.write({ readings, devices: [], rejected: [] });
      written += readings.length;
    }
    while (store.walCheckpointedPages === 0) await new Promise((r) => setTimeout(r, 50));
    assert.ok(store.walCheckpointedPages > 0);
  } finally {
    await store.close();
  }
  // The writer's own connection was told not to checkpoint; its pages reached the file through the checkpointer (and the close).
  const db = new Database(path, { readonly: true });
  try {
    assert.equal((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, written);
  } finally {
    db.close();
  }
  assert.ok(statSync(path).size > 0);
  rmSync(dir, { recursive: true, force: true });
});

it('an in-memory store has no checkpointer', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  assert.equal(store.walCheckpointedPages, 0);
  await store.close();
});

/** Frames in the WAL now, as a connection of its own sees them (a PASSIVE checkpoint reports the WAL's size). */
function walFrames(path: string): number {
  const db = new Database(path);
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    return r.log;
  } finally {
    db.close();
  }
}

async function writePages(store: SqliteStore, from: number, batches: number): Promise<void> {
  for (let b = from; b < from + batches; b++) {
    const readings: Reading[] = [];
    for (let i = 0; i < 5000; i++) readings.push({ device: `d${i % 50}`, metric: 'v', ts: 1_700_000_000_000 + b * 5000 + i, value: i });
    await store.telemetry.write({ readings, devices: [], rejected: [] });
  }
}

it("while the checkpointer's thread runs, the writer thread's commits never checkpoint; once it is lost, they do again", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-wal-writer-'));
  const path = join(dir, 'fieldscope.db');
  // The checkpointer's thread runs but does not come round in this test: only the writer could checkpoint.
  const store = new SqliteStore({ path, readWorkers: 0, checkpointEveryMs: 3_600_000 });
  await store.open();
  try {
    await writePages(store, 0, 40);
    // SQLite's automatic checkpoint (1,000 pages) would have started the WAL over: it holds every page written.
    const kept = walFrames(path);
    assert.ok(kept > 3000, `the WAL holds ${kept} frames: the writer checkpointed in its commits`);

    const checkpointer = (store as unknown as { checkpointer: { running: boolean; worker: { terminate(): Promise<number> } } }).checkpointer;
    await checkpointer.worker.terminate();
    while (checkpointer.running) await new Promise((r) => setTimeout(r, 20));
    await writePages(store, 40, 40);
    const after = walFrames(path);
    assert.ok(after < kept, `the WAL holds ${after} frames after the checkpointer was lost (${kept} before): the writer did not checkpoint`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
