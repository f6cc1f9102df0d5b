// One commit path: what listeners see is what the store kept. Duplicates do not go back out on the
// live feed, in live statistics or to the alarm engine; imported devices are known at once; an
// import (old data) neither floods the live feed nor raises live alarms.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import type { LiveServerMessage } from '../../src/model/live.js';
import type { Alarm } from '../../src/model/alarm.js';

const data = tempDir();
const app = await startTestApp({ dataDir: data.dir, retentionRawHours: 24 * 365 * 50 });
after(async () => {
  await app.stop();
  data.remove();
});

async function api<T>(method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: T }> {
  const res = await fetch(app.httpUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': type },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function liveClient(): Promise<{ frames: LiveServerMessage[]; close(): void }> {
  const ws = new WebSocket(app.httpUrl.replace('http', 'ws') + '/api/v1/live');
  const frames: LiveServerMessage[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as LiveServerMessage));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', devices: '*' }));
  // A ping answered means the subscription before it was taken.
  ws.send(JSON.stringify({ op: 'ping' }));
  await until(() => frames.some((m) => m.type === 'pong'), { what: 'pong' });
  return { frames, close: () => ws.close() };
}

test('the same reading posted three times goes out once: one live frame, count1m 1, one alarm occurrence', async () => {
  const rule = await api<{ id: string }>('POST', '/api/v1/rules', {
    name: 'hot',
    severity: 'major',
    scope: 'device',
    target: 'dup-1',
    kind: 'threshold',
    metric: 'temperature',
    op: '>',
    value: 40,
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const live = await liveClient();
  const ts = Date.now() - 1000;
  for (let i = 0; i < 3; i++) {
    const r = await api<{ accepted: number }>('POST', '/api/v1/devices/dup-1/telemetry', { temperature: 45, ts, seq: 1 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  // A later reading marks the end: once it is on the feed, everything before it has been sent.
  await api('POST', '/api/v1/devices/dup-1/telemetry', { temperature: 20, ts: ts + 500, seq: 2 });
  await until(() => live.frames.some((m) => m.type === 'readings' && m.seq === 2), { what: 'seq 2 on the live feed' });
  live.close();
  const frames = live.frames.filter((m) => m.type === 'readings' && m.device === 'dup-1');
  assert.deepEqual(
    frames.map((m) => m.type === 'readings' && m.seq),
    [1, 2],
    'seq 1 once, then seq 2',
  );

  const stats = await api<{ metrics: Record<string, { count1m: number }> }>('GET', '/api/v1/devices/dup-1/stats/live');
  assert.equal(stats.status, 200);
  assert.equal(stats.body.metrics.temperature.count1m, 2, 'one stored reading per seq');

  await app.alarms.engine.idle();
  const alarms = (await api<{ alarms: Alarm[] }>('GET', '/api/v1/alarms?device=dup-1')).body.alarms;
  assert.equal(alarms.length, 1);
  assert.equal(alarms[0].count, 1, 'the duplicate is not a second occurrence');
});

test('an imported device is listed and served at once; the import raises no live alarm and sends no live readings', async () => {
  const rule = await api<{ id: string }>('POST', '/api/v1/rules', {
    name: 'press too hot',
    severity: 'major',
    scope: 'device',
    target: 'press-9',
    kind: 'threshold',
    metric: 'temperature',
    op: '>',
    value: 40,
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const live = await liveClient();
  const t0 = Date.UTC(2025, 0, 1);
  const csv =
    ['time,temperature,pressure', ...Array.from({ length: 50 }, (_, i) => `${new Date(t0 + i * 1000).toISOString()},${30 + i},${1 + i / 10}`)].join('\n') +
    '\n';
  const imp = await api<{ readingsStored: number }>('POST', '/api/v1/import?device=press-9', csv, 'text/csv');
  assert.equal(imp.status, 200, JSON.stringify(imp.body));
  assert.equal(imp.body.readingsStored, 100);

  const list = await api<{ devices: { id: string }[] }>('GET', '/api/v1/devices');
  assert.ok(
    list.body.devices.some((d) => d.id === 'press-9'),
    'press-9 is listed',
  );
  const one = await api<{ id: string; online: boolean; latest: Record<string, { ts: number; value: number }> }>('GET', '/api/v1/devices/press-9');
  assert.equal(one.status, 200);
  assert.equal(one.body.latest.temperature.value, 79);
  assert.equal(one.body.latest.temperature.ts, t0 + 49_000);
  assert.equal(one.body.online, false, 'old data is no sign of life');

  // A live reading afterwards is the end marker for the feed and the alarm queue.
  await api('POST', '/api/v1/devices/press-9/telemetry', { temperature: 20, ts: Date.now(), seq: 1 });
  await until(() => live.frames.some((m) => m.type === 'readings' && m.device === 'press-9'), { what: 'live reading of press-9' });
  live.close();
  assert.equal(live.frames.filter((m) => m.type === 'readings' && m.device === 'press-9').length, 1, 'only the live reading');
  await app.alarms.engine.idle();
  const alarms = (await api<{ alarms: Alarm[] }>('GET', '/api/v1/alarms?device=press-9')).body.alarms;
  assert.equal(alarms.length, 0, 'history is not a live alarm');
});
