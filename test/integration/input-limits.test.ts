import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startTestApp, until } from '../helpers/app.js';
import { bearer, login, startLockedApp } from '../helpers/auth.js';

type Refusal = { error: string; field?: string; rule?: string };

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('query numbers past any bound (1e999) answer 400 naming the field and the rule, not 500', async () => {
  const app = await startTestApp();
  try {
    const u = app.httpUrl;
    for (const [path, field] of [
      ['/api/v1/rejected?limit=1e999', 'limit'],
      ['/api/v1/telemetry/recent?devices=a&n=1e999', 'n'],
      ['/api/v1/devices/a/telemetry?limit=1e999', 'limit'],
      ['/api/v1/rejected?limit=-1e999', 'limit'],
    ] as const) {
      const res = await fetch(u + path);
      const body = (await res.json()) as Refusal;
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.field, field, path);
      assert.match(body.rule ?? '', /^(maximum|minimum)$/, path);
    }
  } finally {
    await app.stop();
  }
});

test('a NUL byte in the URL answers 400 with field and rule (it was a 500 with a logged stack)', async () => {
  const app = await startTestApp();
  try {
    for (const path of ['/a%00', '/api/v1/devices/a%00b', '/api/v1/rejected?device=a%00']) {
      const res = await fetch(app.httpUrl + path);
      const body = (await res.json()) as Refusal;
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.deepEqual([body.field, body.rule], ['url', 'nul_character']);
    }
  } finally {
    await app.stop();
  }
});

test('device ids of 101-128 characters are reachable by /devices/{id}; longer ones answer with field and rule', async () => {
  const app = await startTestApp();
  try {
    const u = app.httpUrl;
    for (const len of [101, 128]) {
      const id = `d${len}-`.padEnd(len, 'x');
      const sent = await post(`${u}/api/v1/devices/${id}/telemetry`, '{"x":1}');
      assert.equal(sent.status, 200, `POST ${len}: ${await sent.text()}`);
      const got = await fetch(`${u}/api/v1/devices/${id}`);
      assert.equal(got.status, 200, `GET ${len}`);
      assert.equal(((await got.json()) as { id: string }).id, id);
    }
    // A colon-rich id, percent-encoded, still fits the router's parameter length.
    const colons = 'c'.padEnd(128, ':');
    const sent = await post(`${u}/api/v1/devices/${encodeURIComponent(colons)}/telemetry`, '{"x":1}');
    assert.equal(sent.status, 200, await sent.text());
    assert.equal((await fetch(`${u}/api/v1/devices/${encodeURIComponent(colons)}`)).status, 200);

    const long = await post(`${u}/api/v1/devices/${'e'.repeat(129)}/telemetry`, '{"x":1}');
    const lb = (await long.json()) as Refusal;
    assert.equal(long.status, 400, JSON.stringify(lb));
    assert.deepEqual([lb.field, lb.rule], ['id', 'pattern']);
    const huge = await fetch(`${u}/api/v1/devices/${'e'.repeat(1000)}`, { method: 'DELETE' });
    const hb = (await huge.json()) as Refusal;
    assert.equal(huge.status, 414, JSON.stringify(hb));
    assert.deepEqual([hb.field, hb.rule], ['path', 'max_length']);
  } finally {
    await app.stop();
  }
});

