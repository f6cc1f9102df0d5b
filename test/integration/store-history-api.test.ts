import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, tempDir } from '../helpers/app.js';
import { postNdjson } from '../helpers/api-call.js';
import type { RunningApp } from '../../src/app.js';
import { exportFinishedDays } from '../../src/jobs/daily-export.js';

const MIN = 60_000;

describe('history API: downsampled telemetry, stats, group queries, export', () => {
  let app: RunningApp;
  const tmp = tempDir();
  // Whole minutes, 2 h back: one reading a second for 20 minutes per device.
  const start = Math.floor((Date.now() - 2 * 3600_000) / MIN) * MIN;
  const get = async (path: string) => {
    const res = await fetch(app.httpUrl + path);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  before(async () => {
    app = await startTestApp({ dataDir: tmp.dir });
    for (const device of ['press-1', 'press-2', 'oven-1']) {
      await postNdjson(
        app.httpUrl,
        device,
        Array.from({ length: 1200 }, (_, i) => ({ ts: start + i * 1000, v: i % 100, a: 1 })),
      );
    }
  });
  after(async () => {
    await app?.stop();
    tmp.remove();
  });

  it('returns columnar buckets with points=N, at most N per metric', async () => {
    const r = await get(`/api/v1/devices/press-1/telemetry?metric=v,a&from=${start}&to=${start + 20 * MIN - 1}&points=20`);
    assert.equal(r.status, 200, r.text);
    const body = JSON.parse(r.text);
    assert.equal(body.resolution, '1m');
    assert.equal(body.bucketMs, MIN);
    assert.deepEqual(Object.keys(body.series).sort(), ['a', 'v']);
    assert.equal(body.series.v.ts.length, 20);
    assert.deepEqual(body.series.v.count, Array(20).fill(60));
    const minute = (k: number) => Array.from({ length: 60 }, (_, i) => (k * 60 + i) % 100);
    assert.deepEqual(
      body.series.v.min,
      Array.from({ length: 20 }, (_, k) => Math.min(...minute(k))),
    );
    assert.deepEqual(
      body.series.v.max,
      Array.from({ length: 20 }, (_, k) => Math.max(...minute(k))),
    );
    assert.deepEqual(
      body.series.v.avg,
      Array.from({ length: 20 }, (_, k) => minute(k).reduce((x, y) => x + y) / 60),
    );
    // Without points the raw shape is unchanged.
    const raw = JSON.parse((await get(`/api/v1/devices/press-1/telemetry?metric=v&from=${start}&to=${start + 4999}`)).text);
    assert.deepEqual(raw.series.v, { ts: [0, 1, 2, 3, 4].map((i) => start + i * 1000), value: [0, 1, 2, 3, 4] });
  });

  it('refuses a bad time zone or points with 400 naming the field', async () => {
    const tz = await get(`/api/v1/devices/press-1/telemetry?points=10&tz=Mars/Olympus`);
    assert.equal(tz.status, 400);
    assert.equal(JSON.parse(tz.text).field, 'tz');
    const pts = await get(`/api/v1/devices/press-1/telemetry?points=0`);
    assert.equal(pts.status, 400);
    const devs = await get(`/api/v1/telemetry/recent?metric=v`);
    assert.equal(devs.status, 400);
    assert.equal(JSON.parse(devs.text).field, 'devices');
  });

  it('answers stats', async () => {
    const r = JSON.parse((await get(`/api/v1/devices/press-2/stats?metric=v&from=${start}&to=${start + 1_199_999}`)).text);
    assert.equal(r.resolution, 'raw');
    assert.equal(r.stats.v.count, 1200);
    assert.equal(r.stats.v.min, 0);
    assert.equal(r.stats.v.max, 99);
    assert.equal(r.stats.v.avg, 49.5);
    assert.equal(r.stats.v.p50, 49.5);
  });

  it('answers recent and range group queries with prefix filters', async () => {
    const recent = JSON.parse((await get(`/api/v1/telemetry/recent?devices=press-*&metric=v&n=2`)).text);
    assert.deepEqual(
      recent.rows.map((r: { device: string; value: number }) => `${r.device}:${r.value}`),
      ['press-1:98', 'press-1:99', 'press-2:98', 'press-2:99'],
    );
    const range = JSON.parse((await get(`/api/v1/telemetry/range?devices=oven-1,press-2&metric=a&from=${start}&to=${start + 10_000}&n=3`)).text);
    assert.deepEqual(
      range.rows.map((r: { device: string; ts: number }) => `${r.device}:${r.ts - start}`),
      ['oven-1:8000', 'oven-1:9000', 'oven-1:10000', 'press-2:8000', 'press-2:9000', 'press-2:10000'],
    );
  });

  it('streams CSV and NDJSON exports', async () => {
    const csv = await get(`/api/v1/export?devices=oven-1&metrics=v&from=${start}&to=${start + 3000}`);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /text\/csv/);
    assert.deepEqual(csv.text.trim().split('\n'), [
      'ts,ts_ms,device,metric,value',
      // ISO to the µs (readings keep microseconds).
      ...[0, 1, 2].map((i) => `${new Date(start + i * 1000).toISOString().replace('Z', '000Z')},${start + i * 1000},oven-1,v,${i}`),
    ]);
    const nd = await get(`/api/v1/export?devices=press-*&metrics=a&from=${start}&to=${start + 1_200_000}&format=ndjson`);
    const rows = nd.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, 2400);
    assert.deepEqual(rows[0], { device: 'press-1', metric: 'a', ts: start, value: 1 });
  });

  it('daily export writes one CSV per finished UTC day, once', async () => {
    const dir = join(tmp.dir, 'export');
    // The day of the last reading, finished: a run started 1 h 40 min to 2 h after midnight UTC has
    // readings on both sides of midnight, and both days must be over for every reading to be exported.
    const day = Math.floor((start + 1199 * 1000) / 86_400_000) * 86_400_000;
    const now = day + 86_400_000 + 1000;
    const files = await exportFinishedDays(app.store.telemetry, dir, now);
    const name = `fieldscope-${new Date(day).toISOString().slice(0, 10)}.csv`;
    // The readings may straddle midnight UTC: then the day before has a file too.
    assert.ok(files.some((f) => f.endsWith(name)));
    assert.deepEqual(await exportFinishedDays(app.store.telemetry, dir, now), []);
    const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1));
    assert.equal(lines.length, 3 * 1200 * 2);
  });
});
