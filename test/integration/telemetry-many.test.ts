// GET /api/v1/telemetry/buckets: the fleet table's last hour for many devices in one request. Each
// device's answer must be what the one-device routes answer (buckets, completeness), and bad
// requests are refused naming the field and the rule.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, tempDir } from '../helpers/app.js';
import { postNdjson } from '../helpers/api-call.js';
import type { RunningApp } from '../../src/app.js';
import type { ManyBucketPage, BucketPage } from '../../src/model/telemetry.js';
import type { Completeness } from '../../src/model/sequence.js';

/** Whichever of the answers a request gets (the routes' own types), or a refusal. */
type Answer = ManyBucketPage & BucketPage & Completeness & { rule?: string };

const MIN = 60_000;

describe('many-device buckets API', () => {
  let app: RunningApp;
  const tmp = tempDir();
  // Whole minutes, the last hour: one reading a second with seq; rack-2 misses seq 600-899.
  const start = Math.floor((Date.now() - 3600_000) / MIN) * MIN;
  const to = start + 50 * MIN - 1;
  const get = async (path: string) => {
    const res = await fetch(app.httpUrl + path);
    return { status: res.status, body: (await res.json()) as Answer };
  };

  before(async () => {
    app = await startTestApp({ dataDir: tmp.dir });
    for (const [k, device] of ['rack-1', 'rack-2', 'rack-3'].entries()) {
      const rows = [];
      for (let i = 0; i < 3000; i++) {
        if (device === 'rack-2' && i >= 600 && i < 900) continue;
        rows.push({ ts: start + i * 1000, seq: i + 1, voltage: +(2 + k + Math.sin(i / 50)).toFixed(3), temperature: 20 + k });
      }
      await postNdjson(app.httpUrl, device, rows);
    }
  });
  after(async () => {
    await app?.stop();
    tmp.remove();
  });

  it('answers each device as the one-device routes do: its buckets and its completeness', async () => {
    const devices = ['rack-3', 'rack-1', 'rack-2', 'no-such-rack'];
    const r = await get(`/api/v1/telemetry/buckets?devices=${devices.join(',')}&metric=voltage&from=${start}&to=${to}&points=50&completeness=true`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.devices), devices);
    assert.equal(r.body.from, start);
    assert.equal(r.body.to, to);
    for (const d of devices.slice(0, 3)) {
      const one = await get(`/api/v1/devices/${d}/telemetry?metric=voltage&from=${start}&to=${to}&points=50`);
      assert.equal(one.status, 200);
      assert.equal(r.body.resolution, one.body.resolution);
      assert.equal(r.body.bucketMs, one.body.bucketMs);
      assert.deepEqual(r.body.devices[d].series, one.body.series, `buckets of ${d}`);
      const c = await get(`/api/v1/devices/${d}/completeness?from=${start}&to=${to}`);
      assert.deepEqual(
        r.body.devices[d].completeness,
        { expected: c.body.expected, received: c.body.received, missing: c.body.missing, ratio: c.body.ratio },
        `completeness of ${d}`,
      );
    }
    // From the readings sent: 50 one-minute buckets; rack-2 received 2,700 of 3,000 in the range.
    assert.equal(r.body.devices['rack-1'].series.voltage.ts.length, 50);
    assert.deepEqual(r.body.devices['rack-1'].series.voltage.count, Array(50).fill(60));
    assert.equal(r.body.devices['rack-2'].completeness?.received, 2700);
    assert.equal(r.body.devices['rack-2'].completeness?.missing, 300);
    assert.equal(r.body.devices['rack-2'].completeness?.ratio, 2700 / 3000);
    assert.equal(r.body.devices['rack-1'].completeness?.ratio, 1);
    // A device never seen: empty series, no completeness.
    assert.deepEqual(r.body.devices['no-such-rack'].series.voltage.ts, []);
    assert.equal(r.body.devices['no-such-rack'].completeness, undefined);
  });

  it('leaves completeness out unless asked, and writes times in µs with tsUnit=us', async () => {
    const r = await get(`/api/v1/telemetry/buckets?devices=rack-1&metric=voltage,temperature&from=${start}&to=${to}&points=10&tsUnit=us`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.devices['rack-1'].completeness, undefined);
    assert.deepEqual(Object.keys(r.body.devices['rack-1'].series).sort(), ['temperature', 'voltage']);
    const ms = await get(`/api/v1/telemetry/buckets?devices=rack-1&metric=temperature&from=${start}&to=${to}&points=10`);
    assert.ok(ms.body.devices['rack-1'].series.temperature.ts.length > 0);
    assert.deepEqual(
      r.body.devices['rack-1'].series.temperature.ts,
      ms.body.devices['rack-1'].series.temperature.ts.map((t: number) => t * 1000),
    );
    assert.equal(r.body.from, start * 1000);
  });

  it('refuses bad requests naming the field and the rule', async () => {
    const cases: [string, string, string][] = [
      [`metric=voltage`, 'devices', ''],
      [`devices=rack-1`, 'metric', ''],
      [`devices=rack-*&metric=voltage`, 'devices', 'no_prefix'],
      [`devices=${Array.from({ length: 501 }, (_, i) => `d${i}`).join(',')}&metric=voltage`, 'devices', 'max_items'],
      [`devices=rack-1&metric=voltage&points=0`, 'points', ''],
      [`devices=rack-1&metric=voltage&tz=Mars/Olympus`, 'tz', 'time_zone'],
      [`devices=rack-1&metric=voltage&from=${to}&to=${start}`, 'from', 'order'],
    ];
    for (const [query, field, rule] of cases) {
      const r = await get(`/api/v1/telemetry/buckets?${query}`);
      assert.equal(r.status, 400, `${query.slice(0, 60)}: ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body), new RegExp(field), `${query.slice(0, 60)} names ${field}`);
      if (rule) assert.equal(r.body.rule, rule, query.slice(0, 60));
    }
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${app.httpUrl}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>>;
    };
    const op = doc.paths['/api/v1/telemetry/buckets']?.get;
    assert.ok(op, 'the route is in the document');
    for (const p of ['devices', 'metric', 'from', 'to', 'points', 'completeness', 'tz', 'tsUnit'])
      assert.ok(
        op.parameters?.some((x) => x.name === p),
        `parameter ${p}`,
      );
    assert.match(JSON.stringify(op.responses['200']), /TelemetryBucketsMany/);
  });
});
