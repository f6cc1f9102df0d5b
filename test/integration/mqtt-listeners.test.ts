import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { tempDir, until } from '../helpers/app.js';
import { bearer, deviceToken, login, startLockedApp } from '../helpers/auth.js';
import { granted, refusedCode } from '../helpers/mqtt-refusals.js';
import { startServerProcess } from '../helpers/server-process.js';

interface ListenerDetail {
  mode: string;
  listeners: number;
  perListener: number[];
  pids: number[];
}

/** Fieldscope as its own process with N MQTT listener processes; the URLs it prints. */
const startProcess = (dataDir: string, listeners: number) => startServerProcess(dataDir, ['--mqtt-listeners', String(listeners)]);

async function listenerDetail(http: string): Promise<ListenerDetail> {
  const h = (await (await fetch(`${http}/health`)).json()) as { components: Record<string, Partial<ListenerDetail>> };
  const d = Object.values(h.components).find((c) => c.mode === 'listeners') as ListenerDetail | undefined;
  if (!d) throw new Error(`no listener source in /health: ${JSON.stringify(h.components)}`);
  return d;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('two listener processes: devices on both; kill -9 of the main process mid-stream loses no acknowledged reading', { timeout: 300_000 }, async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const first = await startProcess(d.dir, 2);
  t.after(() => first.child.kill('SIGKILL'));
  // Readings of the last hour: raw retention keeps 48 hours by default, and its first pass runs 60 s
  // after a process starts. Dated 2025 they were deleted by that pass whenever a process outlived
  // it (a loaded machine): acknowledged readings seemed lost, all or part of a device's (the pass
  // deletes in slices).
  const T0 = Date.now() - 3_600_000;
  const devices = Array.from({ length: 8 }, (_, i) => `lst-${i}`);
  const clients: MqttClient[] = [];
  for (const id of devices) {
    const c = await mqtt.connectAsync(first.mqtt, { clientId: id, reconnectPeriod: 0 });
    c.on('error', () => undefined);
    clients.push(c);
  }
  const before = await listenerDetail(first.http);
  assert.equal(before.listeners, 2);
  assert.equal(before.perListener.length, 2);
  assert.ok(
    before.perListener.every((n) => n > 0),
    `devices on both listeners: ${JSON.stringify(before.perListener)}`,
  );

  const acked = new Map<string, Set<number>>(devices.map((id) => [id, new Set()]));
  let sent = 0;
  let killed = false;
  const senders = clients.map(async (c, i) => {
    const id = devices[i];
    const inflight = new Set<Promise<void>>();
    let seq = 0;
    while (!killed && c.connected) {
      const s = ++seq;
      sent++;
      const p = c
        .publishAsync(`devices/${id}/telemetry`, JSON.stringify({ seq: s, ts: T0 + s, v: s % 100 }), { qos: 1 })
        .then(
          () => void acked.get(id)!.add(s),
          () => undefined,
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 20) await Promise.race(inflight);
    }
  });
  const total = () => [...acked.values()].reduce((n, s) => n + s.size, 0);
  while (total() < 1000) await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  killed = true;
  // Without the main process nothing can be acknowledged: the listeners close their devices and go.
  await until(async () => (before.pids.every((p) => !alive(p)) ? true : undefined), { timeoutMs: 15_000, what: 'listeners exited' });
  // Nothing can be acknowledged any more; publishes still owed a PUBACK are simply never answered.
  for (const c of clients) c.end(true);
  void Promise.all(senders.map((s) => s.catch(() => undefined)));
  assert.ok(sent > total(), 'some messages were in flight when it died');

  const second = await startProcess(d.dir, 2);
  t.after(() => second.child.kill('SIGTERM'));
  await until(
    async () => {
      const h = (await (await fetch(`${second.http}/health`)).json()) as { components: { spool: { batches: number } } };
      return h.components.spool.batches === 0 ? h : undefined;
    },
    { timeoutMs: 30_000, what: 'spool drained' },
  );
  const check = async (when: string) => {
    for (const id of devices) {
      const r = (await (await fetch(`${second.http}/api/v1/devices/${id}/telemetry?from=${T0}&to=${T0 + 10_000_000}&limit=1000000`)).json()) as {
        series: { v?: { ts: number[] } };
      };
      const ts = r.series.v?.ts ?? [];
      assert.equal(new Set(ts).size, ts.length, `${id}: nothing stored twice (${when})`);
      const stored = new Set(ts.map((x) => x - T0));
      const lost = [...acked.get(id)!].filter((s) => !stored.has(s));
      assert.deepEqual(lost.slice(0, 10), [], `${id}: ${lost.length} acknowledged readings lost of ${acked.get(id)!.size} (${when})`);
    }
  };
  await check('after the restart');
});

