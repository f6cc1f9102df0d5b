// System faults are alarms: each condition raises an alarm about Fieldscope itself (same lifecycle
// and notifications as device alarms), and the alarm clears itself when the condition ends.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { unlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Store } from '../../src/stores/store.js';
import type { Alarm } from '../../src/model/alarm.js';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { requireServices } from '../helpers/services.js';
import { startPtyPair } from '../helpers/socat.js';
import { requireMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { SystemAlarms } from '../../src/alarms/system-alarms.js';
import { SystemMonitor, freeRatio } from '../../src/alarms/system-monitor.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { silentLogger } from '../../src/logger.js';

/** The real store, refusing every call while `down` is set: the store process gone, as the app sees it. */
function outage(state: { down: boolean }) {
  const SUB_STORES = new Set<PropertyKey>(['telemetry', 'alarms', 'devices', 'auth', 'catalog', 'audit']);
  // Each area of the composed store refuses too, not only the engine's own open/ping.
  const refusing = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop) {
        const v = Reflect.get(t, prop, t) as unknown;
        if (SUB_STORES.has(prop) && v && typeof v === 'object') return refusing(v);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (state.down && prop !== 'close') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  return (store: Store): Store => refusing(store);
}

/** A webhook receiver on loopback; `fail` makes it answer 500. */
async function receiver(): Promise<{ url: string; bodies: { text: string; alarm: Alarm | null; event: string }[]; state: { fail: boolean }; server: Server }> {
  const bodies: { text: string; alarm: Alarm | null; event: string }[] = [];
  const state = { fail: false };
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      if (state.fail) {
        res.writeHead(500).end('down for maintenance');
        return;
      }
      const body = JSON.parse(data) as { notifications: { text: string; alarm: Alarm | null; event: string }[] };
      bodies.push(...body.notifications);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, state, server };
}

const fast = { groupWindowMs: 0, minIntervalMs: 0, retries: 0, backoffMs: 10 };

async function systemAlarms(url: string, extra = ''): Promise<{ alarms: Alarm[]; storeUnavailable?: boolean }> {
  return (await (await fetch(`${url}/api/v1/alarms?origin=system${extra}`)).json()) as { alarms: Alarm[]; storeUnavailable?: boolean };
}

