import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { freePort, requireServices } from '../helpers/services.js';
import { createServer } from 'node:net';
import type { LiveServerMessage } from '../../src/model/live.js';

const run = promisify(execFile);
const data = tempDir();
after(() => data.remove());

test('MQTT in, REST and live WebSocket out, and everything survives a restart', async (t) => {
  // The factory readings below are dated 2025-11-17: keep raw data long enough that retention leaves them.
  const keep = { retentionRawHours: 24 * 365 * 50 };
  let app = await startTestApp({ dataDir: data.dir, ...keep });
  t.after(() => app.stop());

  // A live client subscribed to everything before the first message.
  const ws = new WebSocket(app.httpUrl.replace('http', 'ws') + '/api/v1/live');
  const live: LiveServerMessage[] = [];
  ws.on('message', (d) => live.push(JSON.parse(d.toString()) as LiveServerMessage));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', devices: '*' }));
  await until(() => live.some((m) => m.type === 'hello'), { what: 'hello' });

  const client = await mqtt.connectAsync(app.mqttUrl, { clientId: 'ina219-test', clean: true });
  const base = Date.now() - 10_000;
  for (let seq = 1; seq <= 50; seq++) {
    await client.publishAsync(
      'devices/ina219-test/telemetry',
      JSON.stringify({ v: 5 + seq / 100, a: 0.25, w: 1.25, ts: base + seq * 100, seq, status: 'ok' }),
      { qos: 1 },
    );
  }
  await client.endAsync();

  // QoS1 PUBACK comes after the commit, so the readings are queryable at once.
  const res = await fetch(`${app.httpUrl}/api/v1/devices/ina219-test/telemetry?metric=v,w&from=${base}&to=${base + 60_000}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { series: Record<string, { ts: number[]; value: number[] }> };
  assert.equal(body.series.v.ts.length, 50);
  assert.equal(body.series.w.ts.length, 50);
  assert.equal(body.series.v.value[49], 5.5);
  assert.deepEqual(body.series.v.ts.slice(0, 2), [base + 100, base + 200]);
  assert.equal(body.series.a, undefined);

  const devices = (await (await fetch(`${app.httpUrl}/api/v1/devices`)).json()) as {
    devices: { id: string; online: boolean; latest: Record<string, { value: number }> }[];
  };
  const dev = devices.devices.find((d) => d.id === 'ina219-test');
  assert.ok(dev, 'device registered on first message');
  assert.equal(dev.online, true);
  assert.equal(dev.latest.v.value, 5.5);

  const latest = (await (await fetch(`${app.httpUrl}/api/v1/devices/ina219-test/latest`)).json()) as { latest: Record<string, { value: number }> };
  assert.equal(latest.latest.a.value, 0.25);

  await until(() => live.filter((m) => m.type === 'readings').length === 50, { what: '50 live messages' });
  const created = live.find((m) => m.type === 'device');
  assert.ok(created && created.type === 'device' && created.created && created.device === 'ina219-test');
  const lastLive = live.filter((m) => m.type === 'readings').at(-1);
  assert.ok(lastLive && lastLive.type === 'readings');
  assert.equal(lastLive.seq, 50);
  assert.deepEqual(lastLive.values, { v: 5.5, a: 0.25, w: 1.25 });
  ws.close();

  // HTTP ingest of the factory seed's shape, one and many.
  const post = await fetch(`${app.httpUrl}/api/v1/devices/sensor_001/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ device_id: 'sensor_001', temperature: 25.3, humidity: 60.5, timestamp: '2025-11-17T10:30:00Z' }),
  });
  assert.equal(post.status, 200);
  assert.deepEqual(await post.json(), { accepted: 1, readings: 2, rejected: [] });
  const many = await fetch(`${app.httpUrl}/api/v1/devices/sensor_001/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ temperature: 26, ts: '2025-11-17T10:31:00Z' }, { temperature: 'hot' }, { temperature: 27, ts: '2025-11-17T10:32:00Z' }]),
  });
  assert.equal(many.status, 200);
  const manyBody = (await many.json()) as { accepted: number; rejected: { index: number; field: string; rule: string }[] };
  assert.equal(manyBody.accepted, 2);
  assert.deepEqual(
    manyBody.rejected.map((r) => [r.index, r.field, r.rule]),
    [[1, 'temperature', 'number']],
  );

  await app.stop();
  app = await startTestApp({ dataDir: data.dir, ...keep });
  const again = (await (await fetch(`${app.httpUrl}/api/v1/devices/ina219-test/telemetry?from=${base}&to=${base + 60_000}`)).json()) as {
    series: Record<string, { ts: number[] }>;
  };
  assert.deepEqual(Object.keys(again.series).sort(), ['a', 'v', 'w']);
  for (const m of ['a', 'v', 'w']) assert.equal(again.series[m].ts.length, 50, `${m} after restart`);
  const factory = (await (
    await fetch(`${app.httpUrl}/api/v1/devices/sensor_001/telemetry?metric=temperature&from=2025-11-17T00:00:00Z&to=2025-11-18T00:00:00Z`)
  ).json()) as { series: Record<string, { value: number[] }> };
  assert.deepEqual(factory.series.temperature.value, [25.3, 26, 27]);
  const restarted = (await (await fetch(`${app.httpUrl}/api/v1/devices/ina219-test`)).json()) as { latest: Record<string, { value: number }> };
  assert.equal(restarted.latest.v.value, 5.5);
});

test('bad input is refused with field and rule, counted, dead-lettered, and the server keeps going', async (t) => {
  const dir = tempDir();
  const app = await startTestApp({ dataDir: dir.dir });
  t.after(async () => {
    await app.stop();
    dir.remove();
  });
  const post = (body: string, type = 'application/json') =>
    fetch(`${app.httpUrl}/api/v1/devices/bad-1/telemetry`, { method: 'POST', headers: { 'content-type': type }, body });
  const cases: [string, number, string, string][] = [
    ['not json', 400, 'payload', 'json'],
    ['"a string"', 400, 'payload', 'object'],
    ['{"v":"high"}', 400, 'v', 'number'],
    ['{"v":1,"ts":"when?"}', 400, 'ts', 'timestamp'],
    [JSON.stringify({ v: 1, pad: 'x'.repeat(300 * 1024) }), 413, 'payload', 'max_size'],
  ];
  for (const [body, status, field, rule] of cases) {
    const res = await post(body);
    assert.equal(res.status, status, body.slice(0, 40));
    const json = (await res.json()) as { error: string; field: string; rule: string };
    assert.equal(json.field, field);
    assert.equal(json.rule, rule);
    assert.ok(json.error.length > 5);
  }
  // MQTT: a bad payload is acknowledged into the dead-letter store and the good one beside it is kept.
  const client = await mqtt.connectAsync(app.mqttUrl);
  await client.publishAsync('devices/bad-1/telemetry', '{"v": oops}', { qos: 1 });
  await client.publishAsync('devices/bad-1/telemetry', '{"v": 3.3}', { qos: 1 });
  await client.endAsync();
  const latest = (await (await fetch(`${app.httpUrl}/api/v1/devices/bad-1/latest`)).json()) as { latest: Record<string, { value: number }> };
  assert.equal(latest.latest.v.value, 3.3);

  const rejected = (await (await fetch(`${app.httpUrl}/api/v1/rejected?device=bad-1`)).json()) as {
    rejected: { source: string; field: string; rule: string; payload: string }[];
  };
  assert.equal(rejected.rejected.length, cases.length + 1);
  assert.equal(rejected.rejected[0].source, 'mqtt');
  assert.equal(rejected.rejected[0].payload, '{"v": oops}');
  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  assert.match(metrics, /fieldscope_messages_rejected_total\{source="http",field="v",rule="number"\} 1/);
  assert.match(metrics, /fieldscope_messages_rejected_total\{source="mqtt",field="payload",rule="json"\} 1/);
  assert.match(metrics, /fieldscope_readings_stored_total 1/);
  assert.match(metrics, /fieldscope_store_write_seconds_count \d+/);

  const health = await fetch(`${app.httpUrl}/health`);
  assert.equal(health.status, 200);
  const h = (await health.json()) as { status: string; components: Record<string, { status: string }> };
  assert.equal(h.status, 'ok');
  assert.equal(h.components.store.status, 'up');
  assert.equal(h.components.mqtt.status, 'up');

  const docs = await fetch(`${app.httpUrl}/docs/json`);
  assert.equal(docs.status, 200);
  const openapi = (await docs.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(openapi.openapi, /^3\./);
  for (const p of ['/api/v1/devices', '/api/v1/devices/{id}/telemetry', '/api/v1/devices/{id}/latest', '/health', '/metrics']) assert.ok(openapi.paths[p], p);
  assert.equal((await fetch(`${app.httpUrl}/docs`)).status < 400, true);
});

const mosquitto = requireServices('mosquitto_pub interop', 'mosquitto_pub');
test('Debian mosquitto_pub makes a new device appear with its value', { skip: mosquitto.skip }, async (t) => {
  const dir = tempDir();
  const app = await startTestApp({ dataDir: dir.dir });
  t.after(async () => {
    await app.stop();
    dir.remove();
  });
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(app.broker!.port), '-q', '1', '-t', 'devices/pump-7/telemetry', '-m', '{"temperature":41.5}']);
  const dev = await until(
    async () => {
      const r = await fetch(`${app.httpUrl}/api/v1/devices/pump-7`);
      return r.status === 200 ? ((await r.json()) as { latest: Record<string, { value: number }> }) : undefined;
    },
    { what: 'pump-7' },
  );
  assert.equal(dev.latest.temperature.value, 41.5);
});

test('a start that fails (the MQTT port is taken) leaves nothing listening: the HTTP port it had opened is free again', async () => {
  const d = tempDir();
  const blocker = createServer();
  try {
    const mqttPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(mqttPort, '127.0.0.1', resolve));
    const httpPort = await freePort();
    await assert.rejects(startTestApp({ dataDir: d.dir, httpPort, mqttPort }), /EADDRINUSE/);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(httpPort, '127.0.0.1', resolve));
    await new Promise((r) => probe.close(r));
  } finally {
    blocker.close();
    d.remove();
  }
});
