/**
 * Topic mappings through the API (issue 16): checked as the config file's are, stored (SQLite and
 * PostgreSQL), applied at once to the embedded broker and to the external broker's subscription,
 * shown in /health, audited; the config file's mappings are listed read-only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { RunningApp } from '../../src/app.js';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import { requireMosquitto, startMosquitto } from '../helpers/mosquitto.js';

interface Entry {
  id: string;
  origin: 'config' | 'api';
  readOnly: boolean;
  topic: string;
  device?: string;
  profile?: string;
}

const send = (app: RunningApp, method: string, path: string, body?: unknown) =>
  fetch(`${app.httpUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const list = async (app: RunningApp) => ((await (await send(app, 'GET', '/api/v1/mappings')).json()) as { mappings: Entry[] }).mappings;
const rejected = async (app: RunningApp) =>
  ((await (await send(app, 'GET', '/api/v1/rejected?limit=50')).json()) as { rejected: { rule: string; error: string }[] }).rejected;
const latest = async (app: RunningApp, device: string) => {
  const res = await send(app, 'GET', `/api/v1/devices/${device}`);
  return res.status === 200 ? ((await res.json()) as { latest: Record<string, { value: number }>; attributes?: Record<string, string> }).latest : null;
};

const fromConfig = [{ topic: 'factory/sensor/data' }];

test('mappings API on the embedded broker: add, change, refuse, remove; applied at once, kept over a restart, audited', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  let app = await startTestApp({ dataDir: d.dir, topicMappings: fromConfig });
  t.after(() => app.stop());
  const c = await mqtt.connectAsync(app.mqttUrl, { clientId: 'line-gw' });
  t.after(() => c.endAsync());

  // Not mapped yet: dead-lettered.
  await c.publishAsync('plant/s1/press-4', JSON.stringify({ pressure: 1 }), { qos: 1 });
  assert.ok((await rejected(app)).some((r) => r.rule === 'unmapped_topic' && r.error.includes('plant/s1/press-4')));
  assert.equal(await latest(app, 'press-4'), null);

  // Refused as the config file's would be, naming the field and the rule.
  const refusals: [unknown, string, string][] = [
    [{ topic: 'devices/{device}/x' }, 'topic', 'reserved'],
    [{ topic: 'a/#/b' }, 'topic', 'wildcard'],
    [{ topic: 'a/{x}', device: 'y' }, 'device', 'captured'],
    [{ topic: 'a/{device}', colour: 'red' }, 'colour', 'unknown'],
    [{ topic: 5 }, 'topic', 'required'],
    [{ topic: 'factory/sensor/data' }, 'topic', 'unique'],
  ];
  for (const [body, field, rule] of refusals) {
    const res = await send(app, 'POST', '/api/v1/mappings', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.deepEqual({ ...((await res.json()) as object), error: undefined }, { error: undefined, field, rule }, JSON.stringify(body));
  }

  const res = await send(app, 'POST', '/api/v1/mappings', { topic: 'plant/{site}/{device}', profile: 'factory' });
  assert.equal(res.status, 201);
  const added = (await res.json()) as Entry;
  assert.deepEqual({ ...added, id: undefined }, { id: undefined, origin: 'api', readOnly: false, topic: 'plant/{site}/{device}', profile: 'factory' });
  assert.deepEqual(
    (await list(app)).map((m) => [m.id, m.origin, m.readOnly, m.topic]),
    [
      ['config-0', 'config', true, 'factory/sensor/data'],
      [added.id, 'api', false, 'plant/{site}/{device}'],
    ],
  );
  // Applied at once: the same publish is stored now (PUBACK follows the commit).
  await c.publishAsync('plant/s1/press-4', JSON.stringify({ pressure: 2 }), { qos: 1 });
  assert.equal((await latest(app, 'press-4'))?.pressure.value, 2);
  const health = (await (await send(app, 'GET', '/health')).json()) as { components: { mqtt: { topicMappings: { topic: string }[] } } };
  assert.deepEqual(
    health.components.mqtt.topicMappings.map((m) => m.topic),
    ['factory/sensor/data', 'plant/{site}/{device}'],
  );

  // The config file's entries are read-only; unknown ids are 404.
  const ro = await send(app, 'PUT', '/api/v1/mappings/config-0', { topic: 'x/y' });
  assert.equal(ro.status, 409);
  assert.equal(((await ro.json()) as { rule: string }).rule, 'read_only');
  assert.equal((await send(app, 'DELETE', '/api/v1/mappings/config-0')).status, 409);
  assert.equal((await send(app, 'DELETE', '/api/v1/mappings/nope')).status, 404);

  // A bad change keeps the mapping as it was.
  assert.equal((await send(app, 'PUT', `/api/v1/mappings/${added.id}`, { topic: 'plant/{site}/{device}', device: 'line' })).status, 400);
  const changed = await send(app, 'PUT', `/api/v1/mappings/${added.id}`, { topic: 'plant/{site}/{unit}', device: 'unit' });
  assert.equal(changed.status, 200);
  await c.publishAsync('plant/s2/press-5', JSON.stringify({ pressure: 3 }), { qos: 1 });
  assert.equal((await latest(app, 'press-5'))?.pressure.value, 3);

  // Audited: who changed what, with the mapping before the change.
  type Audit = { entries: { route: string; method: string; status: number; before: string | null }[] };
  const audit = ((await (await send(app, 'GET', '/api/v1/audit?limit=50')).json()) as Audit).entries;
  assert.ok(audit.some((e) => e.method === 'POST' && e.route === '/api/v1/mappings' && e.status === 201));
  const put = audit.find((e) => e.method === 'PUT' && e.route === '/api/v1/mappings/:id' && e.status === 200);
  assert.ok(put, 'the change is in the audit log');
  assert.equal((JSON.parse(put.before as string) as { mapping: { topic: string } }).mapping.topic, 'plant/{site}/{device}', 'with the mapping as it was');

  // Kept over a restart, after the config file's.
  await c.endAsync();
  await app.stop();
  app = await startTestApp({ dataDir: d.dir, topicMappings: fromConfig });
  assert.deepEqual(
    (await list(app)).map((m) => m.topic),
    ['factory/sensor/data', 'plant/{site}/{unit}'],
  );
  const c2 = await mqtt.connectAsync(app.mqttUrl, { clientId: 'line-gw-2' });
  t.after(() => c2.endAsync());
  await c2.publishAsync('plant/s3/press-6', JSON.stringify({ pressure: 4 }), { qos: 1 });
  assert.equal((await latest(app, 'press-6'))?.pressure.value, 4);

  // Removed: the topic is dead-lettered again.
  assert.equal((await send(app, 'DELETE', `/api/v1/mappings/${added.id}`)).status, 204);
  await c2.publishAsync('plant/s3/press-7', JSON.stringify({ pressure: 5 }), { qos: 1 });
  assert.equal(await latest(app, 'press-7'), null);
  assert.ok((await rejected(app)).some((r) => r.rule === 'unmapped_topic' && r.error.includes('plant/s3/press-7')));
  assert.deepEqual(
    (await list(app)).map((m) => m.id),
    ['config-0'],
  );
});

test('mappings API: only an admin may list or change mappings', async (t) => {
  const app = await startTestApp({ anonymousRole: 'operator' });
  t.after(() => app.stop());
  for (const res of [await send(app, 'GET', '/api/v1/mappings'), await send(app, 'POST', '/api/v1/mappings', { topic: 'a/{device}' })]) {
    assert.equal(res.status, 401, 'an operator is not enough: it asks for an admin to sign in');
  }
  const doc = (await (await send(app, 'GET', '/docs/json')).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  assert.equal(doc.paths['/api/v1/mappings'].post['x-fieldscope-role'], 'admin');
  assert.equal(doc.paths['/api/v1/mappings/{id}'].delete['x-fieldscope-role'], 'admin');
});

const pg = requirePostgres('topic mappings stored in PostgreSQL');
test('mappings API on PostgreSQL: stored and applied again after a restart', { skip: pg.skip }, async (t) => {
  const server = await startPostgres();
  t.after(() => server.destroy());
  const d = tempDir();
  t.after(() => d.remove());
  const store = await server.createDatabase();
  let app = await startTestApp({ dataDir: d.dir, store });
  t.after(() => app.stop());
  assert.equal(app.store.engine, 'postgres');
  const a = (await (await send(app, 'POST', '/api/v1/mappings', { topic: 'site/{device}/data' })).json()) as Entry;
  const b = (await (await send(app, 'POST', '/api/v1/mappings', { topic: 'other/{device}' })).json()) as Entry;
  assert.equal((await send(app, 'PUT', `/api/v1/mappings/${a.id}`, { topic: 'site/{device}/telemetry', name: 'site feed' })).status, 200);
  assert.equal((await send(app, 'DELETE', `/api/v1/mappings/${b.id}`)).status, 204);
  await app.stop();
  app = await startTestApp({ dataDir: join(d.dir, 'second'), store });
  assert.deepEqual(await list(app), [{ id: a.id, origin: 'api', readOnly: false, topic: 'site/{device}/telemetry', name: 'site feed' }]);
  const c = await mqtt.connectAsync(app.mqttUrl, { clientId: 'pg-gw' });
  t.after(() => c.endAsync());
  await c.publishAsync('site/boiler-2/telemetry', JSON.stringify({ temperature: 70 }), { qos: 1 });
  assert.equal((await latest(app, 'boiler-2'))?.temperature.value, 70);
});

const svc = requireMosquitto('topic mappings via the API on an external broker');
test(
  'mappings API with an external broker (Mosquitto): a mapping added is subscribed without a restart; a removed one is unsubscribed',
  { skip: svc.skip },
  async (t) => {
    const mosq = await startMosquitto();
    t.after(() => mosq.destroy());
    const app = await startTestApp({ broker: mosq.url, brokerClientId: 'fieldscope-mappings-api' });
    t.after(() => app.stop());
    await until(() => app.mqtt.describe().status === 'up', { what: 'connected' });
    const added = (await (await send(app, 'POST', '/api/v1/mappings', { topic: 'line/{device}/data' })).json()) as Entry;
    assert.equal(added.origin, 'api');
    const c = await mqtt.connectAsync(mosq.url, { clientId: 'line-device' });
    t.after(() => c.endAsync());
    // The subscription goes out when the mapping is added; publish until it has taken hold.
    let n = 0;
    await until(
      async () => {
        await c.publishAsync('line/mixer-1/data', JSON.stringify({ speed: ++n }), { qos: 1 });
        return (await latest(app, 'mixer-1'))?.speed;
      },
      { what: 'a mapped topic stored through Mosquitto' },
    );
    const health = (await (await send(app, 'GET', '/health')).json()) as { components: { mqtt: { topicMappings: { topic: string }[] } } };
    assert.deepEqual(
      health.components.mqtt.topicMappings.map((m) => m.topic),
      ['line/{device}/data'],
    );

    assert.equal((await send(app, 'DELETE', `/api/v1/mappings/${added.id}`)).status, 204);
    // Unsubscribed: a later message on the topic never reaches Fieldscope (not stored, not even dead-lettered),
    // while a device on Fieldscope's own topics, sent after it over the same connection, is.
    await until(
      async () => {
        await c.publishAsync('line/mixer-2/data', JSON.stringify({ speed: 1 }), { qos: 1 });
        await c.publishAsync('devices/sentinel/telemetry', JSON.stringify({ n: 1 }), { qos: 1 });
        if (!(await latest(app, 'sentinel'))) return false;
        return (await latest(app, 'mixer-2')) === null;
      },
      { what: 'the removed mapping unsubscribed' },
    );
    assert.ok(!(await rejected(app)).some((r) => r.error.includes('line/mixer-2/data')));
  },
);
