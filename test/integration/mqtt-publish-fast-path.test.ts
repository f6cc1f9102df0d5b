// The broker's fast path for publishes nobody subscribes to (src/sources/mqtt-broker/mqtt-publish-fast-path.ts):
// telemetry is stored either way; a dashboard (any client) subscribed to a device topic still gets it,
// retained messages are still kept, an offline persistent session still gets what it missed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { startTestApp, until } from '../helpers/app.js';
import { matches } from '../../src/sources/mqtt-broker/mqtt-publish-fast-path.js';

const connect = (url: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> =>
  mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
const reading = (seq: number) => JSON.stringify({ ts: Date.now(), seq, temperature: 20 + seq });

function received(c: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  c.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

test('MQTT filter matching as the spec says', () => {
  const m = (f: string, t: string) => matches(f.split('/'), t.split('/'));
  assert.ok(m('devices/+/telemetry', 'devices/a/telemetry'));
  assert.ok(m('devices/#', 'devices/a/telemetry'));
  assert.ok(m('devices/#', 'devices'));
  assert.ok(m('#', 'devices/a/telemetry'));
  assert.ok(m('+/+/+', 'devices/a/telemetry'));
  assert.ok(!m('devices/+', 'devices/a/telemetry'));
  assert.ok(!m('devices/+/telemetry/+', 'devices/a/telemetry'));
  assert.ok(!m('devices/b/telemetry', 'devices/a/telemetry'));
  assert.ok(!m('devices/a/telemetry', 'devices/a'));
});

test('fast path: unsubscribed telemetry skips forwarding; a subscriber, a retained message and an offline persistent session are served as before', async () => {
  const app = await startTestApp();
  const clients: MqttClient[] = [];
  try {
    const fp = app.broker!.fastPath!;
    const device = await connect(app.mqttUrl, { clientId: 'fp-dev-1' });
    clients.push(device);
    // PUBACK is written before Aedes' publish runs: the count is awaited, not read at once.
    const skippedIs = (n: number, what: string) => until(() => fp.skipped === n, { what: `${what} (skipped ${fp.skipped}, expected ${n})` });
    await device.publishAsync('devices/fp-dev-1/telemetry', reading(1), { qos: 1 });
    await skippedIs(1, 'nobody subscribed: Aedes forwarding skipped');

    // A dashboard subscribed to the device topic receives it, and nothing skips while it listens.
    const dash = await connect(app.mqttUrl, { clientId: 'fp-dash' });
    clients.push(dash);
    const got = received(dash);
    await dash.subscribeAsync('devices/+/telemetry', { qos: 1 });
    await device.publishAsync('devices/fp-dev-1/telemetry', reading(2), { qos: 1 });
    await until(() => got.length === 1, { what: 'the dashboard to receive the telemetry' });
    assert.equal(got[0].topic, 'devices/fp-dev-1/telemetry');
    assert.equal(JSON.parse(got[0].payload).seq, 2);
    assert.equal(fp.skipped, 1);

    // Unsubscribed: skipped again.
    await dash.unsubscribeAsync('devices/+/telemetry');
    await device.publishAsync('devices/fp-dev-1/telemetry', reading(3), { qos: 1 });
    await skippedIs(2, 'skipped again once unsubscribed');
    // A subscription to another device's topic does not stop this one's fast path, and gets its own.
    await dash.subscribeAsync('devices/fp-dev-2/#', { qos: 0 });
    await device.publishAsync('devices/fp-dev-1/telemetry', reading(4), { qos: 1 });
    await skippedIs(3, "another device's subscription does not stop this one's fast path");
    const dev2 = await connect(app.mqttUrl, { clientId: 'fp-dev-2' });
    clients.push(dev2);
    await dev2.publishAsync('devices/fp-dev-2/telemetry', reading(1), { qos: 0 });
    await until(() => got.some((g) => g.topic === 'devices/fp-dev-2/telemetry'), { what: 'the second device on devices/fp-dev-2/#' });
    assert.equal(fp.skipped, 3);

    // Retained: kept although nobody listens, and delivered to a later subscriber.
    await device.publishAsync('devices/fp-dev-1/telemetry', reading(5), { qos: 1, retain: true });
    const late = await connect(app.mqttUrl, { clientId: 'fp-late' });
    clients.push(late);
    const lateGot = received(late);
    await late.subscribeAsync('devices/fp-dev-1/telemetry', { qos: 1 });
    await until(() => lateGot.length === 1, { what: 'the retained message' });
    assert.equal(lateGot[0].retain, true);
    assert.equal(JSON.parse(lateGot[0].payload).seq, 5);
    assert.equal(fp.skipped, 3, 'a retained publish is never skipped');
    await late.endAsync();

    // A persistent session (clean: false) that went offline gets what was published meanwhile.
    const sess = await connect(app.mqttUrl, { clientId: 'fp-persistent', clean: false });
    await sess.subscribeAsync('devices/fp-dev-1/telemetry', { qos: 1 });
    await sess.endAsync();
    await device.publishAsync('devices/fp-dev-1/telemetry', reading(6), { qos: 1 });
    const back = await connect(app.mqttUrl, { clientId: 'fp-persistent', clean: false });
    clients.push(back);
    const backGot = received(back);
    await until(() => backGot.some((g) => JSON.parse(g.payload).seq === 6), { what: 'the queued message for the persistent session' });
    assert.equal(fp.skipped, 3, 'an offline persistent subscription is a receiver');
    // Cleaned: the session's filters are gone, the fast path is back.
    await back.endAsync();
    const cleaned = await connect(app.mqttUrl, { clientId: 'fp-persistent', clean: true });
    await cleaned.endAsync();
    await until(
      async () => {
        await device.publishAsync('devices/fp-dev-1/telemetry', reading(7), { qos: 1 });
        return fp.skipped > 3;
      },
      { what: 'the fast path after the persistent session was cleaned' },
    );

    // Everything published was stored, fast path or not.
    await until(
      async () => {
        const res = await fetch(`${app.httpUrl}/api/v1/devices/fp-dev-1/completeness?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
        if (!res.ok) return false;
        const c = (await res.json()) as { received: number; missing: number };
        return c.received >= 7 && c.missing === 0;
      },
      { what: 'every reading stored' },
    );
  } finally {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await app.stop();
  }
});
