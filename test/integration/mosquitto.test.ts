import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { requireMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { startSimulator } from '../../src/sim/simulator.js';

const svc = requireMosquitto('external broker (Mosquitto)');

test('external broker: 10,000 QoS1 messages through a Mosquitto restart are stored exactly once', { skip: svc.skip, timeout: 120_000 }, async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const mosq = await startMosquitto();
  t.after(() => mosq.destroy());
  const url = mosq.url;
  const app = await startTestApp({ dataDir: join(d.dir, 'data'), broker: url, brokerClientId: 'fieldscope-test' });
  t.after(() => app.stop());
  await until(() => app.mqtt.describe().status === 'up', { what: 'subscribed' });
  // The subscription must exist before publishing, or the broker has no one to queue for.
  await new Promise((r) => setTimeout(r, 300));

  const N = 10_000;
  const T0 = Date.UTC(2025, 0, 1);
  const pub = await mqtt.connectAsync(url, { clientId: 'publisher', clean: false, reconnectPeriod: 200 });
  let restarted = false;
  const inflight: Promise<unknown>[] = [];
  for (let seq = 1; seq <= N; seq++) {
    inflight.push(pub.publishAsync('devices/rig-1/telemetry', JSON.stringify({ seq, ts: T0 + seq, normal: seq / 1000 }), { qos: 1 }));
    if (inflight.length >= 200) await Promise.all(inflight.splice(0));
    if (seq === N / 2 && !restarted) {
      restarted = true;
      // Right after a burst, so the broker still holds messages queued and in flight for our session.
      await mosq.stop();
      await mosq.start();
    }
  }
  await Promise.all(inflight);
  await pub.endAsync();

  const stored = await until(async () => {
    const r = (await (await fetch(`${app.httpUrl}/api/v1/devices/rig-1/telemetry?metric=normal&from=${T0}&to=${T0 + N + 1}&limit=1000000`)).json()) as {
      series: { normal: { ts: number[] } };
    };
    const ts = r.series.normal?.ts ?? [];
    return ts.length >= N ? ts : undefined;
  });
  assert.equal(stored.length, N);
  assert.equal(new Set(stored).size, N, 'each once');
  const c = (await (await fetch(`${app.httpUrl}/api/v1/devices/rig-1/completeness?from=${T0}&to=${T0 + N + 1}`)).json()) as {
    received: number;
    missing: number;
  };
  assert.equal(c.received, N);
  assert.equal(c.missing, 0);
});

test(
  "external broker: a command goes through Mosquitto to the simulator and is acked; a device's will marks it offline",
  { skip: svc.skip, timeout: 60_000 },
  async (t) => {
    const d = tempDir();
    t.after(() => d.remove());
    const mosq = await startMosquitto();
    t.after(() => mosq.destroy());
    const url = mosq.url;
    // A long last-seen timeout, so only the will can explain going offline quickly.
    const app = await startTestApp({ dataDir: join(d.dir, 'data'), broker: url, brokerClientId: 'fieldscope-cmd-test', offlineAfterMs: 3_600_000 });
    t.after(() => app.stop());
    await until(() => app.mqtt.describe().status === 'up', { what: 'connected' });
    const sim = await startSimulator({ brokerUrl: url, devices: 1, kinds: ['ina219'], rateHz: 5 });
    t.after(() => sim.stop());
    const dev = sim.devices[0];
    await until(() => app.devices.get(dev.id)?.online, { what: 'device seen through the external broker' });

    const res = await fetch(`${app.httpUrl}/api/v1/devices/${dev.id}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'set_interval', params: { ms: 50 } }),
    });
    const cmd = (await res.json()) as { id: string; transport: string | null };
    assert.equal(res.status, 202, JSON.stringify(cmd));
    assert.equal(cmd.transport, 'mqtt');
    const done = await until(
      async () => {
        const list = ((await (await fetch(`${app.httpUrl}/api/v1/devices/${dev.id}/commands`)).json()) as { commands: { id: string; status: string }[] })
          .commands;
        const c = list.find((x) => x.id === cmd.id);
        return c && c.status !== 'pending' && c.status !== 'delivered' ? c : undefined;
      },
      { what: 'command answered' },
    );
    assert.equal(done.status, 'acked');
    assert.equal(dev.intervalMs, 50, 'the device really obeyed');

    // Dropped without DISCONNECT: Mosquitto publishes the will, which reaches us over the external connection.
    sim.inject(dev.id, { type: 'offline', durationMs: 1500 });
    await until(() => app.devices.get(dev.id)?.online === false, { what: 'offline by will' });
    await until(() => app.devices.get(dev.id)?.online === true, { what: 'online again' });
  },
);
