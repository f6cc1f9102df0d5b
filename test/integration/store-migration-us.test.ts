import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupRowsOf } from '../helpers/group-rows.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { GroupRow } from '../../src/stores/store.js';
import { requirePostgres } from '../helpers/postgres.js';
import { upgradePostgres, upgradeSqlite } from '../helpers/old-schema.js';

// A store made while readings were kept to the whole millisecond opens with every row intact (at
// .000 µs), and from then on keeps microseconds: a 2 kHz series stores every sample, a repeat is
// still a duplicate, and reads, rollups, export and retention carry on.

const T0 = Date.UTC(2024, 0, 10);

test('sqlite: whole-ms readings survive the move to microseconds, and µs readings are kept from then on', async () => {
  await upgradeSqlite(
    /\bus\b.*(INTEGER|int) NOT NULL DEFAULT 0/s,
    (db) => {
      db.prepare("INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ?, ?)").run(T0, T0);
      db.prepare("INSERT INTO series (id, device, metric, last_ts, last_value) VALUES (1, 'old', 'x', ?, 3)").run(T0 + 2);
      db.prepare('INSERT INTO readings (series, ts, value, seq) VALUES (1, ?, 1, -1), (1, ?, 2, 7), (1, ?, 3, 8)').run(T0, T0 + 1, T0 + 1);
    },
    checkMigrated,
  );
});

const pgSkip = requirePostgres('store-migration-us (postgres)');
test('postgres: whole-ms readings survive the move to microseconds, and µs readings are kept from then on', pgSkip, async () => {
  await upgradePostgres(
    /\bus\b.*(INTEGER|int) NOT NULL DEFAULT 0/s,
    T0,
    async (tx) => {
      await tx`INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ('old', NULL, ${T0}, ${T0})`;
      await tx`INSERT INTO series (id, device, metric, last_ts, last_value) VALUES (1, 'old', 'x', ${T0 + 2}, 3)`;
      await tx`INSERT INTO readings (series, ts, value, seq) VALUES (1, ${T0}, 1, -1), (1, ${T0 + 1}, 2, 7), (1, ${T0 + 1}, 3, 8)`;
    },
    checkMigrated,
  );
});

async function checkMigrated(store: SqliteStore | PostgresStore): Promise<void> {
  const t = store.telemetry;
  // No row lost, none moved.
  const before = await t.queryRange({ device: 'old', metrics: ['x'], from: T0, to: T0 + 5000, limit: 10 });
  assert.deepEqual(before.x, { ts: [T0, T0 + 1, T0 + 1], value: [1, 2, 3] });

  // 2 kHz for one second: 2,000 samples 0.5 ms apart, each its own reading (no seq, as files have none).
  const base = T0 + 10_000;
  const samples = Array.from({ length: 2000 }, (_, i) => ({ device: 'old', metric: 'x', ts: base + i * 0.5, value: i }));
  assert.deepEqual(await t.write({ readings: samples, devices: [], rejected: [] }), { inserted: 2000, duplicates: 0 });
  // The same samples again are duplicates; one µs off is not.
  const again = await t.write({
    readings: [
      { device: 'old', metric: 'x', ts: base + 0.5, value: 1 },
      { device: 'old', metric: 'x', ts: base + 0.501, value: -1 },
    ],
    devices: [],
    rejected: [],
  });
  assert.deepEqual(again, { inserted: 1, duplicates: 1 });

  // Bounds select whole milliseconds: to = base takes in all of that millisecond.
  const range = await t.queryRange({ device: 'old', metrics: ['x'], from: base, to: base, limit: 10 });
  assert.deepEqual(range.x.ts, [base, base + 0.5, base + 0.501]);
  assert.deepEqual(range.x.value, [0, 1, -1]);

  const recent = await groupRowsOf(t.groupRecent({ devices: { ids: ['old'], prefixes: [] }, n: 2, order: 'desc' }));
  assert.deepEqual(
    recent.map((r) => r.ts),
    [base + 999, base + 999.5],
  );

  // Rollups count every sample: one 1-minute bucket holds the 2,001 new ones.
  const minute = base - (base % 60_000);
  const rollups = await t.queryRollups({ device: 'old', metric: 'x', resolution: '1m', from: minute, to: minute });
  assert.equal(rollups[0]?.count, 2001);
  const buckets = await t.queryBuckets({ device: 'old', metrics: ['x'], from: base, to: base + 1000, points: 4, now: base + 2000 });
  assert.equal(
    buckets.series.x.count.reduce((a: number, b: number | null) => a + (b ?? 0), 0),
    2001,
  );

  // Export keeps the µs and pages without skipping or repeating a row.
  const rows: GroupRow[] = [];
  for await (const r of t.exportRows({ devices: { ids: ['old'], prefixes: [] }, from: base, to: base + 1000 })) rows.push(r);
  assert.equal(rows.length, 2001);
  assert.deepEqual(
    rows.slice(0, 3).map((r) => r.ts),
    [base, base + 0.5, base + 0.501],
  );

  // The latest value keeps its µs.
  const devices = await t.listDevices();
  assert.equal(devices.find((d) => d.id === 'old')?.latest.x.ts, base + 999.5);

  // Retention still deletes by time: everything before the µs series goes, the series stays.
  const cut = await t.applyRetention(base + (t.retention.rawMs ?? 0));
  assert.equal(cut.raw, 3);
  const left = await t.queryRange({ device: 'old', metrics: ['x'], from: T0, to: base + 1000, limit: 5000 });
  assert.equal(left.x.ts.length, 2001);
}