test('store down: a critical system alarm is raised and notified while the store refuses, then clears itself and is written once it is back', async (t) => {
  const hook = await receiver();
  t.after(() => hook.server.close());
  const state = { down: false };
  const d = tempDir();
  t.after(() => d.remove());
  const app = await startTestApp(
    {
      dataDir: d.dir,
      systemCheckMs: 50,
      webhookUrl: hook.url,
      notifications: { webhook: fast },
    },
    { wrapStore: outage(state) },
  );
  t.after(() => app.stop());
  // A device alarm beside it, to tell the two apart by the origin filter.
  await fetch(`${app.httpUrl}/api/v1/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'hot', severity: 'minor', scope: 'all', kind: 'threshold', metric: 't', op: '>', value: 50 }),
  });
  await fetch(`${app.httpUrl}/api/v1/devices/d1/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ t: 80 }),
  });
  await until(async () => ((await (await fetch(`${app.httpUrl}/api/v1/alarms?origin=device`)).json()) as { alarms: Alarm[] }).alarms.length === 1, {
    what: 'device alarm',
  });
  assert.equal((await systemAlarms(app.httpUrl)).alarms.length, 0, 'no system alarm while all is well');

  state.down = true;
  const during = await until(
    async () => {
      const r = await systemAlarms(app.httpUrl);
      return r.alarms.find((a) => a.metric === 'store' && a.status === 'active_unacked') && r;
    },
    { what: 'store alarm listed while the store is down' },
  );
  assert.equal(during.storeUnavailable, true);
  const raised = during.alarms.find((a) => a.metric === 'store')!;
  assert.equal(raised.kind, 'system');
  assert.equal(raised.device, 'system');
  assert.equal(raised.severity, 'critical');
  assert.ok(raised.id < 0, 'a provisional id until the store takes it');
  await until(() => hook.bodies.some((b) => b.event === 'raised' && b.alarm?.ruleId === 'system:store'), { what: 'raise notified' });
  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  assert.match(metrics, /fieldscope_system_alarm_active\{component="store",severity="critical"\} 1/);
  assert.match(metrics, /fieldscope_alarms_open\{severity="critical",origin="system"\} 1/);

  state.down = false;
  const cleared = await until(
    async () => (await systemAlarms(app.httpUrl)).alarms.find((a) => a.metric === 'store' && a.status === 'cleared_unacked' && a.id > 0),
    { what: 'store alarm cleared and stored' },
  );
  assert.ok(cleared.clearedAt! >= cleared.raisedAt);
  assert.equal(cleared.clearedBy, null, 'cleared by itself');
  await until(() => hook.bodies.some((b) => b.event === 'auto_cleared' && b.alarm?.ruleId === 'system:store'), {
    what: 'clear notified (it follows its raise across the id change)',
  });
  const detail = (await (await fetch(`${app.httpUrl}/api/v1/alarms/${cleared.id}`)).json()) as { events: { type: string }[] };
  assert.deepEqual(
    detail.events.map((e) => e.type),
    ['raised', 'auto_cleared'],
  );
  const devices = (await (await fetch(`${app.httpUrl}/api/v1/alarms?origin=device`)).json()) as { alarms: Alarm[] };
  assert.ok(devices.alarms.every((a) => a.kind !== 'system'));
  // Acknowledged like any alarm.
  const ack = await fetch(`${app.httpUrl}/api/v1/alarms/${cleared.id}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ by: 'olga' }),
  });
  assert.equal(ack.status, 200);
});

test('spool above its fraction of the limit, and a failing notification channel: each raises and clears itself', async (t) => {
  const hook = await receiver();
  t.after(() => hook.server.close());
  const state = { down: false };
  const d = tempDir();
  t.after(() => d.remove());
  const app = await startTestApp(
    {
      dataDir: d.dir,
      systemCheckMs: 50,
      spoolMaxBytes: 20_000,
      spoolAlarmRatio: 0.1,
      webhookUrl: hook.url,
      notifications: { webhook: fast },
    },
    { wrapStore: outage(state) },
  );
  t.after(() => app.stop());

  state.down = true;
  const body = Array.from({ length: 40 }, (_, i) => JSON.stringify({ seq: i + 1, ts: 1_750_000_000_000 + i * 1000, temperature: 20 })).join('\n');
  assert.equal(
    (await fetch(`${app.httpUrl}/api/v1/devices/tank/telemetry`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body })).status,
    200,
  );
  assert.ok(app.batcher.spoolDepth.bytes > 2000, `spooled ${app.batcher.spoolDepth.bytes} bytes`);
  await until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.some((a) => a.metric === 'spool' && a.severity === 'major'), {
    what: 'spool alarm',
  });
  state.down = false;
  await until(() => app.batcher.spoolDepth.batches === 0, { what: 'spool replayed' });
  await until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.length === 0, { what: 'store and spool alarms cleared' });
  const all = (await systemAlarms(app.httpUrl)).alarms;
  assert.ok(all.some((a) => a.metric === 'spool' && a.status === 'cleared_unacked'));

  // The webhook refuses: after its retries, the channel is failing, which is itself an alarm.
  hook.state.fail = true;
  const test1 = (await (
    await fetch(`${app.httpUrl}/api/v1/notifications/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'webhook' }),
    })
  ).json()) as { status: string };
  assert.equal(test1.status, 'failed');
  await until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.some((a) => a.metric === 'channel:webhook'), { what: 'channel alarm' });
  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  assert.match(metrics, /fieldscope_notifications_total\{channel="webhook",result="failed"\} [1-9]/);
  hook.state.fail = false;
  await fetch(`${app.httpUrl}/api/v1/notifications/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'webhook' }),
  });
  await until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.length === 0, {
    what: 'channel alarm cleared after a delivery went through',
  });
});

const socat = requireServices('system alarm: serial port gone', 'socat');

/** A pty pair, and Fieldscope reading meter-9 on one end with its system checks every 50 ms, once the port is open. */
async function serialApp(t: TestContext) {
  const d = tempDir();
  t.after(() => d.remove());
  const pty = await startPtyPair(d.dir);
  t.after(() => pty.kill());
  const app = await startTestApp({ dataDir: d.dir, serial: `${pty.a}=meter-9`, systemCheckMs: 50 });
  t.after(() => app.stop());
  await until(() => app.serialLinks[0].isOpen, { what: 'port open' });
  const alarmRaised = async () => {
    const a = await until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.find((x) => x.metric === `serial:${pty.a}`), {
      what: 'serial alarm',
    });
    assert.match(a.message, /meter-9/);
  };
  const alarmCleared = () =>
    until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.length === 0, { timeoutMs: 20_000, what: 'serial alarm cleared' });
  return { pty, app, alarmRaised, alarmCleared };
}

test('a serial port that goes away raises a system alarm; it clears when the port is back', { skip: socat.skip }, async (t) => {
  const { pty, alarmRaised, alarmCleared } = await serialApp(t);
  await pty.kill();
  await alarmRaised();
  await pty.start();
  await alarmCleared();
});

test(
  'a serial port whose device path goes away while its descriptor stays readable raises the alarm too, and is opened again at the path',
  { skip: socat.skip },
  async (t) => {
    const { pty, app, alarmRaised, alarmCleared } = await serialApp(t);
    // The pty is still there and its descriptor readable: only the path is gone, as with an adapter
    // whose driver has not failed the reads yet. Nothing but the path says the device went away.
    unlinkSync(pty.a);
    await alarmRaised();
    // Another pty pair at the same path: the link opens it, and the alarm clears.
    await pty.kill();
    await pty.start();
    await alarmCleared();
    assert.ok(app.serialLinks[0].isOpen);
  },
);

const mosquitto = requireMosquitto('system alarm: broker disconnected');
test('external broker mode: a broker that goes away raises a system alarm; it clears on reconnect', { skip: mosquitto.skip }, async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.destroy());
  const app = await startTestApp({ broker: broker.url, systemCheckMs: 50 });
  t.after(() => app.stop());
  await until(() => app.mqtt.describe().status === 'up', { what: 'connected' });
  await broker.stop();
  await until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.find((x) => x.metric === 'broker' && x.severity === 'critical'), {
    what: 'broker alarm',
  });
  await broker.start();
  await until(async () => (await systemAlarms(app.httpUrl, '&status=open')).alarms.length === 0, { timeoutMs: 30_000, what: 'broker alarm cleared' });
});

test('disk nearly full: below the free fraction the alarm is raised, above it cleared (real statfs of the data directory)', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  t.after(() => store.close());
  const alarms = new SystemAlarms(store.alarms, silentLogger());
  await alarms.start();
  const free = await freeRatio(d.dir);
  assert.ok(free !== null && free > 0 && free < 1, `statfs works here (${free})`);
  const opts = {
    alarms,
    store,
    spool: () => ({ bytes: 0, maxBytes: 1 }),
    spoolRatio: 0.8,
    broker: null,
    serial: [],
    channels: () => [],
    diskPath: d.dir,
    diskFreeRatio: Math.min(1, free + 0.01),
    intervalMs: 60_000,
  };
  const monitor = new SystemMonitor(opts);
  await monitor.check();
  const open = alarms.openAlarms();
  assert.equal(open.length, 1);
  assert.equal(open[0].metric, 'disk');
  assert.ok(open[0].id > 0, 'written to the store at once');
  opts.diskFreeRatio = Math.max(0, free - 0.01);
  await monitor.check();
  assert.equal(alarms.openAlarms().length, 0);
  const stored = await store.alarms.listAlarms({ origin: 'system', limit: 10 });
  assert.equal(stored[0].status, 'cleared_unacked');
  assert.equal((await store.alarms.listAlarms({ origin: 'device', limit: 10 })).length, 0);
});

test('system alarm thresholds are fractions: a start with one outside [0, 1] is refused, naming it', async () => {
  const { ConfigError } = await import('../../src/config.js');
  await assert.rejects(startTestApp({ spoolAlarmRatio: 2 }), (err: Error) => err instanceof ConfigError && /spoolAlarmRatio/.test(err.message));
  await assert.rejects(startTestApp({ diskAlarmFreeRatio: 1.5 }), (err: Error) => err instanceof ConfigError && /diskAlarmFreeRatio/.test(err.message));
});
