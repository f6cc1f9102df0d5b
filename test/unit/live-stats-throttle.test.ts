// throttlePerKey (src/analytics/live-stats.ts) feeds the live hub's per-device stats. The hub sends
// what one event-loop turn queued as one WebSocket message; held-back stats used to come out of one
// timer per device, so 5,000 devices were 5,000 turns and 5,000 messages a second to every browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { throttlePerKey } from '../../src/analytics/live-stats.js';

/** Calls through `throttlePerKey` and records how many arrived in each event-loop turn (as the hub groups them). */
function grouped(intervalMs: number) {
  const turns: string[][] = [];
  let current: string[] | null = null;
  const t = throttlePerKey<string>(intervalMs, (v) => {
    if (!current) {
      current = [];
      turns.push(current);
      // Like LiveHub.broadcast: what this turn queued is flushed in a microtask.
      queueMicrotask(() => (current = null));
    }
    current.push(v);
  });
  return { t, turns };
}

test('throttlePerKey: values held back for many keys are delivered in one turn, not one per key', async () => {
  const { t, turns } = grouped(60);
  const keys = Array.from({ length: 200 }, (_, i) => `dev-${i}`);
  for (const k of keys) t.push(k, `${k}:1`);
  assert.equal(turns.length, 1, 'the first values pass at once, in the caller turn');
  assert.equal(turns[0].length, 200);
  // A second value for each key within the interval is held back...
  for (const k of keys) t.push(k, `${k}:2`);
  // ...and replaced by a later one (the latest wins).
  for (const k of keys) t.push(k, `${k}:3`);
  assert.equal(turns.length, 1, 'nothing more before the interval is up');
  await new Promise((r) => setTimeout(r, 400));
  const later = turns.slice(1);
  assert.deepEqual(later.flat().sort(), keys.map((k) => `${k}:3`).sort(), 'each key once more, with its latest value');
  // All 200 were due at the same moment: one or two turns (a grid boundary), never one per key.
  assert.ok(later.length <= 2, `held-back values came out in ${later.length} turns`);
  t.stop();
});

test('throttlePerKey: never more often than the interval per key', async () => {
  const calls: { v: string; at: number }[] = [];
  const t = throttlePerKey<string>(80, (v) => calls.push({ v, at: Date.now() }), 30);
  const end = Date.now() + 500;
  let i = 0;
  while (Date.now() < end) {
    t.push('a', `a${i++}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 200));
  t.stop();
  assert.ok(calls.length >= 2, `${calls.length} calls`);
  for (let k = 1; k < calls.length; k++) assert.ok(calls[k].at - calls[k - 1].at >= 79, `calls ${calls[k - 1].at} and ${calls[k].at} closer than the interval`);
  assert.equal(calls[calls.length - 1].v, `a${i - 1}`, 'the last value pushed is delivered');
});
