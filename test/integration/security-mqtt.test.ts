import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { bearer, deviceToken, login, startLockedApp } from '../helpers/auth.js';
import { connectOnce, granted, refusedCode } from '../helpers/mqtt-refusals.js';

// Made per run: no fixed credential lives in the repository, not even a test's.
const wrongToken = () => `fsd_${randomBytes(12).toString('hex')}`;
const tofuSecret = `fsd_${randomBytes(16).toString('hex')}`;

const payload = (v: number) => JSON.stringify({ ts: Date.now(), voltage: v });

const counter = async (url: string, admin: string, pattern: RegExp) => {
  const text = await (await fetch(`${url}/metrics`, { headers: bearer(admin) })).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
};

test('MQTT: wrong or missing tokens cannot connect; a device publishes and subscribes only under its own topics', async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  const clients: MqttClient[] = [];
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const tokenA = await deviceToken(url, admin, 'acl-a');
    await deviceToken(url, admin, 'acl-b');

    assert.equal(await refusedCode(app.mqttUrl, {}), 5, 'anonymous is refused (not authorized)');
    assert.equal(await refusedCode(app.mqttUrl, { username: 'acl-a', password: wrongToken() }), 4, 'a wrong token is refused (bad user name or password)');
    assert.equal(await refusedCode(app.mqttUrl, { username: 'acl-b', password: tokenA }), 4, "another device's token is refused");
    assert.equal(
      await refusedCode(app.mqttUrl, { username: 'never-seen', password: wrongToken() }),
      4,
      'an unknown device is refused (unknownDevices: reject)',
    );

    const a = await connectOnce(app.mqttUrl, { username: 'acl-a', password: tokenA, clientId: 'acl-a' });
    clients.push(a);
    await a.publishAsync('devices/acl-a/telemetry', payload(3.3), { qos: 1 });
    // QoS1 PUBACK comes after the commit.
    const latest = (await (await fetch(`${url}/api/v1/devices/acl-a/latest`, { headers: bearer(admin) })).json()) as {
      latest: { voltage?: { value: number } };
    };
    assert.equal(latest.latest.voltage?.value, 3.3);

    // Subscribing to its own commands works; to another device's, or to everything, is refused (SUBACK 128), connection kept.
    assert.equal(await granted(a, 'devices/acl-a/commands'), 1);
    assert.equal(await granted(a, 'devices/acl-b/commands'), 128);
    assert.equal(await granted(a, 'devices/#'), 128);

    // Publishing as another device is refused: nothing is stored for acl-b, the refusal is counted, the client dropped.
    const before = await counter(url, admin, /fieldscope_auth_denied_total\{transport="mqtt",reason="acl_publish"\} (\d+)/);
    const closed = new Promise<void>((r) => a.once('close', () => r()));
    a.publish('devices/acl-b/telemetry', payload(666), { qos: 1 });
    await closed;
    assert.equal(await counter(url, admin, /fieldscope_auth_denied_total\{transport="mqtt",reason="acl_publish"\} (\d+)/), before + 1);
    assert.equal((await fetch(`${url}/api/v1/devices/acl-b`, { headers: bearer(admin) })).status, 404, 'acl-b has no readings');
    assert.ok((await counter(url, admin, /fieldscope_auth_denied_total\{transport="mqtt",reason="acl_subscribe"\} (\d+)/)) >= 2);

    // A revoked token stops working.
    assert.equal((await fetch(`${url}/api/v1/devices/acl-a/credentials`, { method: 'DELETE', headers: bearer(admin) })).status, 204);
    assert.equal(await refusedCode(app.mqttUrl, { username: 'acl-a', password: tokenA }), 4);

    // An operator's API key is a tool's credential: it may publish for any device.
    const key = (
      (await (
        await fetch(`${url}/api/v1/api-keys`, {
          method: 'POST',
          headers: { ...bearer(admin), 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'gateway', role: 'operator' }),
        })
      ).json()) as { key: string }
    ).key;
    // A tool with no client id of its own gets one from the broker (client ids are bound to identities).
    const gw = await connectOnce(app.mqttUrl, { username: 'gateway', password: key, clientId: '' });
    clients.push(gw);
    await gw.publishAsync('devices/gw-1/telemetry', payload(1.5), { qos: 1 });
    const viewerKey = (
      (await (
        await fetch(`${url}/api/v1/api-keys`, {
          method: 'POST',
          headers: { ...bearer(admin), 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'dash', role: 'viewer' }),
        })
      ).json()) as { key: string }
    ).key;
    assert.equal(await refusedCode(app.mqttUrl, { username: 'dash', password: viewerKey }), 5, 'a viewer key may not publish');
  } finally {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await remove();
  }
});

test('MQTT: unknownDevices provision registers the first password (trust on first use), and only that one works later', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ unknownDevices: 'provision' });
  try {
    const first = await connectOnce(app.mqttUrl, { username: 'tofu-1', password: tofuSecret, clientId: 'tofu-1' });
    await first.publishAsync('devices/tofu-1/telemetry', payload(2), { qos: 1 });
    await first.endAsync();
    assert.equal(await refusedCode(app.mqttUrl, { username: 'tofu-1', password: wrongToken() }), 4);
    const again = await connectOnce(app.mqttUrl, { username: 'tofu-1', password: tofuSecret, clientId: 'tofu-1' });
    await again.endAsync();
    const admin = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
    const creds = (await (await fetch(`${app.httpUrl}/api/v1/device-credentials`, { headers: bearer(admin) })).json()) as {
      credentials: { device: string; createdBy: string }[];
    };
    assert.deepEqual(
      creds.credentials.map((c) => [c.device, c.createdBy]),
      [['tofu-1', 'provisioned']],
    );
    assert.equal(await refusedCode(app.mqttUrl, {}), 5, 'still no anonymous devices');
  } finally {
    await remove();
  }
});

test('per-device message rate: excess is refused and counted, on MQTT and HTTP alike', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ deviceRatePerSec: 0.001, deviceRateBurst: 3 });
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const token = await deviceToken(url, admin, 'chatty');
    const c = await connectOnce(app.mqttUrl, { username: 'chatty', password: token, clientId: 'chatty' });
    for (let i = 0; i < 3; i++) await c.publishAsync('devices/chatty/telemetry', payload(i), { qos: 1 });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('devices/chatty/telemetry', payload(9), { qos: 1 });
    await closed;
    await c.endAsync(true);
    const res = await fetch(`${url}/api/v1/devices/chatty/telemetry`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: payload(10),
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    assert.equal(((await res.json()) as { rule: string }).rule, 'rate_limit');
    const text = await (await fetch(`${url}/metrics`, { headers: bearer(admin) })).text();
    assert.match(text, /fieldscope_rate_limited_total\{scope="device",transport="mqtt"\} 1/);
    assert.match(text, /fieldscope_rate_limited_total\{scope="device",transport="http"\} 1/);
  } finally {
    await remove();
  }
});
