import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { bearer, deviceToken, login, startLockedApp } from '../helpers/auth.js';
import { until } from '../helpers/app.js';
import { varint } from '../helpers/mqtt-bytes.js';

// What an unauthenticated socket may cost the broker: a few bytes and one descriptor, for a short
// while, within limits per address and overall.

const portOf = (mqttUrl: string) => Number(new URL(mqttUrl).port);

async function openSocket(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<void>; isClosed(): boolean }> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
  let closed = false;
  const done = new Promise<void>((r) => socket.once('close', () => ((closed = true), r())));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed: done, isClosed: () => closed };
}

async function refused(app: { metrics: { registry: { getSingleMetricAsString(n: string): Promise<string> } } }, reason: string): Promise<number> {
  const text = await app.metrics.registry.getSingleMetricAsString('fieldscope_mqtt_connections_refused_total');
  const m = new RegExp(`reason="${reason}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

test('a CONNECT declaring 250 MB is refused on its first bytes: the socket is closed long before, and counted', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ mqttConnectMaxBytes: 16 * 1024 });
  try {
    const port = portOf(app.mqttUrl);
    const rssBefore = process.memoryUsage().rss;
    const attackers = await Promise.all(Array.from({ length: 4 }, () => openSocket(port)));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const limit = 32 * 1024 * 1024;
    const sent = await Promise.all(
      attackers.map(async (a) => {
        let bytes = 0;
        const header = Buffer.concat([Buffer.from([0x10]), varint(250 * 1024 * 1024)]);
        a.socket.write(header);
        // Keep streaming until the server hangs up, or until far more than any limit would allow.
        while (!a.isClosed() && bytes < limit) {
          const ok = a.socket.write(chunk);
          bytes += chunk.length;
          if (!ok) await Promise.race([new Promise((r) => a.socket.once('drain', r)), a.closed]);
        }
        return bytes;
      }),
    );
    await Promise.all(attackers.map((a) => a.closed));
    for (const bytes of sent) assert.ok(bytes < limit, `the server closed the socket before 32 MiB were sent (sent ${bytes})`);
    assert.equal(await refused(app, 'connect_too_large'), 4);
    // Nothing was buffered for them: the test process (client and server in one) did not grow by what was sent.
    assert.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024, 'no attacker bytes held');

    // A first packet that is not CONNECT is refused as well.
    const p = await openSocket(port);
    p.socket.write(Buffer.concat([Buffer.from([0x30]), varint(10), Buffer.alloc(10)]));
    await p.closed;
    assert.equal(await refused(app, 'not_connect'), 1);

    // Devices with proper packets are not affected, and a signed-in device may send more than the pre-CONNECT limit.
    const admin = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
    const token = await deviceToken(app.httpUrl, admin, 'big-1');
    const c = await mqtt.connectAsync(app.mqttUrl, { username: 'big-1', password: token, clientId: 'big-1', reconnectPeriod: 0 });
    await c.publishAsync('devices/big-1/telemetry', JSON.stringify({ ts: Date.now(), v: 1 }) + ' '.repeat(40 * 1024), { qos: 1 });
    await c.endAsync();
    const latest = (await (await fetch(`${app.httpUrl}/api/v1/devices/big-1/latest`, { headers: bearer(admin) })).json()) as {
      latest: Record<string, { value: number }>;
    };
    assert.equal(latest.latest.v?.value, 1);
  } finally {
    await remove();
  }
});

test('connections per address and in total are capped, idle sockets without CONNECT are closed, and HTTP keeps answering', async () => {
  const { app, adminPassword, remove } = await startLockedApp({
    mqttMaxConnectionsPerIp: 20,
    mqttMaxConnections: 25,
    mqttMaxPending: 0,
    mqttConnectTimeoutMs: 60_000,
  });
  const sockets: Awaited<ReturnType<typeof openSocket>>[] = [];
  try {
    const port = portOf(app.mqttUrl);
    for (let i = 0; i < 30; i++) sockets.push(await openSocket(port));
    await until(() => sockets.filter((s) => s.isClosed()).length >= 10, { what: '10 sockets over the per-address limit closed' });
    assert.equal(await refused(app, 'per_ip'), 10);
    assert.equal(sockets.filter((s) => s.isClosed()).length, 10, '20 stay open');

    // Another address still gets in, up to the overall cap.
    const other: typeof sockets = [];
    for (let i = 0; i < 10; i++) other.push(await openSocket(port, '127.0.0.2'));
    sockets.push(...other);
    await until(() => other.filter((s) => s.isClosed()).length >= 5, { what: 'sockets over the overall cap closed' });
    assert.equal(await refused(app, 'max_connections'), 5);
    assert.equal(other.filter((s) => s.isClosed()).length, 5);

    // HTTP is another listener with descriptors of its own: it answers.
    assert.equal((await fetch(`${app.httpUrl}/health`)).status, 200);
    const admin = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
    const text = await (await fetch(`${app.httpUrl}/metrics`, { headers: bearer(admin) })).text();
    assert.match(text, /fieldscope_mqtt_connections_refused_total\{reason="per_ip"\} 10/);

    // Closing sockets frees their places.
    for (const s of sockets) s.socket.destroy();
    await until(
      async () => {
        const s = await openSocket(port);
        const ok = !s.isClosed();
        s.socket.destroy();
        return ok;
      },
      { what: 'a place to free up' },
    );
  } finally {
    for (const s of sockets) s.socket.destroy();
    await remove();
  }
});

test('sockets that have not signed in are capped overall and closed after the CONNECT timeout; signed-in devices do not count', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ mqttMaxPending: 20, mqttConnectTimeoutMs: 1500 });
  const sockets: Awaited<ReturnType<typeof openSocket>>[] = [];
  try {
    const admin = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
    const token = await deviceToken(app.httpUrl, admin, 'steady-1');
    const device = await mqtt.connectAsync(app.mqttUrl, { username: 'steady-1', password: token, clientId: 'steady-1', reconnectPeriod: 0 });
    const port = portOf(app.mqttUrl);
    for (let i = 0; i < 30; i++) sockets.push(await openSocket(port));
    // 20 wait for their CONNECT; 10 more are refused at once.
    await until(async () => (await refused(app, 'pending')) >= 10, { what: 'pending sockets over the cap refused' });
    assert.equal(await refused(app, 'pending'), 10);
    // Those that never send CONNECT are closed when the timeout runs out, and counted.
    await Promise.all(sockets.map((s) => s.closed));
    assert.equal(await refused(app, 'connect_timeout'), 20);
    // The signed-in device was never in the count, and is still connected.
    assert.equal(device.connected, true);
    await device.publishAsync('devices/steady-1/telemetry', JSON.stringify({ ts: Date.now(), v: 2 }), { qos: 1 });
    await device.endAsync();
  } finally {
    for (const s of sockets) s.socket.destroy();
    await remove();
  }
});
