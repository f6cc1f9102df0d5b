// The audit log: every change made through the API is recorded (who, when, from where, what
// changed, secrets masked), admins query it, and the store refuses to rewrite or delete it except
// for the retention job's delete of entries past retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { startLockedApp, login, bearer, userToken, deviceToken } from '../helpers/auth.js';
import { tempDir, until } from '../helpers/app.js';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import type { AuditEntry } from '../../src/model/audit.js';
import type { AuditStore } from '../../src/stores/store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { startAuditRetention } from '../../src/auth/audit/audit-retention.js';

const json = { 'content-type': 'application/json' };

test('changes through the API are audited: who, from where, before and after, secrets masked; only admins read it', async (t) => {
  const { app, adminPassword, remove } = await startLockedApp();
  t.after(remove);
  const url = app.httpUrl;
  const admin = (await login(url, 'admin', adminPassword)).accessToken;
  const op = await userToken(url, admin, 'olga', 'operator');

  const created = await fetch(`${url}/api/v1/rules`, {
    method: 'POST',
    headers: { ...bearer(op), ...json },
    body: JSON.stringify({ name: 'hot', severity: 'major', scope: 'device', target: 'a-1', kind: 'threshold', metric: 't', op: '>', value: 50 }),
  });
  assert.equal(created.status, 201);
  const rule = (await created.json()) as { id: string };
  const put = await fetch(`${url}/api/v1/rules/${rule.id}`, {
    method: 'PUT',
    headers: { ...bearer(op), ...json },
    body: JSON.stringify({ name: 'hot', severity: 'critical', scope: 'device', target: 'a-1', kind: 'threshold', metric: 't', op: '>', value: 60 }),
  });
  assert.equal(put.status, 200);
  const key = await fetch(`${url}/api/v1/api-keys`, {
    method: 'POST',
    headers: { ...bearer(admin), ...json },
    body: JSON.stringify({ name: 'grafana', role: 'viewer' }),
  });
  assert.equal(key.status, 201);
  const secretKey = ((await key.json()) as { key: string }).key;
  const devToken = await deviceToken(url, admin, 'a-1');
  // Readings are data, not changes: not audited. A refused change is.
  assert.equal(
    (await fetch(`${url}/api/v1/devices/a-1/telemetry`, { method: 'POST', headers: { ...bearer(devToken), ...json }, body: JSON.stringify({ t: 80 }) })).status,
    200,
  );
  const viewer = await userToken(url, admin, 'vic', 'viewer');
  assert.equal((await fetch(`${url}/api/v1/rules/${rule.id}`, { method: 'DELETE', headers: bearer(viewer) })).status, 403);
  const alarm = await until(
    async () => ((await (await fetch(`${url}/api/v1/alarms?device=a-1`, { headers: bearer(op) })).json()) as { alarms: { id: number }[] }).alarms[0],
    { what: 'alarm' },
  );
  assert.equal(
    (await fetch(`${url}/api/v1/alarms/${alarm.id}/ack`, { method: 'POST', headers: { ...bearer(op), ...json }, body: JSON.stringify({ comment: 'looked' }) }))
      .status,
    200,
  );

  const read = async (q = '', token = admin) => {
    const res = await fetch(`${url}/api/v1/audit${q}`, { headers: bearer(token) });
    return { status: res.status, body: (await res.json()) as { entries: AuditEntry[] } };
  };
  const all = await until(
    async () => {
      const r = await read();
      return r.body.entries.some((e) => e.route === '/api/v1/alarms/:id/ack') && r.body.entries;
    },
    { what: 'ack audited' },
  );
  const routes = all.map((e) => `${e.method} ${e.route} ${e.status}`);
  for (const want of [
    'POST /api/v1/users 201',
    'POST /api/v1/rules 201',
    'PUT /api/v1/rules/:id 200',
    'POST /api/v1/api-keys 201',
    'POST /api/v1/devices/:id/credentials 201',
    'DELETE /api/v1/rules/:id 403',
    'POST /api/v1/alarms/:id/ack 200',
  ]) {
    assert.ok(routes.includes(want), `${want} in ${routes.join(' | ')}`);
  }
  assert.ok(!routes.some((r) => r.includes('/telemetry')), 'readings are not audited');

  const putEntry = all.find((e) => e.route === '/api/v1/rules/:id' && e.method === 'PUT')!;
  assert.equal(putEntry.actor, 'olga');
  assert.equal(putEntry.role, 'operator');
  assert.equal(putEntry.ip, '127.0.0.1');
  assert.equal(putEntry.target, rule.id);
  assert.equal((JSON.parse(putEntry.before!) as { value: number }).value, 50, 'before: the rule as it was');
  assert.equal((JSON.parse(putEntry.after!) as { value: number }).value, 60, 'after: the rule as it is');
  const ackEntry = all.find((e) => e.route === '/api/v1/alarms/:id/ack')!;
  assert.equal((JSON.parse(ackEntry.before!) as { status: string }).status, 'active_unacked');
  assert.equal((JSON.parse(ackEntry.after!) as { status: string }).status, 'active_acked');
  assert.equal(all.find((e) => e.method === 'DELETE')!.actor, 'vic');

  // No secret reaches the log: passwords, the API key, the device token, the login's tokens.
  const text = JSON.stringify(all);
  for (const secret of [adminPassword, 'pw-olga-0123456789', secretKey, devToken, admin])
    assert.ok(!text.includes(secret), 'a secret was written to the audit log');
  const userEntry = all.find((e) => e.route === '/api/v1/users' && e.request?.includes('olga'))!;
  assert.equal((JSON.parse(userEntry.request!) as { password: string }).password, '***');

  // Filters, and admins only.
  const byOlga = await read('?actor=olga&route=/api/v1/rules');
  assert.ok(byOlga.body.entries.length >= 2 && byOlga.body.entries.every((e) => e.actor === 'olga' && e.route.startsWith('/api/v1/rules')));
  const page = await read(`?limit=2&before=${all[0].id}`);
  assert.ok(page.body.entries.length === 2 && page.body.entries.every((e) => e.id < all[0].id));
  assert.equal((await read('', op)).status, 403);
});

