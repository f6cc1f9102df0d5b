import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { requirePostgres } from '../helpers/postgres.js';
import { upgradePostgres, upgradeSqlite } from '../helpers/old-schema.js';

// A store made before seq joined a reading's identity opens with its readings intact, and from then
// on keeps two readings of one time and different seq.

const T0 = Date.UTC(2024, 0, 10);

test('sqlite: readings stored under (series, ts) survive the move to (series, ts, seq)', async () => {
  await upgradeSqlite(
    /\(series, ts, seq\)/,
    (db) => {
      db.prepare("INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ?, ?)").run(T0, T0);
      db.prepare("INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')").run();
      db.prepare('INSERT INTO readings (series, ts, value, seq) VALUES (1, ?, 1, NULL), (1, ?, 2, 7)').run(T0, T0 + 1000);
    },
    checkMigrated,
  );
});

const pgSkip = requirePostgres('store-migration-seq (postgres)');
test('postgres: readings stored under (series, ts) survive the move to (series, ts, seq)', pgSkip, async () => {
  await upgradePostgres(
    /\(series, ts, seq\)/,
    T0,
    async (tx) => {
      await tx`INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ${T0}, ${T0})`;
      await tx`INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')`;
      await tx`INSERT INTO readings (series, ts, value, seq) VALUES (1, ${T0}, 1, NULL), (1, ${T0 + 1000}, 2, 7)`;
    },
    checkMigrated,
  );
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
