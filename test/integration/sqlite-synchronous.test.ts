import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createStore } from '../../src/stores/open-store.js';
import type { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';

// SQLite's PRAGMA synchronous, as the connection reports it.
const FULL = 2;
const NORMAL = 1;

/** The synchronous level of the main connection and of the writer thread's (read through a write it makes). */
async function levels(env: NodeJS.ProcessEnv): Promise<{ main: number; writer: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-sqlite-sync-'));
  const config = loadConfig({ env });
  config.dataDir = dir;
  const store = createStore(config) as SqliteStore;
  await store.open();
  try {
    const main = (store as unknown as { db: { pragma(s: string, o: object): number } }).db.pragma('synchronous', { simple: true });
    const writer = (store as unknown as { writer: { data: { synchronous: string } } }).writer.data.synchronous;
    return { main, writer };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

it("the server's SQLite store syncs the WAL in every commit unless told otherwise: an acknowledged reading survives a power cut", async () => {
  assert.deepEqual(await levels({}), { main: FULL, writer: 'FULL' });
  assert.deepEqual(await levels({ FIELDSCOPE_SQLITE_SYNCHRONOUS: 'normal' }), { main: NORMAL, writer: 'NORMAL' });
});

it('sqliteSynchronous takes only full or normal, and says so', () => {
  const config = loadConfig({ env: { FIELDSCOPE_SQLITE_SYNCHRONOUS: 'off' } });
  assert.throws(
    () => createStore(config),
    (e: Error) => e instanceof ConfigError && /sqliteSynchronous: expected "full" or "normal", got "off"/.test(e.message),
  );
});
