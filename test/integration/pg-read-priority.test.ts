import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import postgres, { type Sql } from 'postgres';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { lowerBackendPriority } from '../../src/stores/postgres/backend-priority.js';

/** A process's nice value, from /proc/PID/stat (field 19; the command name in parentheses may hold spaces). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const pg = requirePostgres('PostgreSQL read sessions at a lower priority');

test('a PostgreSQL read worker lowers its own backend to the read threads priority; the ingest sessions stay as they were', { skip: pg.skip }, async (t) => {
  const server = await startPostgres();
  t.after(() => server.destroy());
  const url = await server.createDatabase();
  const store = new PostgresStore({ url, readWorkers: 1 });
  await store.open();
  t.after(() => store.close());
  await store.telemetry.write({ readings: [{ device: 'p-1', metric: 'v', ts: 1_700_000_000_000, value: 1 }], devices: [{ id: 'p-1', seen: 0 }], rejected: [] });
  // A read answered: the worker's session is open (and lowered, before it served anything).
  await store.telemetry.groupRecent({ devices: { ids: ['p-1'], prefixes: [] }, metrics: ['v'], n: 1 });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.after(() => sql.end({ timeout: 1 }));
  const [me] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  const others = await sql<
    { pid: number }[]
  >`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`;
  const nice = others.map((o) => niceOf(o.pid));
  // The store's write sessions (at least one wrote above) and the read worker's session.
  assert.ok(others.length >= 2, `sessions: ${JSON.stringify(others)}`);
  assert.equal(nice.filter((n) => n === 10).length, 1, `nice values: ${nice}`);
  assert.ok(nice.filter((n) => n === 0).length >= 1, `nice values: ${nice}`);
  assert.equal(niceOf(me.pid), 0);
});

test('lowerBackendPriority renices only a backend that is certainly this session on this host', { skip: pg.skip }, async (t) => {
  const server = await startPostgres();
  t.after(() => server.destroy());
  const sql = postgres(server.url(), { max: 1, onnotice: () => {} });
  t.after(() => sql.end({ timeout: 1 }));
  assert.equal(await lowerBackendPriority(sql, 5), true);
  const [{ pid }] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  assert.equal(niceOf(pid), 5);
  // A pid that is not a PostgreSQL backend (this test's own process), as a remote server's pid could be: left alone.
  const before = niceOf(process.pid);
  const liar = (async () => [{ pid: process.pid, port: 5432 }]) as unknown as Sql;
  assert.equal(await lowerBackendPriority(liar, 7), false);
  assert.equal(niceOf(process.pid), before);
});
