import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres, { type Sql } from 'postgres';
import { migrations as sqliteMigrations } from '../../src/stores/sqlite/migrations.js';
import { migrations as pgMigrations } from '../../src/stores/postgres/migrations.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { tempDir } from '../helpers/app.js';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';

// A store made before retention holds and per-device retention existed opens with its readings
// intact, and from then on keeps a held range through a retention pass that deletes the rest.

const T0 = Date.UTC(2024, 0, 10);
const DAY = 86_400_000;
const NOW = T0 + 30 * DAY;
const holdsMigration = (list: unknown[]) => list.findIndex((m) => String(m).includes('retention_holds'));

test('sqlite: an old store gains retention holds and per-device retention, its readings intact', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'old.db');
    const upTo = holdsMigration(sqliteMigrations);
    assert.ok(upTo > 0, 'the migration exists');
    const db = new Database(path);
    for (let v = 0; v < upTo; v++) db.exec(sqliteMigrations[v]);
    db.pragma(`user_version = ${upTo}`);
    db.prepare("INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ?, ?)").run(T0, T0);
    db.prepare("INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')").run();
    db.prepare('INSERT INTO readings (series, ts, value, seq) VALUES (1, ?, 1, -1), (1, ?, 2, 7)').run(T0, T0 + 1000);
    db.close();

    const store = new SqliteStore({ path });
    await store.open();
    try {
      await checkMigrated(store);
    } finally {
      await store.close();
    }
  } finally {
    tmp.remove();
  }
});

const pgSkip = requirePostgres('store-migration-retention (postgres)');
test('postgres: an old store gains retention holds and per-device retention, its readings intact', pgSkip, async () => {
  const pg = await startPostgres();
  try {
    const url = await pg.createDatabase();
    const upTo = holdsMigration(pgMigrations);
    assert.ok(upTo > 0, 'the migration exists');
    const sql = postgres(url, { onnotice: () => {} });
    await sql.begin(async (tx) => {
      await tx`CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
      for (let v = 0; v < upTo; v++) {
        await pgMigrations[v](tx as unknown as Sql, { timescale: false });
        await tx`INSERT INTO schema_migrations (version) VALUES (${v + 1})`;
      }
      const day = Math.floor(T0 / DAY) * DAY;
      await tx.unsafe(`CREATE TABLE readings_p20240110 PARTITION OF readings FOR VALUES FROM (${day}) TO (${day + DAY})`);
      await tx`INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ${T0}, ${T0})`;
      await tx`INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')`;
      await tx`INSERT INTO readings (series, ts, value, seq) VALUES (1, ${T0}, 1, -1), (1, ${T0 + 1000}, 2, 7)`;
    });
    await sql.end();

    const store = new PostgresStore({ url });
    await store.open();
    try {
      await checkMigrated(store);
    } finally {
      await store.close();
    }
  } finally {
    await pg.destroy();
  }
});

/** The old rows read back; a hold over the first keeps it through a pass that drops the second; a device setting sticks. */
async function checkMigrated(store: SqliteStore | PostgresStore): Promise<void> {
  const before = await store.telemetry.queryRange({ device: 'old', metrics: ['x'], from: T0, to: T0 + 5000, limit: 10 });
  assert.deepEqual(before.x, { ts: [T0, T0 + 1000], value: [1, 2] });
  await store.retention.hold({ device: 'old', from: T0, to: T0, reason: 'import old.csv', createdAt: NOW });
  const r = await store.telemetry.applyRetention(NOW);
  assert.equal(r.raw, 1);
  assert.deepEqual(r.devices, [{ device: 'old', rawCutoff: NOW - store.telemetry.retention.rawMs, raw: 1, minute: 0, hour: 0 }]);
  const after = await store.telemetry.queryRange({ device: 'old', metrics: ['x'], from: T0, to: T0 + 5000, limit: 10 });
  assert.deepEqual(after.x, { ts: [T0], value: [1] });
  await store.retention.setDeviceRawRetention('old', 90 * DAY);
  assert.deepEqual(await store.retention.deviceOverrides(), { old: 90 * DAY });
  await store.retention.setDeviceRawRetention('old', null);
  assert.deepEqual(await store.retention.deviceOverrides(), {});
}
