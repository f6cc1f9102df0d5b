/**
 * The whole program on a real PostgreSQL (`--store postgres://...`): ingest, history, alarms, commands, sign-in,
 * a restart on the same database, and an outage of PostgreSQL itself while readings keep arriving.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import postgres from 'postgres';
import type { RunningApp } from '../../src/app.js';
import type { Alarm, AlarmEvent, Rule } from '../../src/model/alarm.js';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { bearer, login } from '../helpers/auth.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';

const { skip } = requirePostgres('whole app on PostgreSQL');
const T0 = Date.UTC(2025, 5, 1);
// Readings dated T0 must outlive retention whatever today is.
const keep = { retentionRawHours: 24 * 365 * 50 };
const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** Distinct stored timestamps of one metric, failing if any is there twice. */
async function count(url: string, device: string, metric: string): Promise<number> {
  const r = await get<{ series: Record<string, { ts: number[] }> }>(
    `${url}/api/v1/devices/${device}/telemetry?metric=${metric}&from=${T0}&to=${T0 + 3600_000}&limit=10000`,
  );
  const ts = r.series[metric]?.ts ?? [];
  assert.equal(new Set(ts).size, ts.length, 'no reading twice');
  return ts.length;
}

describe('whole app on PostgreSQL', { skip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => pg?.destroy());

  it('MQTT in and REST out, a rule raises an alarm that is acked, a command is recorded and acked, admin signs in; all of it survives a restart', async (t) => {
    const d = tempDir();
    t.after(() => d.remove());
    const url = await pg.createDatabase();
    let app: RunningApp = await startTestApp({ dataDir: d.dir, store: url, ...keep });
    t.after(() => app.stop());
    assert.equal(app.store.engine, 'postgres');
    assert.equal(existsSync(join(d.dir, 'fieldscope.db')), false, 'nothing written to SQLite');

    const rule = (await (
      await fetch(
        `${app.httpUrl}/api/v1/rules`,
        json('POST', {
          name: 'hot',
          severity: 'major',
          scope: 'device',
          target: 'pg-dev-1',
          kind: 'threshold',
          metric: 'temperature',
          op: '>',
          value: 40,
          deadband: 5,
        }),
      )
    ).json()) as Rule;
    assert.ok(rule.id, JSON.stringify(rule));

    // The device listens for commands on the same connection it publishes on, and acks them.
    const dev = await mqtt.connectAsync(app.mqttUrl, { clientId: 'pg-dev-1' });
    t.after(() => dev.endAsync());
    const answered: string[] = [];
    dev.on('message', (_topic, payload) => {
      const id = (JSON.parse(payload.toString()) as { id: string }).id;
      answered.push(id);
      void dev.publishAsync('devices/pg-dev-1/commands/ack', JSON.stringify({ id, status: 'acked' }), { qos: 1 });
    });
    await dev.subscribeAsync('devices/pg-dev-1/commands', { qos: 1 });
    const temps = [30, 31, 45, 38, 41, 37, 39, 36, 34, 36];
    for (let i = 0; i < temps.length; i++) {
      // QoS1 PUBACK comes after the commit.
      await dev.publishAsync('devices/pg-dev-1/telemetry', JSON.stringify({ temperature: temps[i], ts: T0 + i * 1000, seq: i + 1 }), { qos: 1 });
    }
    const series = await get<{ series: Record<string, { ts: number[]; value: number[] }> }>(
      `${app.httpUrl}/api/v1/devices/pg-dev-1/telemetry?metric=temperature&from=${T0}&to=${T0 + 60_000}`,
    );
    assert.deepEqual(series.series.temperature.value, temps);
    assert.deepEqual(
      series.series.temperature.ts,
      temps.map((_, i) => T0 + i * 1000),
    );

    const alarms = await until(
      async () => {
        const l = (await get<{ alarms: Alarm[] }>(`${app.httpUrl}/api/v1/alarms?device=pg-dev-1`)).alarms;
        return l.length && l[0].status === 'cleared_unacked' ? l : undefined;
      },
      { what: 'alarm raised and cleared' },
    );
    assert.equal(alarms.length, 1);
    const a = alarms[0];
    assert.equal(a.ruleId, rule.id);
    assert.equal(a.raisedAt, T0 + 2000);
    assert.equal(a.count, 2, '45 raised it, 41 repeated it');
    assert.equal(a.firstValue, 45);
    assert.equal(a.lastValue, 41);
    assert.equal(a.clearedAt, T0 + 8000);
    const acked = await fetch(`${app.httpUrl}/api/v1/alarms/${a.id}/ack`, json('POST', { by: 'ops-anna', comment: 'checked the fan' }));
    assert.equal(acked.status, 200);
    assert.equal(((await acked.json()) as Alarm).status, 'cleared_acked');

    const cmdRes = await fetch(`${app.httpUrl}/api/v1/devices/pg-dev-1/commands`, json('POST', { name: 'reboot' }));
    assert.equal(cmdRes.status, 202);
    const cmd = (await cmdRes.json()) as { id: string };
    let seen: unknown;
    await until(
      async () => {
        seen = (await get<{ commands: { id: string; status: string }[] }>(`${app.httpUrl}/api/v1/devices/pg-dev-1/commands`)).commands.find(
          (c) => c.id === cmd.id,
        );
        return (seen as { status: string } | undefined)?.status === 'acked';
      },
      { what: 'command acked' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${JSON.stringify(seen)}; answered ${JSON.stringify(answered)}`);
    });

    const password = readFileSync(join(d.dir, 'auth', 'initial-admin-password'), 'utf8').trim();
    assert.equal(password, app.initialAdminPassword);
    const session = await login(app.httpUrl, 'admin', password);
    const me = await fetch(`${app.httpUrl}/api/v1/users`, { headers: bearer(session.accessToken) });
    assert.equal(me.status, 200);
    assert.ok(((await me.json()) as { users: { username: string }[] }).users.some((u) => u.username === 'admin'));

    // Everything above lives in PostgreSQL: a restart on the same database finds it all.
    await dev.endAsync();
    await app.stop();
    app = await startTestApp({ dataDir: d.dir, store: url, ...keep });
    assert.equal(app.initialAdminPassword, null, 'the admin exists already');
    await login(app.httpUrl, 'admin', password);
    assert.equal(await count(app.httpUrl, 'pg-dev-1', 'temperature'), temps.length);
    const rules = await get<{ rules: Rule[] }>(`${app.httpUrl}/api/v1/rules`);
    assert.ok(rules.rules.some((r) => r.id === rule.id));
    const detail = await get<{ alarm: Alarm; events: AlarmEvent[] }>(`${app.httpUrl}/api/v1/alarms/${a.id}`);
    assert.equal(detail.alarm.status, 'cleared_acked');
    assert.deepEqual(
      detail.events.map((e) => [e.type, e.by]),
      [
        ['raised', null],
        ['auto_cleared', null],
        ['acked', 'ops-anna'],
      ],
    );
    const cmds = await get<{ commands: { id: string; status: string }[] }>(`${app.httpUrl}/api/v1/devices/pg-dev-1/commands`);
    assert.equal(cmds.commands.find((c) => c.id === cmd.id)?.status, 'acked');
    const c = await get<Record<string, number>>(`${app.httpUrl}/api/v1/devices/pg-dev-1/completeness?from=${T0}&to=${T0 + 3600_000}`);
    assert.equal(c.received, temps.length);
    assert.equal(c.missing, 0);
  });

  it('PostgreSQL stopped while readings arrive: they spool (health shows it), and once it is back the spool drains, nothing lost, nothing doubled', async (t) => {
    const d = tempDir();
    t.after(() => d.remove());
    const url = await pg.createDatabase();
    const app = await startTestApp({ dataDir: d.dir, store: url, ...keep });
    t.after(() => app.stop());
    const post = (seqs: number[]) =>
      fetch(`${app.httpUrl}/api/v1/devices/pg-tank/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: seqs.map((seq) => JSON.stringify({ seq, ts: T0 + seq * 1000, temperature: 20 + seq / 10 })).join('\n'),
      });
    assert.equal((await post([1, 2, 3, 4, 5])).status, 200);

    await pg.stop();
    try {
      for (let i = 0; i < 5; i++) {
        const seqs = Array.from({ length: 10 }, (_, k) => 6 + i * 10 + k);
        assert.equal((await post(seqs)).status, 200, 'acknowledged from the spool');
      }
      const res = await fetch(`${app.httpUrl}/health`);
      assert.equal(res.status, 503, 'the store is down');
      const h = (await res.json()) as { components: { store: { status: string; error: string }; spool: { status: string; batches: number; bytes: number } } };
      assert.equal(h.components.store.status, 'down');
      assert.equal(h.components.spool.status, 'spooling');
      assert.ok(h.components.spool.batches >= 5 && h.components.spool.bytes > 0, JSON.stringify(h.components.spool));
    } finally {
      await pg.start();
    }

    await until(() => app.batcher.spoolDepth.batches === 0, { what: 'spool drained', timeoutMs: 30_000 });
    const h = await get<{ components: { store: { status: string }; spool: { status: string; batches: number } } }>(`${app.httpUrl}/health`);
    assert.equal(h.components.store.status, 'up');
    assert.equal(h.components.spool.status, 'empty');
    assert.equal(await count(app.httpUrl, 'pg-tank', 'temperature'), 55);
    // A resend of what was spooled is a duplicate, not a second copy.
    assert.equal((await post([10, 20, 30])).status, 200);
    assert.equal(await count(app.httpUrl, 'pg-tank', 'temperature'), 55);
    const c = await get<Record<string, number>>(`${app.httpUrl}/api/v1/devices/pg-tank/completeness?from=${T0}&to=${T0 + 3600_000}`);
    assert.equal(c.received, 55);
    assert.equal(c.missing, 0);
    assert.equal(c.duplicates, 3);

    // The spool position went into PostgreSQL with the readings it covers.
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ key: string }[]>`SELECT key FROM import_progress`;
      assert.ok(rows.length >= 1, 'spool checkpoint committed with the replayed batches');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
