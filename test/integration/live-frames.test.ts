// The live feed's framing: with ?frames=batch a commit's messages come as one WebSocket message
// ({"type":"batch","messages":[...]}), every reading exactly once and in order per device; without
// it (the first protocol) every reading is a WebSocket message of its own, the same readings.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, until } from '../helpers/app.js';
import { liveFeed } from '../helpers/live-feed.js';
import type { LiveServerMessage } from '../../src/model/live.js';

const app = await startTestApp();
after(() => app.stop());

const feed = (query: string, devices: string[] | '*') => liveFeed(app.httpUrl, query, devices);

const readingSeqs = (messages: LiveServerMessage[], device: string) => messages.flatMap((m) => (m.type === 'readings' && m.device === device ? [m.seq] : []));

test('batch frames carry every committed reading once, in order per device, in fewer messages; single frames carry the same one by one', async () => {
  const batch = await feed('?frames=batch', '*');
  const some = await feed('?frames=batch', ['lf-b']);
  const single = await feed('', '*');
  assert.equal(batch.frames[0].type, 'hello');
  assert.equal((batch.frames[0] as { frames?: string }).frames, 'batch');
  assert.equal((single.frames[0] as { frames?: string }).frames, 'single');

  const devices = ['lf-a', 'lf-b', 'lf-c'];
  const perDevice = 200;
  const t0 = Date.now() - 60_000;
  // Four requests of interleaved devices: several commits, each with readings of every device.
  for (let part = 0; part < 4; part++) {
    const body = [];
    for (let i = part * (perDevice / 4); i < (part + 1) * (perDevice / 4); i++) {
      for (const d of devices) body.push({ device_id: d, ts: t0 + i, seq: i + 1, x: i });
    }
    const res = await fetch(`${app.httpUrl}/api/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.text());
  }
  const expected = Array.from({ length: perDevice }, (_, i) => i + 1);
  await until(() => devices.every((d) => readingSeqs(batch.messages(), d).length >= perDevice && readingSeqs(single.messages(), d).length >= perDevice), {
    what: 'every reading on both feeds',
  });
  await until(() => readingSeqs(some.messages(), 'lf-b').length >= perDevice, { what: 'lf-b on the feed subscribed to it' });
  // A moment for anything sent twice to arrive too.
  await new Promise((r) => setTimeout(r, 200));
  for (const d of devices) {
    assert.deepEqual(readingSeqs(batch.messages(), d), expected, `${d}: each reading once, in order (batch)`);
    assert.deepEqual(readingSeqs(single.messages(), d), expected, `${d}: each reading once, in order (single)`);
  }
  assert.deepEqual(readingSeqs(some.messages(), 'lf-b'), expected);
  assert.deepEqual(readingSeqs(some.messages(), 'lf-a'), [], 'a client gets only the devices it subscribed to');

  const batchFrames = batch.frames.filter((f) => f.type === 'batch');
  assert.ok(
    batchFrames.every((f) => f.type === 'batch' && f.messages.length > 0),
    'no empty batch',
  );
  assert.ok(
    batch.frames.every((f) => f.type !== 'readings'),
    'a batch client gets no lone readings message',
  );
  const readingsCount = devices.length * perDevice;
  assert.ok(batchFrames.length < readingsCount / 10, `${batchFrames.length} batch frames for ${readingsCount} readings`);
  assert.ok(single.frames.filter((f) => f.type === 'readings').length === readingsCount, 'single: one WebSocket message per reading');
  // The device appeared on this commit path: its device message precedes its first reading.
  const msgs = batch.messages();
  const firstDevice = msgs.findIndex((m) => m.type === 'device' && m.device === 'lf-a');
  const firstReading = msgs.findIndex((m) => m.type === 'readings' && m.device === 'lf-a');
  assert.ok(firstDevice >= 0 && firstDevice < firstReading, 'device state before its first reading, as it happened');

  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  const sent = Number(/^fieldscope_live_messages_sent_total (\d+)/m.exec(metrics)?.[1]);
  assert.ok(sent >= 2 * readingsCount + perDevice, `messages counted as sent: ${sent}`);
  batch.close();
  some.close();
  single.close();
});

test('frames other than single or batch are refused at the upgrade, naming the parameter', async () => {
  const res = await fetch(`${app.httpUrl}/api/v1/live?frames=lines`);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /frames/);
});
