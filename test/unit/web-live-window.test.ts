import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EarlyWindow } from '../../web/src/state/live-window.js';
import type { TelemetryResponse } from '../../src/model/telemetry.js';

const answer = (device: string) => Promise.resolve({ device, series: {} } as unknown as TelemetryResponse);

test('an early live window is taken once, for its device and window, while fresh', async () => {
  let now = 1_000;
  const w = new EarlyWindow(10_000, () => now);
  assert.equal(w.take('a', 60_000), null, 'nothing held');

  w.hold('a', 60_000, answer('a'));
  assert.equal(w.take('b', 60_000), null, 'another device');
  assert.equal(w.take('a', 60_000), null, 'a miss lets the held answer go: a page opened later asks itself');

  w.hold('a', 60_000, answer('a'));
  assert.equal(w.take('a', 30_000), null, 'another window');

  w.hold('a', 60_000, answer('a'));
  const taken = w.take('a', 60_000);
  assert.ok(taken);
  assert.equal(((await taken) as unknown as { device: string }).device, 'a');
  assert.equal(w.take('a', 60_000), null, 'taken once');

  w.hold('a', 60_000, answer('a'));
  now += 10_001;
  assert.equal(w.take('a', 60_000), null, 'stale');
});

test('an early live window that fails is not an unhandled rejection, and the page sees the failure if it takes it', async () => {
  const w = new EarlyWindow();
  w.hold('a', 60_000, Promise.reject(new Error('503 read_time_limit')));
  // Lets an unhandled rejection surface, were there one.
  await new Promise((r) => setImmediate(r));
  await assert.rejects(w.take('a', 60_000)!, /503/);
});
