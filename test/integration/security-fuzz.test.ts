import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { bearer, login, startLockedApp } from '../helpers/auth.js';

type Op = { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } };

/** Anything a client might send: JSON of any shape, objects with the route's own field names holding anything, text, bytes. */
function bodies(fields: string[]) {
  const anything = fc.oneof(fc.jsonValue(), fc.string(), fc.double(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  const shaped = fields.length
    ? fc.dictionary(fc.constantFrom(...fields), anything, { maxKeys: fields.length }).map((o) => JSON.stringify(o))
    : fc.constant('{}');
  return fc.record({
    body: fc.oneof(
      shaped,
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    ),
    type: fc.constantFrom('application/json', 'text/plain', 'application/x-ndjson', 'application/octet-stream', 'application/x-www-form-urlencoded'),
    param: fc.oneof(fc.constant('fz-1'), fc.string({ minLength: 1, maxLength: 40 })),
  });
}

// Regression: an octet-stream or NDJSON body on a JSON route used to reach body validation as the raw
// request stream, whose own fields ajv stripped; node's http server then threw (resOnFinish) when it finished.
test('fuzzed bodies on every POST/PUT/PATCH route in the OpenAPI document, and fuzzed MQTT payloads, never give a 5xx or a crash', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ loginSlowAfter: 1000, loginLockAfter: 1000 });
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const doc = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, Record<string, Op>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ms]) =>
      Object.entries(ms)
        .filter(([m]) => ['post', 'put', 'patch'].includes(m))
        .map(([m, op]) => ({ path, method: m.toUpperCase(), fields: Object.keys(Object.values(op.requestBody?.content ?? {})[0]?.schema?.properties ?? {}) })),
    );
    assert.ok(routes.length >= 15, `${routes.length} input routes`);
    const failures: string[] = [];
    for (const r of routes) {
      await fc
        .assert(
          fc.asyncProperty(bodies(r.fields), async ({ body, type, param }) => {
            const path = r.path.replace(/\{[^}]+\}/g, encodeURIComponent(param));
            if (process.env.FUZZ_DEBUG) console.error('REQ', r.method, path, type, JSON.stringify(body).slice(0, 80));
            const res = await fetch(`${url}${path}`, { method: r.method, headers: { ...bearer(admin), 'content-type': type }, body });
            const text = await res.text();
            if (res.status >= 500) failures.push(`${r.method} ${path} [${type}] ${JSON.stringify(body).slice(0, 200)} -> ${res.status} ${text.slice(0, 200)}`);
            return res.status < 500;
          }),
          { numRuns: 25, seed: 8 },
        )
        .catch(() => {});
    }
    assert.deepEqual(failures, []);

    if (process.env.FUZZ_DEBUG) console.error('HTTP DONE');
    // MQTT: random payloads on random device topics, over an operator's API key (publishes for any device).
    const key = (
      (await (
        await fetch(`${url}/api/v1/api-keys`, {
          method: 'POST',
          headers: { ...bearer(admin), 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'fuzz', role: 'operator' }),
        })
      ).json()) as { key: string }
    ).key;
    const client = await mqtt.connectAsync(app.mqttUrl, { username: 'fuzz', password: key, clientId: '', reconnectPeriod: 0 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant('fz-mqtt'), fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/)),
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
          fc.string().map((s) => Buffer.from(s)),
        ),
        async (device, payload) => {
          if (process.env.FUZZ_DEBUG) console.error('PUB', device, payload.length);
          await client.publishAsync(`devices/${device}/telemetry`, payload, { qos: 1 });
        },
      ),
      { numRuns: 150, seed: 8 },
    );
    await client.endAsync();
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200, 'still healthy after the fuzzing');
    if (process.env.FUZZ_DEBUG) console.error('HEALTH OK');
  } finally {
    await remove();
  }
});

test('a streamed media type sent to a JSON route answers 415 (only routes that consume it take a stream) and the app stops cleanly', async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  try {
    const admin = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
    // Each of these media types has a streaming parser somewhere (firmware upload, NDJSON telemetry, import).
    for (const type of ['application/octet-stream', 'application/x-ndjson', 'text/csv']) {
      for (const [method, path] of [
        ['PATCH', '/api/v1/devices/raw-1'],
        ['PUT', '/api/v1/devices/raw-1'],
        ['PATCH', '/api/v1/equipment/raw-1'],
      ]) {
        const res = await fetch(`${app.httpUrl}${path}`, { method, headers: { ...bearer(admin), 'content-type': type }, body: '{"name":"x"}' });
        const body = (await res.json()) as { field?: string; rule?: string };
        assert.equal(res.status, 415, `${method} ${path} [${type}]`);
        assert.equal(body.rule, 'media_type');
      }
    }
    const up = await fetch(`${app.httpUrl}/api/v1/firmware?version=1.0.0`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/octet-stream' },
      body: Buffer.from('firmware-bytes'),
    });
    assert.equal(up.status, 201, 'the upload still takes its stream');
  } finally {
    await remove();
  }
});
