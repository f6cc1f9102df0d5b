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

// A store made before seq joined a reading's identity opens with its readings intact, and from then
// on keeps two readings of one time and different seq.

const T0 = Date.UTC(2024, 0, 10);
const seqMigration = (list: unknown[]) => list.findIndex((m) => String(m).includes('(series, ts, seq)'));

test('sqlite: readings stored under (series, ts) survive the move to (series, ts, seq)', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'old.db');
    const upTo = seqMigration(sqliteMigrations);
    assert.ok(upTo > 0, 'the migration exists');
    const db = new Database(path);
    for (let v = 0; v < upTo; v++) db.exec(sqliteMigrations[v]);
    db.pragma(`user_version = ${upTo}`);
    db.prepare("INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ?, ?)").run(T0, T0);
    db.prepare("INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')").run();
    db.prepare('INSERT INTO readings (series, ts, value, seq) VALUES (1, ?, 1, NULL), (1, ?, 2, 7)').run(T0, T0 + 1000);
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

const pgSkip = requirePostgres('store-migration-seq (postgres)');
test('postgres: readings stored under (series, ts) survive the move to (series, ts, seq)', pgSkip, async () => {
  const pg = await startPostgres();
  try {
    const url = await pg.createDatabase();
    const upTo = seqMigration(pgMigrations);
    assert.ok(upTo > 0, 'the migration exists');
    const sql = postgres(url, { onnotice: () => {} });
    await sql.begin(async (tx) => {
      await tx`CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
      for (let v = 0; v < upTo; v++) {
        await pgMigrations[v](tx as unknown as Sql, { timescale: false });
        await tx`INSERT INTO schema_migrations (version) VALUES (${v + 1})`;
      }
      const day = Math.floor(T0 / 86_400_000) * 86_400_000;
      await tx.unsafe(`CREATE TABLE readings_p20240110 PARTITION OF readings FOR VALUES FROM (${day}) TO (${day + 86_400_000})`);
      await tx`INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ${T0}, ${T0})`;
      await tx`INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')`;
      await tx`INSERT INTO readings (series, ts, value, seq) VALUES (1, ${T0}, 1, NULL), (1, ${T0 + 1000}, 2, 7)`;
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

/** The old rows read back; from now on a different seq at the same time is a new reading, the same seq a duplicate. */
async function checkMigrated(store: SqliteStore | PostgresStore): Promise<void> {
  const before = await store.telemetry.queryRange({ device: 'old', metrics: ['x'], from: T0, to: T0 + 5000, limit: 10 });
  assert.deepEqual(before.x, { ts: [T0, T0 + 1000], value: [1, 2] });
  const r = await store.telemetry.write({
    readings: [
      { device: 'old', metric: 'x', ts: T0 + 1000, value: 3, seq: 8 },
      { device: 'old', metric: 'x', ts: T0 + 1000, value: 2, seq: 7 },
    ],
    devices: [],
    rejected: [],
  });
  assert.deepEqual(r, { inserted: 1, duplicates: 1 });
  const replay = await store.alarms.replayReadings({ device: 'old', from: T0, to: T0 + 5000, limit: 10 });
  assert.deepEqual(
    replay.map((x) => x.seq),
    [undefined, 7, 8],
  );
}
