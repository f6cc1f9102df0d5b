import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { bearer, deviceToken, login, startLockedApp } from '../helpers/auth.js';
import { until } from '../helpers/app.js';
import { connectOnce as connect, refusedCode } from '../helpers/mqtt-refusals.js';
import { startSimulator } from '../../src/sim/simulator.js';
import { serviceClientIdPrefix } from '../../src/auth/client-id.js';

const json = { 'content-type': 'application/json' };
const payload = (v: number) => JSON.stringify({ ts: Date.now(), v });

/** Resolves when the broker closes the client's connection; rejects if it is still open after a while. */
function closedByServer(c: MqttClient, what: string): Promise<void> {
  if (!c.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: the connection is still open`)), 5000);
    c.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function metric(url: string, admin: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: bearer(admin) })).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

async function apiKey(url: string, admin: string, name: string, role: string): Promise<{ key: string; id: string }> {
  const res = await fetch(`${url}/api/v1/api-keys`, { method: 'POST', headers: { ...bearer(admin), ...json }, body: JSON.stringify({ name, role }) });
  assert.equal(res.status, 201);
  const b = (await res.json()) as { key: string; apiKey: { id: string } };
  return { key: b.key, id: b.apiKey.id };
}

test("client ids are bound to the identity: another device's id (clean:false) is refused, and the session it aimed at lives on", async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  const clients: MqttClient[] = [];
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const victimToken = await deviceToken(url, admin, 'victim-1');
    const thiefToken = await deviceToken(url, admin, 'thief-1');

    const victim = await connect(app.mqttUrl, {
      username: 'victim-1',
      password: victimToken,
      clientId: 'victim-1',
      clean: false,
      will: { topic: 'devices/victim-1/state', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    clients.push(victim);
    await victim.publishAsync('devices/victim-1/state', 'online', { qos: 1, retain: true });
    await victim.subscribeAsync('devices/victim-1/commands', { qos: 1 });
    await until(() => app.devices.get('victim-1')?.online, { what: 'victim online' });

    let victimClosed = false;
    victim.on('close', () => (victimClosed = true));
    const before = await metric(url, admin, /fieldscope_auth_denied_total\{transport="mqtt",reason="client_id"\} (\d+)/);
    assert.equal(
      await refusedCode(app.mqttUrl, { username: 'thief-1', password: thiefToken, clientId: 'victim-1', clean: false }),
      5,
      "another device's client id: CONNACK 5 (not authorized)",
    );
    assert.equal(await metric(url, admin, /fieldscope_auth_denied_total\{transport="mqtt",reason="client_id"\} (\d+)/), before + 1, 'the refusal is counted');

    // The victim was not disconnected, its will did not fire, and it still sends and is acknowledged.
    await victim.publishAsync('devices/victim-1/telemetry', payload(1), { qos: 1 });
    assert.equal(victimClosed, false);
    assert.equal(app.devices.get('victim-1')?.online, true, 'not marked offline');

    // An operator's API key or user may not take a device's id either.
    const key = await apiKey(url, admin, 'gateway', 'operator');
    assert.equal(await refusedCode(app.mqttUrl, { username: 'gateway', password: key.key, clientId: 'victim-1', clean: false }), 5);
    assert.equal(await refusedCode(app.mqttUrl, { username: 'admin', password: adminPassword, clientId: 'victim-1', clean: false }), 5);
    assert.equal(victimClosed, false);

    // Each identity's own ids work: the device id (or id/suffix), @key:<id>[/...], @user[/...], or none (the broker picks one).
    for (const opts of [
      { username: 'thief-1', password: thiefToken, clientId: 'thief-1' },
      { username: 'thief-1', password: thiefToken, clientId: 'thief-1/diag' },
      { username: 'thief-1', password: thiefToken, clientId: '' },
      { username: 'gateway', password: key.key, clientId: `@key:${key.id}` },
      { username: 'gateway', password: key.key, clientId: `@key:${key.id}/victim-1` },
      { username: 'admin', password: adminPassword, clientId: '@admin/tool' },
    ]) {
      assert.equal(await refusedCode(app.mqttUrl, opts), undefined, `${opts.username} as "${opts.clientId}"`);
    }
    // Prefixes that only look alike are refused: thief-1x is not thief-1, and "@key:<id>" is not a user's.
    assert.equal(await refusedCode(app.mqttUrl, { username: 'thief-1', password: thiefToken, clientId: 'thief-1x' }), 5);
    assert.equal(await refusedCode(app.mqttUrl, { username: 'admin', password: adminPassword, clientId: `@key:${key.id}` }), 5);
    assert.equal(
      await refusedCode(app.mqttUrl, { username: 'thief-1', password: thiefToken, clientId: 'mqttjs_1234abcd' }),
      5,
      'a random id of its own choosing is not its own',
    );
    assert.equal(victimClosed, false);

    // `fieldscope simulate --username gw --password-file <key>` names its client ids after the key, and gets in.
    const sim = await startSimulator({
      brokerUrl: app.mqttUrl,
      devices: 2,
      rateHz: 5,
      prefix: 'simgw-',
      username: 'gw',
      password: key.key,
      clientIdPrefix: serviceClientIdPrefix('gw', key.key),
    });
    try {
      for (const d of sim.devices) await until(() => app.devices.get(d.id), { what: `${d.id} seen` });
    } finally {
      await sim.stop();
    }
  } finally {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await remove();
  }
});

test('revoking a credential closes the MQTT connections opened with it, at once: device token deleted or reissued, API key revoked, user disabled, password or role changed, user deleted', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ loginSlowAfter: 100, loginLockAfter: 100 });
  const clients: MqttClient[] = [];
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const open = async (opts: mqtt.IClientOptions) => {
      const c = await connect(app.mqttUrl, opts);
      clients.push(c);
      return c;
    };
    const patchUser = async (id: string, body: object) => {
      const res = await fetch(`${url}/api/v1/users/${id}`, { method: 'PATCH', headers: { ...bearer(admin), ...json }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, await res.text());
    };
    const newUser = async (username: string) => {
      const password = `pw-${username}-0123456789`;
      const res = await fetch(`${url}/api/v1/users`, {
        method: 'POST',
        headers: { ...bearer(admin), ...json },
        body: JSON.stringify({ username, password, role: 'operator' }),
      });
      assert.equal(res.status, 201);
      return { id: ((await res.json()) as { id: string }).id, password };
    };

    // A device whose token is deleted; a bystander device that must stay connected throughout.
    const bystander = await open({ username: 'stay-1', password: await deviceToken(url, admin, 'stay-1'), clientId: 'stay-1' });
    const d1 = await open({ username: 'rev-1', password: await deviceToken(url, admin, 'rev-1'), clientId: 'rev-1' });
    await d1.publishAsync('devices/rev-1/telemetry', payload(1), { qos: 1 });
    const gone1 = closedByServer(d1, 'device token deleted');
    assert.equal((await fetch(`${url}/api/v1/devices/rev-1/credentials`, { method: 'DELETE', headers: bearer(admin) })).status, 204);
    await gone1;

    // Reissuing a token retires the old one, and the connection made with it.
    const d2 = await open({ username: 'rev-2', password: await deviceToken(url, admin, 'rev-2'), clientId: 'rev-2' });
    const gone2 = closedByServer(d2, 'device token reissued');
    const fresh = await deviceToken(url, admin, 'rev-2');
    await gone2;
    const d2again = await open({ username: 'rev-2', password: fresh, clientId: 'rev-2' });
    await d2again.publishAsync('devices/rev-2/telemetry', payload(2), { qos: 1 });

    // An API key: its gateway connection (which may publish for any device) ends with it.
    const key = await apiKey(url, admin, 'gw', 'operator');
    const gw = await open({ username: 'gw', password: key.key, clientId: '' });
    await gw.publishAsync('devices/anything-1/telemetry', payload(3), { qos: 1 });
    const gone3 = closedByServer(gw, 'API key revoked');
    assert.equal((await fetch(`${url}/api/v1/api-keys/${key.id}`, { method: 'DELETE', headers: bearer(admin) })).status, 200);
    await gone3;

    // A user's password-signed connection ends when the user is disabled, gets a new password or role, or is deleted.
    const cases: [string, (id: string) => Promise<void>][] = [
      ['disabled', (id) => patchUser(id, { disabled: true })],
      ['password reset', (id) => patchUser(id, { password: `pw-${randomUUID()}` })],
      ['role changed', (id) => patchUser(id, { role: 'admin' })],
      ['deleted', async (id) => assert.equal((await fetch(`${url}/api/v1/users/${id}`, { method: 'DELETE', headers: bearer(admin) })).status, 204)],
    ];
    for (const [i, [what, revoke]] of cases.entries()) {
      const u = await newUser(`mq-user-${i}`);
      const c = await open({ username: `mq-user-${i}`, password: u.password, clientId: '' });
      await c.publishAsync(`devices/user-dev-${i}/telemetry`, payload(i), { qos: 1 });
      const gone = closedByServer(c, `user ${what}`);
      await revoke(u.id);
      await gone;
    }

    assert.equal(bystander.connected, true, 'connections of other credentials are untouched');
    await bystander.publishAsync('devices/stay-1/telemetry', payload(9), { qos: 1 });
    const text = await (await fetch(`${url}/metrics`, { headers: bearer(admin) })).text();
    assert.match(text, /fieldscope_mqtt_sessions_revoked_total\{credential="device"\} 2/);
    assert.match(text, /fieldscope_mqtt_sessions_revoked_total\{credential="api_key"\} 1/);
    assert.match(text, /fieldscope_mqtt_sessions_revoked_total\{credential="user"\} 4/);
  } finally {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    await remove();
  }
});