test('metric names that every object already has (constructor, toString, __proto__) are refused with field and rule, counted and dead-lettered', async () => {
  const app = await startTestApp();
  try {
    const u = app.httpUrl;
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const res = await post(`${u}/api/v1/devices/proto-1/telemetry`, `{"${name}":1,"ok":2}`);
      const body = (await res.json()) as Refusal;
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(body)}`);
      assert.deepEqual([body.field, body.rule], [name, 'reserved_name']);
    }
    const dead = (await (await fetch(`${u}/api/v1/rejected?device=proto-1`)).json()) as { rejected: { rule: string }[] };
    assert.equal(dead.rejected.filter((r) => r.rule === 'reserved_name').length, 4);
    const metrics = await (await fetch(`${u}/metrics`)).text();
    assert.match(metrics, /fieldscope_messages_rejected_total\{source="http",field="__proto__",rule="reserved_name"\} 1/);
    // Nothing vanished silently: the device was never created by a refused message.
    assert.equal((await fetch(`${u}/api/v1/devices/proto-1`)).status, 404);
  } finally {
    await app.stop();
  }
});

test('an empty message ({}) is refused (payload/empty), dead-lettered and counted, and registers no device, over HTTP and MQTT', async () => {
  const app = await startTestApp();
  const client = await mqtt.connectAsync(app.mqttUrl, { reconnectPeriod: 0 });
  try {
    const u = app.httpUrl;
    const res = await post(`${u}/api/v1/devices/empty-http/telemetry`, '{}');
    const body = (await res.json()) as Refusal;
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.deepEqual([body.field, body.rule], ['payload', 'empty']);
    const seqOnly = await post(`${u}/api/v1/devices/empty-http/telemetry`, '{"seq":4,"ts":1790000000000}');
    assert.equal(seqOnly.status, 400);
    await client.publishAsync('devices/empty-mqtt/telemetry', '{}', { qos: 1 });
    await until(
      async () => {
        const d = (await (await fetch(`${u}/api/v1/rejected?device=empty-mqtt`)).json()) as { rejected: { rule: string; field: string }[] };
        return d.rejected.some((r) => r.rule === 'empty' && r.field === 'payload');
      },
      { what: 'the MQTT dead letter' },
    );
    for (const id of ['empty-http', 'empty-mqtt']) assert.equal((await fetch(`${u}/api/v1/devices/${id}`)).status, 404, id);
    const list = (await (await fetch(`${u}/api/v1/devices`)).json()) as { id: string }[] | { items: { id: string }[] };
    assert.equal(JSON.stringify(list).includes('empty-'), false);
    const metrics = await (await fetch(`${u}/metrics`)).text();
    assert.match(metrics, /fieldscope_messages_rejected_total\{source="http",field="payload",rule="empty"\} 2/);
    assert.match(metrics, /fieldscope_messages_rejected_total\{source="mqtt",field="payload",rule="empty"\} 1/);
  } finally {
    await client.endAsync();
    await app.stop();
  }
});

test('a message naming an unknown profile is refused (profile/unknown_profile) and binds nothing; a known one binds', async () => {
  const app = await startTestApp();
  try {
    const u = app.httpUrl;
    const res = await post(`${u}/api/v1/devices/prof-1/telemetry`, '{"profile":"no-such-profile","x":1}');
    const body = (await res.json()) as Refusal;
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.deepEqual([body.field, body.rule], ['profile', 'unknown_profile']);
    assert.equal((await fetch(`${u}/api/v1/devices/prof-1`)).status, 404);
    const dead = (await (await fetch(`${u}/api/v1/rejected?device=prof-1`)).json()) as { rejected: { rule: string }[] };
    assert.deepEqual(
      dead.rejected.map((r) => r.rule),
      ['unknown_profile'],
    );

    const known = ((await (await fetch(`${u}/api/v1/profiles`)).json()) as { profiles: { name: string }[] }).profiles[0].name;
    const ok = await post(`${u}/api/v1/devices/prof-2/telemetry`, JSON.stringify({ profile: known, nothing_known: 1 }));
    assert.ok(ok.status === 200 || ok.status === 400, await ok.text());
    assert.equal(((await (await fetch(`${u}/api/v1/devices/prof-2`)).json()) as { profile: string }).profile, known);
  } finally {
    await app.stop();
  }
});

test('an HTTP batch counts each message against the device rate limit, as MQTT does', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ deviceRatePerSec: 0.001, deviceRateBurst: 10, apiRatePerSec: 0 });
  try {
    const u = app.httpUrl;
    const admin = (await login(u, 'admin', adminPassword)).accessToken;
    const token = ((await (await fetch(`${u}/api/v1/devices/rl-1/credentials`, { method: 'POST', headers: bearer(admin) })).json()) as { token: string }).token;
    const batch = (n: number, from: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ x: i, seq: from + i, ts: 1_790_000_000_000 + from + i })));

    const tooBig = await post(`${u}/api/v1/devices/rl-1/telemetry`, batch(11, 0), bearer(token));
    const tb = (await tooBig.json()) as Refusal;
    assert.equal(tooBig.status, 429, JSON.stringify(tb));
    assert.equal(tb.rule, 'rate_limit');

    assert.equal((await post(`${u}/api/v1/devices/rl-1/telemetry`, batch(6, 100), bearer(token))).status, 200);
    // 6 of the burst of 10 are spent: a second batch of 6 is over, though it is only the second request.
    const second = await post(`${u}/api/v1/devices/rl-1/telemetry`, batch(6, 200), bearer(token));
    assert.equal(second.status, 429, await second.text());
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    // NDJSON bodies are charged per line too.
    const nd = await fetch(`${u}/api/v1/devices/rl-1/telemetry`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/x-ndjson' },
      body: batch(6, 300).slice(1, -1).replace(/\},\{/g, '}\n{'),
    });
    assert.equal(nd.status, 429, await nd.text());
    const metrics = await (await fetch(`${u}/metrics`, { headers: bearer(admin) })).text();
    assert.match(metrics, /fieldscope_rate_limited_total\{scope="device",transport="http"\} 3/);
    const stored = (await (await fetch(`${u}/api/v1/devices/rl-1/telemetry?from=1790000000000&to=1790000001000`, { headers: bearer(admin) })).json()) as {
      series: { x?: { ts: number[] } };
    };
    assert.equal(stored.series.x?.ts.length, 6);
  } finally {
    await remove();
  }
});
