// Live ingest at 2 kHz: device times with microseconds are kept through the pipeline, the store,
// the history API and the live feed (ms with a fraction by default; whole µs with ?tsUnit=us).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import type { LiveServerMessage } from '../../src/model/live.js';

const data = tempDir();
const app = await startTestApp({ dataDir: data.dir });
after(async () => {
  await app.stop();
  data.remove();
});

async function liveClient(query = ''): Promise<{ frames: LiveServerMessage[]; close(): void }> {
  const ws = new WebSocket(app.httpUrl.replace('http', 'ws') + '/api/v1/live' + query);
  const frames: LiveServerMessage[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as LiveServerMessage));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', devices: ['vib-live'] }));
  ws.send(JSON.stringify({ op: 'ping' }));
  await until(() => frames.some((m) => m.type === 'pong'), { what: 'pong' });
  return { frames, close: () => ws.close() };
}

const readingTimes = (frames: LiveServerMessage[]) => frames.flatMap((m) => (m.type === 'readings' && m.device === 'vib-live' ? [m.ts] : []));

test('HTTP ingest at 2 kHz with ISO µs times: every message stored at its µs, sent live in ms with a fraction and, with tsUnit=us, in whole µs', async () => {
  const ms = await liveClient();
  const us = await liveClient('?tsUnit=us');
  const t0 = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const iso = (i: number) => new Date(t0 + Math.floor(i / 2)).toISOString().replace('Z', i % 2 ? '500Z' : '000Z');
  const body = Array.from({ length: 200 }, (_, i) => ({ device_id: 'vib-live', ts: iso(i), x: i }));
  const res = await fetch(`${app.httpUrl}/api/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());

  const stored = await app.store.telemetry.queryRange({ device: 'vib-live', metrics: ['x'], from: t0, to: t0 + 1000, limit: 1000 });
  assert.equal(stored.x.ts.length, 200, 'no two samples of one millisecond collapse into one');
  assert.deepEqual(stored.x.ts.slice(0, 4), [t0, t0 + 0.5, t0 + 1, t0 + 1.5]);

  await until(() => readingTimes(ms.frames).length === 200 && readingTimes(us.frames).length === 200, { what: '200 live frames on both feeds' });
  assert.deepEqual(readingTimes(ms.frames).slice(0, 3), [t0, t0 + 0.5, t0 + 1]);
  assert.deepEqual(readingTimes(us.frames).slice(0, 3), [t0 * 1000, t0 * 1000 + 500, t0 * 1000 + 1000]);
  ms.close();
  us.close();

  const latest = (await (await fetch(`${app.httpUrl}/api/v1/devices/vib-live/latest`)).json()) as { latest: { x: { ts: number } } };
  assert.equal(latest.latest.x.ts, t0 + 99.5);
  const recent = (await (await fetch(`${app.httpUrl}/api/v1/telemetry/recent?devices=vib-live&n=2&tsUnit=us`)).json()) as { rows: { ts: number }[] };
  assert.deepEqual(
    recent.rows.map((r) => r.ts),
    [t0 * 1000 + 99_000, t0 * 1000 + 99_500],
  );
});

test('a tsUnit other than ms or us is refused naming the field', async () => {
  const res = await fetch(`${app.httpUrl}/api/v1/telemetry/recent?devices=vib-live&tsUnit=ns`);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /tsUnit/);
});

test('OpenAPI documents tsUnit and the µs fraction of ts', async () => {
  const doc = (await (await fetch(`${app.httpUrl}/docs/json`)).json()) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
  for (const path of [
    '/api/v1/devices/{id}/telemetry',
    '/api/v1/telemetry/range',
    '/api/v1/telemetry/recent',
    '/api/v1/export',
    '/api/v1/devices/{id}/latest',
  ]) {
    assert.ok(
      doc.paths[path]?.get?.parameters?.some((p) => p.name === 'tsUnit'),
      `${path} takes tsUnit`,
    );
  }
  assert.match(JSON.stringify(doc), /fraction down to the µs/);
});
