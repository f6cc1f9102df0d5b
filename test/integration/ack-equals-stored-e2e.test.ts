import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startTestApp } from '../helpers/app.js';

// The attack's finding, end to end: readings without a time of their own, arriving in one burst,
// are each acknowledged and each stored; completeness agrees with the store.

interface Series {
  series: Record<string, { ts: number[]; value: number[] }>;
}

test('a burst of QoS1 messages without ts, HTTP arrays and a whole-second device clock: every acknowledged reading is stored', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const from = Date.now() - 3_600_000;
  const stored = async (device: string, metric: string): Promise<number[]> => {
    const res = await fetch(`${app.httpUrl}/api/v1/devices/${device}/telemetry?metric=${metric}&from=${from}&to=${Date.now() + 600_000}&limit=10000`);
    assert.equal(res.status, 200);
    return ((await res.json()) as Series).series[metric]?.value ?? [];
  };
  const completeness = async (device: string) =>
    (await (await fetch(`${app.httpUrl}/api/v1/devices/${device}/completeness?from=${from}&to=${Date.now() + 600_000}`)).json()) as {
      received: number;
      missing: number;
      duplicates: number;
    };

  // 100 QoS1 messages back to back, seq but no ts: every PUBACK means a stored reading.
  const client = await mqtt.connectAsync(app.mqttUrl, { clientId: 'burst-1', clean: true });
  await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      client.publishAsync('devices/burst-1/telemetry', JSON.stringify({ seq: i + 1, temperature: 20 + i / 100 }), { qos: 1 }),
    ),
  );
  // ...then ten without seq either, and one message sent again (a true duplicate by seq).
  await Promise.all(Array.from({ length: 10 }, (_, i) => client.publishAsync('devices/burst-2/telemetry', JSON.stringify({ temperature: i }), { qos: 1 })));
  await client.publishAsync('devices/burst-1/telemetry', JSON.stringify({ seq: 50, temperature: 20.49 }), { qos: 1 });
  await client.endAsync();
  const burst = await stored('burst-1', 'temperature');
  assert.equal(burst.length, 100);
  assert.deepEqual(
    [...burst].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => 20 + i / 100),
  );
  assert.equal((await stored('burst-2', 'temperature')).length, 10);
  const c1 = await completeness('burst-1');
  assert.equal(c1.received, 100);
  assert.equal(c1.missing, 0);
  assert.equal(c1.duplicates, 1);

  // An HTTP array with seq and no ts, and one with neither.
  const post = (device: string, body: unknown) =>
    fetch(`${app.httpUrl}/api/v1/devices/${device}/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const arr = await post(
    'arr-1',
    [1, 2, 3, 4, 5].map((i) => ({ x: i, seq: i })),
  );
  assert.deepEqual(await arr.json(), { accepted: 5, readings: 5, rejected: [] });
  assert.deepEqual(await stored('arr-1', 'x'), [1, 2, 3, 4, 5]);
  assert.equal((await completeness('arr-1')).received, 5);
  await post(
    'arr-2',
    [1, 2, 3, 4, 5].map((i) => ({ x: i })),
  );
  assert.deepEqual(await stored('arr-2', 'x'), [1, 2, 3, 4, 5]);

  // NDJSON lines without ts.
  const nd = await fetch(`${app.httpUrl}/api/v1/devices/nd-1/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: [1, 2, 3].map((i) => JSON.stringify({ y: i })).join('\n') + '\n',
  });
  assert.equal(nd.status, 200);
  assert.deepEqual(await stored('nd-1', 'y'), [1, 2, 3]);

  // Seed 001's meter at a 500 ms interval: ts in whole seconds, so two messages share each ts.
  const sec = Math.floor(Date.now() / 1000) - 60;
  const frames = [1, 2, 3, 4, 5, 6].map((seq) => ({ v: 5, a: 0.25, w: seq, ts: sec + Math.floor(seq / 2), seq, status: 'ok' }));
  await post('ina-500ms', frames);
  assert.deepEqual(await stored('ina-500ms', 'w'), [1, 2, 3, 4, 5, 6]);
  // Sent again, nothing new: those are the same readings.
  await post('ina-500ms', frames);
  assert.equal((await stored('ina-500ms', 'w')).length, 6);
  const c2 = await completeness('ina-500ms');
  assert.equal(c2.received, 6);
  assert.equal(c2.duplicates, 6);
});
