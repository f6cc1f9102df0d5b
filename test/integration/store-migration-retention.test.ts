import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { requirePostgres } from '../helpers/postgres.js';
import { upgradePostgres, upgradeSqlite } from '../helpers/old-schema.js';

// A store made before retention holds and per-device retention existed opens with its readings
// intact, and from then on keeps a held range through a retention pass that deletes the rest.

const T0 = Date.UTC(2024, 0, 10);
const DAY = 86_400_000;
const NOW = T0 + 30 * DAY;

test('sqlite: an old store gains retention holds and per-device retention, its readings intact', async () => {
  await upgradeSqlite(
    /retention_holds/,
    (db) => {
      db.prepare("INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ?, ?)").run(T0, T0);
      db.prepare("INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')").run();
      db.prepare('INSERT INTO readings (series, ts, value, seq) VALUES (1, ?, 1, -1), (1, ?, 2, 7)').run(T0, T0 + 1000);
    },
    checkMigrated,
  );
});

const pgSkip = requirePostgres('store-migration-retention (postgres)');
test('postgres: an old store gains retention holds and per-device retention, its readings intact', pgSkip, async () => {
  await upgradePostgres(
    /retention_holds/,
    T0,
    async (tx) => {
      await tx`INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ${T0}, ${T0})`;
      await tx`INSERT INTO series (id, device, metric) VALUES (1, 'old', 'x')`;
      await tx`INSERT INTO readings (series, ts, value, seq) VALUES (1, ${T0}, 1, -1), (1, ${T0 + 1000}, 2, 7)`;
    },
    checkMigrated,
  );
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
