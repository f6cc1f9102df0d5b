import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { packageRoot } from '../../src/paths.js';
import WebSocket from 'ws';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { startSimulator } from '../../src/sim/simulator.js';
import type { LiveServerMessage } from '../../src/model/live.js';

type Cmd = { id: string; status: string; attempts: number; transport: string | null; reason: string | null };

async function commandsOf(url: string, device: string): Promise<Cmd[]> {
  return ((await (await fetch(`${url}/api/v1/devices/${device}/commands`)).json()) as { commands: Cmd[] }).commands;
}

const json = (method: string, body: unknown) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('MQTT commands: the simulator obeys set_interval (its rate really changes) and acks; unknown names are refused', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  // The ina219 profile, extended with a command of its own.
  const profile = JSON.parse(readFileSync(join(packageRoot, 'profiles', 'ina219.json'), 'utf8')) as Record<string, unknown>;
  mkdirSync(join(d.dir, 'profiles'));
  writeFileSync(
    join(d.dir, 'profiles', 'ina219.json'),
    JSON.stringify({ ...profile, commands: { calibrate: { description: 'zero the shunt', params: { offset: 'amps' } } } }),
  );
  const app = await startTestApp({ dataDir: d.dir, profilesDir: join(d.dir, 'profiles') });
  t.after(() => app.stop());
  const sim = await startSimulator({ brokerUrl: app.mqttUrl, devices: 1, kinds: ['ina219'], rateHz: 2 });
  t.after(() => sim.stop());
  const dev = sim.devices[0];
  await until(() => app.devices.get(dev.id), { what: 'device seen' });

  const res = await fetch(`${app.httpUrl}/api/v1/devices/${dev.id}/commands`, json('POST', { name: 'set_interval', params: { ms: 20 } }));
  const cmd = (await res.json()) as Cmd;
  assert.equal(res.status, 202, JSON.stringify(cmd));
  assert.equal(cmd.transport, 'mqtt');
  await until(async () => (await commandsOf(app.httpUrl, dev.id)).find((c) => c.id === cmd.id)?.status === 'acked', { what: 'acked' });
  assert.equal(dev.intervalMs, 20);
  const from = dev.seq;
  // 50 messages at 20 ms arrive within the default 10 s wait; at the old 500 ms they could not.
  await until(() => dev.seq >= from + 50, { what: 'messages at the new rate' });

  const thr = await fetch(`${app.httpUrl}/api/v1/devices/${dev.id}/commands`, json('POST', { name: 'set_threshold', params: { metric: 'v', high: 5.5 } }));
  const thrCmd = (await thr.json()) as Cmd;
  await until(async () => (await commandsOf(app.httpUrl, dev.id)).find((c) => c.id === thrCmd.id)?.status === 'acked', { what: 'threshold acked' });
  assert.equal(dev.thresholds.v.high, 5.5);

  const unknown = await fetch(`${app.httpUrl}/api/v1/devices/${dev.id}/commands`, json('POST', { name: 'self_destruct' }));
  assert.equal(unknown.status, 400);
  assert.equal(((await unknown.json()) as { rule: string }).rule, 'known_command');

  // A name the device's profile declares is accepted and sent; the simulator does not know it and says so.
  const cal = await fetch(`${app.httpUrl}/api/v1/devices/${dev.id}/commands`, json('POST', { name: 'calibrate', params: { offset: 0.01 } }));
  assert.equal(cal.status, 202);
  const calCmd = (await cal.json()) as Cmd;
  const failed = await until(
    async () => {
      const c = (await commandsOf(app.httpUrl, dev.id)).find((x) => x.id === calCmd.id);
      return c?.status === 'failed' ? c : undefined;
    },
    { what: 'calibrate answered' },
  );
  assert.match(failed.reason ?? '', /unknown command/);
});

test('MQTT commands: a device that never answers gets the command again, then it times out', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const app = await startTestApp({ dataDir: d.dir, commandAckTimeoutMs: 200, commandMaxAttempts: 3 });
  t.after(() => app.stop());
  const mute = await mqtt.connectAsync(app.mqttUrl, { clientId: 'mute-1' });
  t.after(() => mute.endAsync());
  const received: string[] = [];
  mute.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()).id as string));
  await mute.subscribeAsync('devices/mute-1/commands', { qos: 1 });
  await mute.publishAsync('devices/mute-1/telemetry', JSON.stringify({ v: 1, seq: 1 }), { qos: 1 });
  await until(() => app.devices.get('mute-1'), { what: 'device seen' });

  const cmd = (await (await fetch(`${app.httpUrl}/api/v1/devices/mute-1/commands`, json('POST', { name: 'reboot' }))).json()) as Cmd;
  const final = await until(
    async () => {
      const c = (await commandsOf(app.httpUrl, 'mute-1')).find((x) => x.id === cmd.id);
      return c?.status === 'timed_out' ? c : undefined;
    },
    { what: 'timed out' },
  );
  assert.equal(final.attempts, 3);
  assert.deepEqual(received, [cmd.id, cmd.id, cmd.id], 'sent three times with the same id');

  // An answer after a retry still counts: the next command is acked on its second send.
  let answered = 0;
  mute.removeAllListeners('message');
  mute.on('message', (_t, payload) => {
    const id = JSON.parse(payload.toString()).id as string;
    if (++answered === 2) void mute.publishAsync('devices/mute-1/commands/ack', JSON.stringify({ id, status: 'acked' }), { qos: 1 });
  });
  const second = (await (await fetch(`${app.httpUrl}/api/v1/devices/mute-1/commands`, json('POST', { name: 'reboot' }))).json()) as Cmd;
  const acked = await until(
    async () => {
      const c = (await commandsOf(app.httpUrl, 'mute-1')).find((x) => x.id === second.id);
      return c?.status === 'acked' ? c : undefined;
    },
    { what: 'acked on retry' },
  );
  assert.equal(acked.attempts, 2);
});