function closedByServer(c: MqttClient, what: string): Promise<void> {
  if (!c.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: the connection is still open`)), 10_000);
    c.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test('sessions and sign-in through listeners behave as the embedded broker: tokens, client ids, ACL, takeover, revocation', { timeout: 300_000 }, async () => {
  const { app, adminPassword, remove } = await startLockedApp({ mqttListeners: 2 });
  const clients: MqttClient[] = [];
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const tokenA = await deviceToken(url, admin, 'la-1');
    const tokenB = await deviceToken(url, admin, 'lb-1');
    // Refused at CONNECT as the embedded broker refuses: bad token 4, none 5, another identity's client id 5.
    assert.equal(await refusedCode(app.mqttUrl, { clientId: 'la-1', username: 'la-1', password: 'wrong' }), 4);
    assert.equal(await refusedCode(app.mqttUrl, { clientId: 'la-1' }), 5);
    assert.equal(await refusedCode(app.mqttUrl, { clientId: 'lb-1', username: 'la-1', password: tokenA }), 5);

    // Several connections of la-1's id: round robin puts consecutive ones on different listeners; each
    // new sign-in takes the id over, wherever the older connection is.
    const first = await mqtt.connectAsync(app.mqttUrl, { clientId: 'la-1', username: 'la-1', password: tokenA, reconnectPeriod: 0 });
    clients.push(first);
    const firstClosed = closedByServer(first, 'the first la-1 connection after a second one took its id');
    const second = await mqtt.connectAsync(app.mqttUrl, { clientId: 'la-1', username: 'la-1', password: tokenA, reconnectPeriod: 0 });
    clients.push(second);
    await firstClosed;
    assert.ok(second.connected);

    // Publishes are stored and acknowledged; a device's own topic only.
    await second.publishAsync('devices/la-1/telemetry', JSON.stringify({ ts: Date.UTC(2025, 0, 1), v: 1 }), { qos: 1 });
    const got = (await (
      await fetch(`${url}/api/v1/devices/la-1/telemetry?from=${Date.UTC(2025, 0, 1)}&to=${Date.UTC(2025, 0, 2)}`, { headers: bearer(admin) })
    ).json()) as {
      series: { v: { value: number[] } };
    };
    assert.deepEqual(got.series.v.value, [1]);
    const closed = closedByServer(second, 'publishing to another device topic');
    second.publish('devices/lb-1/telemetry', JSON.stringify({ ts: Date.UTC(2025, 0, 1), v: 2 }), { qos: 1 });
    await closed;

    // Subscriptions: its own commands yes, another device's no (SUBACK 0x80).
    const b = await mqtt.connectAsync(app.mqttUrl, { clientId: 'lb-1', username: 'lb-1', password: tokenB, reconnectPeriod: 0 });
    clients.push(b);
    assert.equal(await granted(b, 'devices/lb-1/commands'), 1);
    assert.equal(await granted(b, 'devices/la-1/commands'), 128);
    assert.ok(b.connected, 'a refused subscription keeps the connection');

    // Revoking the device's credential closes its connection on whichever listener holds it.
    const revokedClosed = closedByServer(b, 'lb-1 after its token was revoked');
    const res = await fetch(`${url}/api/v1/devices/lb-1/credentials`, { method: 'DELETE', headers: bearer(admin) });
    assert.ok(res.status === 200 || res.status === 204, `revoke: ${res.status}`);
    await revokedClosed;
  } finally {
    for (const c of clients) c.end(true);
    await remove();
  }
});
