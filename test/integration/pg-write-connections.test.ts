/**
 * The PostgreSQL store's connections on the ack path (issue 15): telemetry writes have connections
 * of their own, so a commit never queues behind the API's queries; and every connection the store
 * opens has Nagle's algorithm off (a pipelined transaction otherwise waits on delayed ACKs).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import postgres from 'postgres';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { Reading } from '../../src/model/reading.js';
import type { WriteBatch } from '../../src/stores/store.js';

const { skip } = requirePostgres('PostgreSQL write connections');

const T0 = Date.UTC(2024, 0, 10);

const batch = (device: string, n: number): WriteBatch => {
  const readings: Reading[] = [];
  for (let i = 0; i < n; i++) readings.push({ device, metric: 'v', ts: T0 + i, value: i, seq: i });
  return { readings, devices: [{ id: device, seen: T0 + n }], rejected: [] };
};

describe("PostgreSQL store: the write path's connections", { skip }, () => {
  let pg: TestPostgres;
  let url: string;

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
  });
  after(async () => {
    await pg?.destroy();
  });

  it('opens every connection with noDelay (Nagle off)', async () => {
    const connects: (net.NetConnectOpts & { noDelay?: boolean })[] = [];
    const original = net.connect;
    // postgres.js itself opens sockets with new net.Socket() and socket.connect(): none would be seen here.
    (net as { connect: unknown }).connect = (...args: Parameters<typeof net.connect>) => {
      connects.push(args[0] as unknown as net.NetConnectOpts);
      return (original as (...a: unknown[]) => net.Socket)(...args);
    };
    const store = new PostgresStore({ url, readWorkers: 0 });
    try {
      await store.open();
      await store.telemetry.write(batch('nodelay-1', 10));
      await store.catalog.listProfiles();
      await store.telemetry.groupRecent({ devices: { ids: ['nodelay-1'], prefixes: [] }, n: 1 });
    } finally {
      (net as { connect: unknown }).connect = original;
      await store.close();
    }
    assert.ok(connects.length >= 3, `the store's pools connected through noDelay sockets (${connects.length})`);
    for (const c of connects) assert.equal(c.noDelay, true);
  });

  it('commits a batch while every connection of the API pool waits on a lock', async () => {
    // One API connection, held below by a read that waits on a lock another session takes.
    const store = new PostgresStore({ url, readWorkers: 0, max: 1 });
    // Two connections: one holds the lock, the other watches the locks.
    const other = postgres(url, { max: 2, onnotice: () => {} });
    await store.open();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const locker = other.begin(async (tx) => {
      await tx`LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE`;
      await released;
    });
    // A fallback only, so that a write that cannot run (the old shared pool) fails the order below instead of hanging.
    const fallback = setTimeout(release, 30_000);
    try {
      for (;;) {
        const [{ n }] = await other`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'profiles'::regclass AND mode = 'AccessExclusiveLock' AND granted`;
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const blocked = store.catalog.listProfiles().then(() => 'read' as const);
      for (;;) {
        const [{ n }] = await other`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'profiles'::regclass AND NOT granted`;
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const write = store.telemetry.write(batch('behind-api', 100)).then(() => 'write' as const);
      const first = await Promise.race([write, blocked]);
      release();
      assert.equal(first, 'write', 'the commit waited for the API pool');
      assert.equal(await write, 'write');
      assert.equal(await blocked, 'read');
      const [{ n }] = await other`SELECT count(*)::int AS n FROM readings r JOIN series s ON s.id = r.series WHERE s.device = 'behind-api'`;
      assert.equal(n, 100);
    } finally {
      clearTimeout(fallback);
      release();
      await locker;
      await other.end({ timeout: 5 });
      await store.close();
    }
  });
});
