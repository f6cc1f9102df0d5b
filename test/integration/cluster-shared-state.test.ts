/**
 * Two Fieldscope nodes on one PostgreSQL (issue 19, shared state): a change on one node reaches the
 * other through the change feed, an alarm raised on both at once exists once, run-once jobs run on
 * one node and move when it dies, and a credential revoked on one node stops working on the other.
 */
import { randomUUID } from 'node:crypto';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import postgres from 'postgres';
import type { RunningApp } from '../../src/app.js';
import type { Alarm, AlarmEvent, Rule } from '../../src/model/alarm.js';
import type { DeviceCommand } from '../../src/model/device-admin.js';
import { AdvisoryLease } from '../../src/cluster/leader.js';
import { silentLogger } from '../../src/logger.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { bearer, login } from '../helpers/auth.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { callApi, type ApiAnswer } from '../helpers/api-call.js';

const { skip } = requirePostgres('cluster shared state');
/** The bound for a change made on one node to act on every node. */
const WITHIN_A_SECOND = 1000;
const keep = { retentionRawHours: 24 * 365 * 50 };

function call<T>(url: string, method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer<T>> {
  return callApi<T>(url, method, path, body, token ? bearer(token) : {});
}

async function send(app: RunningApp, device: string, readings: Record<string, unknown>[]): Promise<void> {
  const r = await call<{ accepted: number }>(app.httpUrl, 'POST', `/api/v1/devices/${device}/telemetry`, readings);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function alarmsOf(app: RunningApp, device: string): Promise<Alarm[]> {
  const r = await call<{ alarms: Alarm[] }>(app.httpUrl, 'GET', `/api/v1/alarms?device=${device}&limit=100`);
  assert.equal(r.status, 200);
  return r.body.alarms;
}

async function getProfile(app: RunningApp): Promise<boolean> {
  const r = await call<{ name: string }>(app.httpUrl, 'GET', '/api/v1/profiles/cell');
  return r.status === 200 && r.body.name === 'cell';
}

const rule = (target: string, value: number) => ({
  name: `hot ${target}`,
  severity: 'major',
  scope: 'device',
  target,
  kind: 'threshold',
  metric: 't',
  op: '>',
  value,
});

describe('cluster shared state: two nodes on one PostgreSQL', { skip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => pg?.destroy());

  it('a rule created on node A acts, within a second, on a device whose readings go to node B; changes and deletes travel too', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep });
    t.after(() => b.stop());

    const created = await call<Rule>(a.httpUrl, 'POST', '/api/v1/rules', rule('rack-1', 40));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    await until(() => b.alarms.engine.listRules().some((r) => r.id === id), { timeoutMs: WITHIN_A_SECOND, what: 'the rule on node B' });
    const ids = async (app: RunningApp) => (await call<{ rules: Rule[] }>(app.httpUrl, 'GET', '/api/v1/rules')).body.rules.map((r) => r.id).sort();
    assert.deepEqual(await ids(b), await ids(a));

    await send(b, 'rack-1', [{ t: 50, seq: 1 }]);
    const raised = await until(async () => (await alarmsOf(a, 'rack-1')).find((x) => x.ruleId === id), { what: 'the alarm raised on B' });
    assert.equal(raised.device, 'rack-1');
    // A mirrors the open alarm (so an ack or clear on A, and B's next reading, act on the same one).
    await until(() => a.alarms.engine.openAlarms().some((x) => x.id === raised.id), { timeoutMs: WITHIN_A_SECOND, what: "B's alarm open on A" });

    // Changed on B, acts on A.
    const changed = await call<Rule>(b.httpUrl, 'PUT', `/api/v1/rules/${id}`, rule('rack-1', 60));
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    await until(() => a.alarms.engine.listRules().find((r) => r.id === id)?.value === 60, { timeoutMs: WITHIN_A_SECOND, what: 'the change on A' });

    // Cleared by hand on A: B lets go of it, and B's next violating reading does not count a repeat on a cleared alarm.
    const clearRes = await call(a.httpUrl, 'POST', `/api/v1/alarms/${raised.id}/clear`, { by: 'ops-ana', comment: 'checked' });
    assert.equal(clearRes.status, 200, JSON.stringify(clearRes.body));
    await until(() => !b.alarms.engine.openAlarms().some((x) => x.id === raised.id), { timeoutMs: WITHIN_A_SECOND, what: 'the clear on B' });
    await send(b, 'rack-1', [{ t: 70, seq: 2 }]);
    await b.alarms.engine.idle();
    const alarms = await alarmsOf(a, 'rack-1');
    assert.equal(alarms.length, 1, 'latched: no new alarm while the condition still holds');
    assert.notEqual(alarms[0].clearedAt, null);
    assert.equal(alarms[0].count, 1, 'nothing counted on the cleared alarm');

    // Deleted on A: gone on B.
    assert.equal((await call(a.httpUrl, 'DELETE', `/api/v1/rules/${id}`)).status, 204);
    await until(() => !b.alarms.engine.listRules().some((r) => r.id === id), { timeoutMs: WITHIN_A_SECOND, what: 'the delete on B' });
  });

  it('after its LISTEN connection is lost, a node reloads all shared state, and hears changes again', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => b.stop());
    const feed = b.sharedState.changes!;
    await until(() => feed.counts.resyncs >= 1, { what: 'the first listen' });
    const resyncs = feed.counts.resyncs;

    const admin = postgres(url, { max: 1, onnotice: () => {} });
    t.after(() => admin.end({ timeout: 1 }));
    // Cut every LISTEN session (A's and B's), then write while they may be away: nobody may hear this one.
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'listen%' AND pid <> pg_backend_pid()`;
    const created = await a.alarms.engine.createRule(rule('rack-4', 40) as never);
    await until(() => feed.counts.resyncs > resyncs, { timeoutMs: 15_000, what: 'B to listen again and reload' });
    await until(() => b.alarms.engine.listRules().some((r) => r.id === created.id), { timeoutMs: 15_000, what: 'the rule on B' });

    // Listening again: the next change arrives as a notice.
    const applied = feed.counts.applied;
    await a.alarms.engine.deleteRule(created.id);
    await until(() => !b.alarms.engine.listRules().some((r) => r.id === created.id), { timeoutMs: WITHIN_A_SECOND, what: 'the delete on B' });
    assert.ok(feed.counts.applied > applied);
  });

  it('a topic mapping added through node A is listed and applied on node B within a second; its removal too', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep });
    t.after(() => b.stop());
    const created = await call<{ id: string }>(a.httpUrl, 'POST', '/api/v1/mappings', { topic: 'plant/{device}/data', device: 'device' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const onB = async () => (await call<{ mappings: { id: string }[] }>(b.httpUrl, 'GET', '/api/v1/mappings')).body.mappings.map((m) => m.id);
    await until(async () => (await onB()).includes(created.body.id), { timeoutMs: WITHIN_A_SECOND, what: 'the mapping listed on B' });
    // B's embedded broker applies it: a publish on the mapped topic to B is stored as the device's reading.
    const client = await mqtt.connectAsync(b.mqttUrl, { clientId: 'mapped-press' });
    t.after(() => client.endAsync());
    await client.publishAsync('plant/press-7/data', JSON.stringify({ t: 21.5, seq: 1 }), { qos: 1 });
    await until(
      async () => (await call<{ series: Record<string, unknown> }>(b.httpUrl, 'GET', '/api/v1/devices/press-7/telemetry?metric=t&from=0')).body.series?.t,
      {
        what: 'the mapped reading stored',
      },
    );
    assert.equal((await call(a.httpUrl, 'DELETE', `/api/v1/mappings/${created.body.id}`)).status, 204);
    await until(async () => !(await onB()).includes(created.body.id), { timeoutMs: WITHIN_A_SECOND, what: 'the removal on B' });
  });

  it('rebuildDevices: a node taking over a device continues its analytics windows and its on-delay timer from the store', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => b.stop());
    const T0 = Date.UTC(2025, 5, 1);
    const created = await call<Rule>(a.httpUrl, 'POST', '/api/v1/rules', { ...rule('rack-9', 40), onDelayMs: 10_000 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await until(() => b.alarms.engine.listRules().some((r) => r.id === created.body.id), { timeoutMs: WITHIN_A_SECOND, what: 'the rule on B' });

    // A owns rack-9: 8 s of readings, the last 5 over the threshold (the on-delay is pending, 4 s in).
    const values = [10, 12, 11, 13, 45, 46, 47, 48, 49];
    await send(
      a,
      'rack-9',
      values.map((v, i) => ({ t: v, ts: T0 + i * 1000, seq: i + 1 })),
    );
    await a.alarms.engine.idle();
    assert.equal((await alarmsOf(a, 'rack-9')).length, 0);

    // rack-9 moves to B.
    await b.sharedState.rebuildDevices(['rack-9']);
    const onA = a.alarms.analytics.get('rack-9')!;
    const onB = b.alarms.analytics.get('rack-9')!;
    assert.deepEqual(onB.metrics, onA.metrics, 'the same windows as the last owner');
    assert.equal(onB.seq, 9);

    // 10 s after the condition began (at T0 + 4 s): B raises, as A would have.
    await send(b, 'rack-9', [
      { t: 50, ts: T0 + 9000, seq: 10 },
      { t: 51, ts: T0 + 14_000, seq: 11 },
    ]);
    const raised = await until(async () => (await alarmsOf(a, 'rack-9'))[0], { what: 'the alarm after the on-delay' });
    assert.equal(raised.raisedAt, T0 + 14_000);
    assert.equal(b.sequence.state('rack-9')?.maxSeq, 11);
  });

  it('a profile added, and a device bound to it, on node A apply on node B', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => b.stop());
    await Promise.all([send(a, 'cell-1', [{ v: 3, seq: 1 }]), send(b, 'cell-1', [{ v: 3, seq: 2 }])]);

    const profile = { name: 'cell', metrics: { v: { unit: 'V', min: 0, max: 5 } } };
    const put = await call(a.httpUrl, 'PUT', '/api/v1/profiles/cell', profile);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await until(() => getProfile(b), { timeoutMs: WITHIN_A_SECOND, what: 'the profile on B' });
    const bound = await call(a.httpUrl, 'PUT', '/api/v1/devices/cell-1/profile', { profile: 'cell' });
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    await until(() => b.devices.profileOf('cell-1') === 'cell', { timeoutMs: WITHIN_A_SECOND, what: 'the binding on B' });
  });

  it('the same alarm raised on two nodes at once exists once, with every occurrence counted', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep });
    t.after(() => b.stop());
    const created = await call<Rule>(a.httpUrl, 'POST', '/api/v1/rules', rule('rack-2', 40));
    await until(() => b.alarms.engine.listRules().some((r) => r.id === created.body.id), { timeoutMs: WITHIN_A_SECOND, what: 'the rule on node B' });

    // The violating readings reach both nodes at once (as a $share subscription hands them out).
    await Promise.all([send(a, 'rack-2', [{ t: 50, seq: 1 }]), send(b, 'rack-2', [{ t: 51, seq: 2 }])]);
    await until(async () => (await alarmsOf(a, 'rack-2')).reduce((n, x) => n + x.count, 0) === 2, { what: 'both occurrences counted' });
    const alarms = await alarmsOf(b, 'rack-2');
    assert.equal(alarms.length, 1, JSON.stringify(alarms));
    assert.equal(alarms[0].count, 2);
  });

  it('store: openAlarm racing on two connections pools opens one alarm with one raised event and counts the rest', async (t) => {
    const url = await pg.createDatabase();
    const one = new PostgresStore({ url });
    const two = new PostgresStore({ url });
    await one.open();
    t.after(() => one.close());
    await two.open();
    t.after(() => two.close());
    const base = {
      ruleId: 'r1',
      ruleName: 'hot',
      kind: 'threshold' as const,
      device: 'rack-3',
      metric: 't',
      severity: 'major' as const,
      status: 'active_unacked' as const,
      count: 1,
      clearedAt: null,
      clearedBy: null,
      ackedAt: null,
      ackedBy: null,
      message: 't > 40',
    };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? one : two).alarms.openAlarm({ ...base, raisedAt: 1000 + i, lastAt: 1000 + i, firstValue: i, lastValue: i }),
      ),
    );
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.alarm.id)).size, 1);
    const open = (await one.alarms.activeAlarms()).filter((x) => x.device === 'rack-3');
    assert.equal(open.length, 1);
    assert.equal(open[0].count, 40);
    const events: AlarmEvent[] = await two.alarms.listAlarmEvents(open[0].id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['raised'],
    );
  });

  it('run-once jobs run on exactly one node and move to the other when that node stops', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep });
    let bStopped = false;
    t.after(() => (bStopped ? undefined : b.stop()));
    // The first node takes the lease at its first try, or (a try cut short on a loaded machine) its next.
    await until(() => a.sharedState.runOnce.leading, { timeoutMs: 15_000, what: 'the first node to take the lease' });
    assert.equal(b.sharedState.runOnce.leading, false, 'the second waits');

    // The holder's lease session is cut (as when its host drops off): it stops its jobs, the other takes them.
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    t.after(() => admin.end({ timeout: 1 }));
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fieldscope-lease-jobs' AND pid IN
      (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2)`;
    await until(() => b.sharedState.runOnce.leading, { timeoutMs: 15_000, what: 'node B to take the jobs' });
    await until(() => !a.sharedState.runOnce.leading, { timeoutMs: 15_000, what: 'node A to let go of the jobs' });

    // B stops: A takes the jobs back.
    await b.stop();
    bStopped = true;
    await until(() => a.sharedState.runOnce.leading, { timeoutMs: 15_000, what: 'node A to take the jobs back' });
  });

  it('nodata timers run once for the cluster, on last-seen times from the store: no false alarm on the node that does not get the data', async (t) => {
    const url = await pg.createDatabase();
    const a = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => a.stop());
    const b = await startTestApp({ store: url, ...keep, rulePacks: false });
    t.after(() => b.stop());
    assert.equal(a.sharedState.runOnce.leading, true);
    const created = await call<Rule>(a.httpUrl, 'POST', '/api/v1/rules', {
      name: 'quiet',
      severity: 'minor',
      scope: 'device',
      target: 'quiet-1',
      kind: 'nodata',
      // Well above the 250 ms between messages: at load average 38 a run saw a real 1.5 s gap between two sends (a true alarm, failing the test).
      forMs: 4000,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await until(() => b.alarms.engine.listRules().some((r) => r.id === created.body.id), { timeoutMs: WITHIN_A_SECOND, what: 'the rule on B' });

    // A saw the device once; from then on its messages go to B only, for three times the silence limit.
    await send(a, 'quiet-1', [{ v: 1, seq: 1 }]);
    for (let i = 2; i < 50; i++) {
      await send(b, 'quiet-1', [{ v: i, seq: i }]);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(await alarmsOf(a, 'quiet-1'), [], 'the device never went quiet');

    // Now it does: one alarm, from whichever node runs the timers; data back on B clears it.
    const raised = await until(async () => (await alarmsOf(a, 'quiet-1'))[0], { timeoutMs: 15_000, what: 'the nodata alarm' });
    await until(() => b.alarms.engine.openAlarms().some((x) => x.id === raised.id), { timeoutMs: WITHIN_A_SECOND, what: 'the alarm open on B' });
    await send(b, 'quiet-1', [{ v: 50, seq: 50 }]);
    // By id: once cleared, the device is silent again and a later sweep may rightly raise a new alarm.
    await until(async () => (await alarmsOf(a, 'quiet-1')).find((x) => x.id === raised.id)?.clearedAt !== null, { timeoutMs: 15_000, what: 'the clear' });
    assert.equal((await alarmsOf(a, 'quiet-1')).filter((x) => x.raisedAt === raised.raisedAt).length, 1, 'raised once, not once per node');
  });

  it('commands: a node adopts the open commands of a node that stopped, and finishes a command another node sent', async (t) => {
    const url = await pg.createDatabase();
    const fast = { store: url, ...keep, rulePacks: false, commandAckTimeoutMs: 300, commandMaxAttempts: 1000 };
    const a = await startTestApp(fast);
    let aStopped = false;
    t.after(() => (aStopped ? undefined : a.stop()));
    const b = await startTestApp(fast);
    t.after(() => b.stop());

    // A device on B's broker answers every command it gets.
    const dev = await mqtt.connectAsync(b.mqttUrl, { clientId: 'cmd-1' });
    t.after(() => dev.endAsync());
    const got: string[] = [];
    dev.on('message', (_topic, payload) => {
      const id = (JSON.parse(payload.toString()) as { id: string }).id;
      got.push(id);
      void dev.publishAsync('devices/cmd-1/commands/ack', JSON.stringify({ id, status: 'acked' }), { qos: 1 });
    });
    await dev.subscribeAsync('devices/cmd-1/commands', { qos: 1 });

    await send(a, 'cmd-1', [{ v: 1 }]);
    // Sent by A, which cannot reach the device: the device's answer to B (given the id) finishes it, and A stops retrying.
    const first = await call<DeviceCommand>(a.httpUrl, 'POST', '/api/v1/devices/cmd-1/commands', { name: 'reboot' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    await until(() => a.deviceServices.commands.get(first.body.id)?.attempts, { what: 'a first attempt on A' });
    await dev.publishAsync('devices/cmd-1/commands/ack', JSON.stringify({ id: first.body.id, status: 'acked' }), { qos: 1 });
    // Not the one-second bound: the wait includes the device's answer over MQTT and A's read of the store (at load average 38, 5 s was missed).
    await until(() => a.deviceServices.commands.get(first.body.id) === undefined, { timeoutMs: 30_000, what: 'A to let go of it' });
    const [stored] = await a.store.devices.listCommands('cmd-1', 10);
    assert.equal(stored.status, 'acked');

    // Sent by A, then A stops: B, holding the run-once lease, adopts it and reaches the device.
    const second = await call<DeviceCommand>(a.httpUrl, 'POST', '/api/v1/devices/cmd-1/commands', { name: 'set_interval', params: { ms: 500 } });
    assert.equal(second.status, 202, JSON.stringify(second.body));
    await a.stop();
    aStopped = true;
    await until(() => b.sharedState.runOnce.leading, { timeoutMs: 15_000, what: 'B to lead' });
    await until(async () => (await b.store.devices.listCommands('cmd-1', 10)).find((c) => c.id === second.body.id)?.status === 'acked', {
      timeoutMs: 15_000,
      what: 'the adopted command acked',
    });
    assert.ok(got.includes(second.body.id));
  });

  it('a run-once lease held by a process killed with SIGKILL moves to a live node', async (t) => {
    const url = await pg.createDatabase();
    const fixture = fileURLToPath(new URL('../fixtures/lease-holder.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, url, 'kill-test'], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => child.exitCode === null && child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('started'), { timeoutMs: 30_000, what: 'the holder process' });
    assert.ok(out.includes('leading'), 'the first process leads');

    let runs = 0;
    const here = new AdvisoryLease({ url, name: 'kill-test', logger: silentLogger(), checkMs: 200 });
    here.add({ name: 'probe', start: () => (runs++, { stop: () => {} }) });
    await here.start();
    t.after(() => here.stop());
    assert.equal(here.leading, false, 'not while the other holds it');
    assert.equal(runs, 0);

    child.kill('SIGKILL');
    await until(() => here.leading, { timeoutMs: 15_000, what: 'the lease to move here' });
    assert.equal(runs, 1);
  });

  it('a user disabled, a session signed out, a device token and an API key revoked on node A can no longer use node B', async (t) => {
    const url = await pg.createDatabase();
    const dataA = tempDir('fieldscope-sec-');
    const dataB = tempDir('fieldscope-sec-');
    t.after(() => (dataA.remove(), dataB.remove()));
    const locked = { anonymousRole: 'none' as const, insecureLocal: false, store: url, ...keep };
    const a = await startTestApp({ ...locked, dataDir: dataA.dir });
    t.after(() => a.stop());
    const b = await startTestApp({ ...locked, dataDir: dataB.dir });
    t.after(() => b.stop());
    assert.ok(a.initialAdminPassword);
    const adminA = (await login(a.httpUrl, 'admin', a.initialAdminPassword)).accessToken;

    const password = `pw-${randomUUID()}`;
    const made = await call<{ id: string }>(a.httpUrl, 'POST', '/api/v1/users', { username: 'op', password, role: 'operator' }, adminA);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    // Created on A, signs in on B.
    const op = await until(() => login(b.httpUrl, 'op', password).catch(() => undefined), { timeoutMs: WITHIN_A_SECOND, what: 'the user on B' });
    assert.equal((await call(b.httpUrl, 'GET', '/api/v1/devices', undefined, op.accessToken)).status, 200);

    const key = await call<{ key: string; apiKey: { id: string } }>(a.httpUrl, 'POST', '/api/v1/api-keys', { name: 'etl', role: 'viewer' }, adminA);
    assert.equal(key.status, 201, JSON.stringify(key.body));
    await until(async () => (await call(b.httpUrl, 'GET', '/api/v1/devices', undefined, key.body.key)).status === 200, {
      timeoutMs: WITHIN_A_SECOND,
      what: 'the key on B',
    });

    // Signed out on A: the sign-in made on B ends on B (whose answer for it was cached).
    const second = await login(b.httpUrl, 'op', password);
    assert.equal((await call(b.httpUrl, 'GET', '/api/v1/devices', undefined, second.accessToken)).status, 200);
    assert.equal((await call(a.httpUrl, 'POST', '/api/v1/auth/logout', { refreshToken: second.refreshToken })).status, 204);
    await until(async () => (await call(b.httpUrl, 'GET', '/api/v1/devices', undefined, second.accessToken)).status === 401, {
      timeoutMs: WITHIN_A_SECOND,
      what: 'the signed-out session refused on B',
    });

    // A device token issued on A works on B; revoked on A, it stops there.
    const issued = await call<{ token: string }>(a.httpUrl, 'POST', '/api/v1/devices/tok-1/credentials', undefined, adminA);
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    const post = () => call(b.httpUrl, 'POST', '/api/v1/devices/tok-1/telemetry', { v: 1 }, issued.body.token);
    await until(async () => (await post()).status === 200, { timeoutMs: WITHIN_A_SECOND, what: 'the device token on B' });
    assert.equal((await call(a.httpUrl, 'DELETE', '/api/v1/devices/tok-1/credentials', undefined, adminA)).status, 204);
    await until(async () => (await post()).status === 401, { timeoutMs: WITHIN_A_SECOND, what: 'the revoked device token refused on B' });

    assert.equal((await call(a.httpUrl, 'PATCH', `/api/v1/users/${made.body.id}`, { disabled: true }, adminA)).status, 200);
    await until(async () => (await call(b.httpUrl, 'GET', '/api/v1/devices', undefined, op.accessToken)).status === 401, {
      timeoutMs: WITHIN_A_SECOND,
      what: 'the disabled user refused on B',
    });
    await assert.rejects(login(b.httpUrl, 'op', password));

    assert.equal((await call(a.httpUrl, 'DELETE', `/api/v1/api-keys/${key.body.apiKey.id}`, undefined, adminA)).status, 200);
    await until(async () => (await call(b.httpUrl, 'GET', '/api/v1/devices', undefined, key.body.key)).status === 401, {
      timeoutMs: WITHIN_A_SECOND,
      what: 'the revoked key refused on B',
    });
  });
});