/** Runs the same append-only checks on an engine, through its raw SQL. */
async function appendOnly(store: AuditStore, raw: { exec(sql: string): Promise<unknown> }) {
  const day = 86_400_000;
  const now = Date.UTC(2026, 0, 31);
  const base = {
    actor: 'admin',
    role: 'admin',
    ip: '127.0.0.1',
    method: 'PUT',
    route: '/api/v1/rules/:id',
    path: '/api/v1/rules/r1',
    target: 'r1',
    status: 200,
    before: null,
    request: null,
    after: null,
  };
  await store.addAudit({ ...base, at: now - 10 * day });
  await store.addAudit({ ...base, at: now - day });
  await assert.rejects(raw.exec("UPDATE audit_log SET actor = 'mallory'"), /append-only/);
  await assert.rejects(raw.exec('DELETE FROM audit_log'), /append-only/);
  assert.equal((await store.listAudit({ limit: 10 })).length, 2);
  // Retention of 5 days: the 10-day-old entry goes, the other stays, and the gate closes again.
  const job = startAuditRetention(store, { days: 5, firstRunMs: 3_600_000 });
  assert.equal(await job.runOnce(now), 1);
  await job.stop();
  const left = await store.listAudit({ limit: 10 });
  assert.deepEqual(
    left.map((e) => e.at),
    [now - day],
  );
  await assert.rejects(raw.exec('DELETE FROM audit_log'), /append-only/);
}

test('SQLite: the audit log is append-only (triggers), except the retention job deleting entries past retention', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const path = join(d.dir, 'fieldscope.db');
  const store = new SqliteStore({ path });
  await store.open();
  t.after(() => store.close());
  const db = new Database(path);
  t.after(() => db.close());
  await appendOnly(store.audit, { exec: async (sql) => db.exec(sql) });
  // Opening the gate does not help with entries inside retention either.
  assert.throws(() => db.exec('UPDATE audit_gate SET cutoff = 0; DELETE FROM audit_gate'), /keep its row/);
});

const pg = requirePostgres('audit log on PostgreSQL');
test('PostgreSQL: the audit log is append-only (trigger refuses UPDATE, DELETE, TRUNCATE), except the retention job', { skip: pg.skip }, async (t) => {
  const server = await startPostgres();
  t.after(() => server.destroy());
  const url = await server.createDatabase();
  const store = new PostgresStore({ url });
  await store.open();
  t.after(() => store.close());
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.after(() => sql.end({ timeout: 1 }));
  await appendOnly(store.audit, { exec: (q) => sql.unsafe(q) });
  await assert.rejects(sql.unsafe('TRUNCATE audit_log'), /append-only/);
});