test('online state: the MQTT will marks a device offline at once, on the live WebSocket too; online comes back on reconnect', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  // A long last-seen timeout, so only the will can explain going offline quickly.
  const app = await startTestApp({ dataDir: d.dir, offlineAfterMs: 3_600_000 });
  t.after(() => app.stop());
  const ws = new WebSocket(app.httpUrl.replace('http', 'ws') + '/api/v1/live');
  t.after(() => ws.close());
  const live: LiveServerMessage[] = [];
  ws.on('message', (m) => live.push(JSON.parse(m.toString()) as LiveServerMessage));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', devices: '*' }));

  const sim = await startSimulator({ brokerUrl: app.mqttUrl, devices: 1, kinds: ['battery'], rateHz: 5 });
  t.after(() => sim.stop());
  const id = sim.devices[0].id;
  await until(() => app.devices.get(id)?.online, { what: 'online' });
  // The simulator's "offline" fault drops the connection without DISCONNECT: the broker publishes the will.
  sim.inject(id, { type: 'offline', durationMs: 1500 });
  await until(() => app.devices.get(id)?.online === false, { what: 'offline by will' });
  await until(() => live.some((m) => m.type === 'device' && m.device === id && !m.online), { what: 'offline on the live socket' });
  await until(() => app.devices.get(id)?.online === true, { what: 'online again' });
});

test('device registry CRUD and equipment with many sensors', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  let app = await startTestApp({ dataDir: d.dir });
  t.after(() => app.stop());
  for (const id of ['vib-1', 'vib-2']) {
    const r = await fetch(`${app.httpUrl}/api/v1/devices/${id}/telemetry`, json('POST', { rms: 1.2, seq: 1 }));
    assert.equal(r.status, 200);
  }
  const eq = await fetch(`${app.httpUrl}/api/v1/equipment`, json('POST', { id: 'pump-7', name: 'Cooling pump 7', location: 'hall B', tags: ['cooling'] }));
  assert.equal(eq.status, 201);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/equipment`, json('POST', { id: 'pump-7', name: 'again' }))).status, 409);

  const bad = await fetch(`${app.httpUrl}/api/v1/devices/vib-1`, json('PATCH', { equipment: 'pump-99' }));
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { field: string }).field, 'equipment');
  const badType = await fetch(`${app.httpUrl}/api/v1/devices/vib-1`, json('PATCH', { tags: { a: 1 } }));
  assert.equal(badType.status, 400);

  for (const id of ['vib-1', 'vib-2']) {
    const r = await fetch(
      `${app.httpUrl}/api/v1/devices/${id}`,
      json('PATCH', { name: `Bearing ${id}`, equipment: 'pump-7', tags: ['bearing'], profile: 'vibration' }),
    );
    assert.equal(r.status, 200);
  }
  const notes = await fetch(`${app.httpUrl}/api/v1/devices/vib-1`, json('PATCH', { notes: 'replaced 2025-03' }));
  const v1 = (await notes.json()) as Record<string, unknown>;
  assert.equal(v1.name, 'Bearing vib-1');
  assert.equal(v1.notes, 'replaced 2025-03');
  assert.equal(v1.profile, 'vibration');
  const pump = (await (await fetch(`${app.httpUrl}/api/v1/equipment/pump-7`)).json()) as { devices: string[]; name: string };
  assert.deepEqual(pump.devices, ['vib-1', 'vib-2']);

  // Metadata outlives a restart.
  await app.stop();
  app = await startTestApp({ dataDir: d.dir });
  const again = (await (await fetch(`${app.httpUrl}/api/v1/devices/vib-2`)).json()) as Record<string, unknown>;
  assert.equal(again.equipment, 'pump-7');
  assert.deepEqual(again.tags, ['bearing']);

  // PUT replaces: what is left out is cleared.
  const put = (await (await fetch(`${app.httpUrl}/api/v1/devices/vib-2`, json('PUT', { name: 'spare', profile: 'vibration' }))).json()) as Record<
    string,
    unknown
  >;
  assert.equal(put.equipment, null);
  assert.deepEqual(put.tags, []);

  assert.equal((await fetch(`${app.httpUrl}/api/v1/equipment/pump-7`, { method: 'DELETE' })).status, 204);
  const v1after = (await (await fetch(`${app.httpUrl}/api/v1/devices/vib-1`)).json()) as Record<string, unknown>;
  assert.equal(v1after.equipment, null);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/devices/vib-1`, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/devices/vib-1`)).status, 404);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/devices/vib-1`, { method: 'DELETE' })).status, 404);
});
