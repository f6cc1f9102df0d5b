// The live hub with a client that does not keep up: its messages wait in a bounded queue of its
// own, in order, and go out when it catches up; past the bound it is closed with 4008, the messages
// counted as dropped. The socket here reports the unsent bytes the test sets (what a browser that
// stopped reading leaves in a real one); the hub, registry and metrics are the real ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { LiveHub, LIVE_TOO_SLOW } from '../../src/api/live.js';
import { DeviceRegistry } from '../../src/devices/registry.js';
import { ProfileRegistry } from '../../src/profiles/profiles.js';
import { createMetrics } from '../../src/metrics.js';
import type { Message } from '../../src/model/reading.js';
import type { LiveServerMessage } from '../../src/model/live.js';

class SlowSocket extends EventEmitter {
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code: number; reason: string } | null = null;
  send(text: string) {
    this.sent.push(text);
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
    this.emit('close');
  }
  /** Every message received, batches opened. */
  messages(): LiveServerMessage[] {
    return this.sent.flatMap((t) => {
      const m = JSON.parse(t) as LiveServerMessage;
      return m.type === 'batch' ? m.messages : [m];
    });
  }
}

function hub() {
  const metrics = createMetrics();
  const live = new LiveHub({ devices: new DeviceRegistry({ offlineAfterMs: 60_000, profiles: new ProfileRegistry() }), metrics, version: 'test' });
  return { live, metrics };
}

function client(live: LiveHub, frames: 'batch' | 'single') {
  const s = new SlowSocket();
  live.add(s as unknown as WebSocket, undefined, frames);
  s.emit('message', Buffer.from(JSON.stringify({ op: 'subscribe', devices: '*' })));
  s.sent = [];
  return s;
}

const msgs = (from: number, n: number, values: Record<string, number> = { x: 1 }): Message[] =>
  Array.from({ length: n }, (_, i) => ({ device: `d${(from + i) % 3}`, ts: 1_700_000_000_000 + from + i, seq: from + i, values }) as Message);
const seqs = (s: SlowSocket) => s.messages().flatMap((m) => (m.type === 'readings' ? [m.seq] : []));
const counter = async (metrics: ReturnType<typeof createMetrics>, reason: string) =>
  (await metrics.liveDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

for (const frames of ['batch', 'single'] as const) {
  test(`${frames}: a backed-up client gets nothing until it catches up, then everything held, in order, once`, async () => {
    const { live } = hub();
    const fast = client(live, frames);
    const slow = client(live, frames);
    live.readings(msgs(0, 10));
    slow.bufferedAmount = 5 * 1024 * 1024;
    live.readings(msgs(10, 10));
    live.readings(msgs(20, 10));
    assert.deepEqual(seqs(slow), [...Array(10).keys()], 'held while backed up');
    slow.bufferedAmount = 0;
    live.readings(msgs(30, 5));
    const all = [...Array(35).keys()];
    assert.deepEqual(seqs(slow), all, 'the held ones first, then the new, each once');
    assert.deepEqual(seqs(fast), all);
    if (frames === 'batch') assert.equal(fast.sent.length, 4, 'one WebSocket message per commit');
    else assert.equal(fast.sent.length, 35);
    live.closeAll();
  });
}

test('held messages go out when the socket drains even if nothing new comes', async () => {
  const { live } = hub();
  const slow = client(live, 'batch');
  slow.bufferedAmount = 5 * 1024 * 1024;
  live.readings(msgs(0, 10));
  assert.deepEqual(seqs(slow), []);
  slow.bufferedAmount = 0;
  const deadline = Date.now() + 5000;
  while (seqs(slow).length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seqs(slow), [...Array(10).keys()]);
  live.closeAll();
});

test('a client whose queue passes its bound is closed with 4008 and a reason, its messages counted as dropped; others go on', async () => {
  const { live, metrics } = hub();
  const fast = client(live, 'batch');
  const slow = client(live, 'batch');
  slow.bufferedAmount = 5 * 1024 * 1024;
  // ~1 kB per message: past the 2 MiB queue bound within 3,000 messages.
  const big = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`metric_${i}`, 1.2345 + i]));
  let sent = 0;
  while (!slow.closed && sent < 10_000) {
    live.readings(msgs(sent, 100, big));
    sent += 100;
  }
  assert.ok(slow.closed, 'closed');
  assert.equal(slow.closed.code, LIVE_TOO_SLOW);
  const n = Number(/too slow: (\d+) live messages not sent/.exec(slow.closed.reason)?.[1]);
  assert.ok(n > 0 && n <= sent, slow.closed.reason);
  assert.ok(Buffer.byteLength(slow.closed.reason) <= 123, 'fits a close frame');
  assert.equal(await counter(metrics, 'slow_client'), n);
  assert.deepEqual(seqs(slow), [], 'nothing reached the slow client');
  assert.equal(seqs(fast).length, sent, 'the other client got every message');
  // Closed: no longer held or sent to, so its memory is not kept.
  live.readings(msgs(sent, 10));
  assert.deepEqual(seqs(slow), []);
  assert.equal((await metrics.liveClients.get()).values[0].value, 1);
  live.closeAll();
});

test('messages held for a client that goes away are counted as dropped', async () => {
  const { live, metrics } = hub();
  const slow = client(live, 'single');
  slow.bufferedAmount = 5 * 1024 * 1024;
  live.readings(msgs(0, 7));
  slow.emit('close');
  assert.equal(await counter(metrics, 'closed'), 7);
  live.closeAll();
});
