import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startTestApp, until } from '../helpers/app.js';
import { requireMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { ConfigError } from '../../src/config.js';

// Fleets keep their topics: a mapping says where the device, the readings and the attributes are;
// a topic nothing maps is dead-lettered and counted, never acknowledged into nothing.

interface Rejected {
  rejected: { field: string; rule: string; payload: string; error: string }[];
}

const mappings = [
  { topic: 'factory/sensor/data' },
  { topic: 'serve-ml/{equipment}/features', device: 'equipment', metrics: 'features', name: 'seed 003 features' },
  { topic: 'plant/{site}/{line}/{device}', profile: 'factory' },
];

test('embedded broker: seed 002 and 003 topics are stored through mappings; unmapped ones are dead-lettered', async (t) => {
  const app = await startTestApp({ topicMappings: mappings });
  t.after(() => app.stop());
  const c = await mqtt.connectAsync(app.mqttUrl, { clientId: 'gateway-1' });
  t.after(() => c.endAsync());
  await c.publishAsync('factory/sensor/data', JSON.stringify({ device_id: 'sensor_004', temperature: 1, humidity: 40 }), { qos: 1 });
  await c.publishAsync('serve-ml/press-01/features', JSON.stringify({ power: 3, model_version: 'v1', features: { rms: 0.4, kurtosis: 3.1 } }), { qos: 1 });
  await c.publishAsync('plant/s1/line-2/pump-9', JSON.stringify({ temperature: 55 }), { qos: 1 });
  await c.publishAsync('random/topic', 'hello', { qos: 1 });
  await c.publishAsync('devices/x/features', JSON.stringify({ rms: 1 }), { qos: 1 });

  // PUBACK follows the commit: all of it is there now.
  const dev = async (id: string) =>
    (await (await fetch(`${app.httpUrl}/api/v1/devices/${id}`)).json()) as {
      latest: Record<string, { value: number }>;
      profile: string | null;
      attributes?: Record<string, string>;
    };
  const s4 = await dev('sensor_004');
  assert.equal(s4.latest.temperature.value, 1);
  assert.equal(s4.latest.humidity.value, 40);
  const press = await dev('press-01');
  assert.deepEqual(Object.fromEntries(Object.entries(press.latest).map(([k, v]) => [k, v.value])), { power: 3, rms: 0.4, kurtosis: 3.1 });
  assert.deepEqual(press.attributes, { model_version: 'v1' }, 'text beside the features is kept as an attribute');
  const pump = await dev('pump-9');
  assert.equal(pump.latest.temperature.value, 55);
  assert.equal(pump.profile, 'factory');
  assert.deepEqual(pump.attributes, { site: 's1', line: 'line-2' });

  const rejected = (await (await fetch(`${app.httpUrl}/api/v1/rejected?limit=10`)).json()) as Rejected;
  const unmapped = rejected.rejected.filter((r) => r.rule === 'unmapped_topic');
  assert.equal(unmapped.length, 2);
  assert.ok(unmapped.some((r) => r.payload === 'hello' && r.field === 'topic' && r.error.includes('random/topic')));
  assert.ok(unmapped.some((r) => r.error.includes('devices/x/features')));
  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  assert.match(metrics, /fieldscope_messages_rejected_total\{source="mqtt",field="topic",rule="unmapped_topic"\} 2/);

  const health = (await (await fetch(`${app.httpUrl}/health`)).json()) as { components: { mqtt: { topicMappings: { topic: string }[] } } };
  assert.deepEqual(
    health.components.mqtt.topicMappings.map((m) => m.topic),
    mappings.map((m) => m.topic),
  );
});

test("without a mapping, seed 002's own topic is dead-lettered, not acknowledged into nothing", async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const c = await mqtt.connectAsync(app.mqttUrl, { clientId: 'factory-gw' });
  await c.publishAsync('factory/sensor/data', JSON.stringify({ device_id: 'sensor_004', temperature: 1 }), { qos: 1 });
  await c.endAsync();
  const rejected = (await (await fetch(`${app.httpUrl}/api/v1/rejected?limit=10`)).json()) as Rejected;
  assert.equal(rejected.rejected[0]?.rule, 'unmapped_topic');
  assert.equal((await fetch(`${app.httpUrl}/api/v1/devices/sensor_004`)).status, 404);
});

test('a bad mapping stops the start with the setting, field and rule named', async () => {
  await assert.rejects(
    startTestApp({ topicMappings: [{ topic: 'a/#/b' }] }),
    (err: Error) => err instanceof ConfigError && /topicMappings\[0\]\.topic/.test(err.message) && /wildcard/.test(err.message),
  );
  await assert.rejects(startTestApp({ topicMappings: [{ topic: 'a/{x}', device: 'y' }] }), /topicMappings\[0\]\.device.*captured/);
});

const svc = requireMosquitto('topic mappings through an external broker');
test('external broker: a mapped topic is subscribed and stored, PUBACKed after its commit', { skip: svc.skip }, async (t) => {
  const mosq = await startMosquitto();
  t.after(() => mosq.destroy());
  const app = await startTestApp({ broker: mosq.url, brokerClientId: 'fieldscope-mappings', topicMappings: mappings });
  t.after(() => app.stop());
  await until(() => app.mqtt.describe().status === 'up', { what: 'subscribed' });
  await new Promise((r) => setTimeout(r, 300));
  const c = await mqtt.connectAsync(mosq.url, { clientId: 'factory-line' });
  for (let i = 1; i <= 20; i++) await c.publishAsync('factory/sensor/data', JSON.stringify({ device_id: 'sensor_010', temperature: i, seq: i }), { qos: 1 });
  await c.endAsync();
  const values = await until(
    async () => {
      const r = (await (await fetch(`${app.httpUrl}/api/v1/devices/sensor_010/telemetry?metric=temperature&from=${Date.now() - 60_000}`)).json()) as {
        series: { temperature?: { value: number[] } };
      };
      const v = r.series.temperature?.value ?? [];
      return v.length === 20 ? v : undefined;
    },
    { what: '20 readings of sensor_010' },
  );
  assert.deepEqual(
    values,
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
});
