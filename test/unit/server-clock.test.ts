import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerClock } from '../../src/pipeline/server-clock.js';

test('stamps are strictly increasing per device within one millisecond, a microsecond apart, and follow the wall clock after', () => {
  const clock = new ServerClock();
  const now = 1_700_000_000_000;
  assert.deepEqual(
    [1, 2, 3].map(() => clock.stamp('a', now)),
    [now, now + 0.001, now + 0.002],
  );
  // Another device has its own stamps.
  assert.equal(clock.stamp('b', now), now);
  // The wall clock has moved on by a whole ms: a burst of three ran ahead by 2 µs only.
  assert.equal(clock.stamp('a', now + 1), now + 1);
  // Steps add exactly: the 1,001st stamp in one ms is one ms later, not a rounding error away.
  for (let i = 0; i < 1000; i++) clock.stamp('c', now);
  assert.equal(clock.stamp('c', now), now + 1);
});

test('a burst of 2,000 stamps within one ms stays distinct and within 2 ms of the wall clock', () => {
  const clock = new ServerClock();
  const now = 1_700_000_000_000;
  const stamps = Array.from({ length: 2000 }, () => clock.stamp('a', now));
  assert.equal(new Set(stamps).size, 2000);
  assert.ok(stamps[1999] < now + 2);
});

test('the step is the store resolution', () => {
  const clock = new ServerClock(1);
  assert.deepEqual([clock.stamp('a', 10), clock.stamp('a', 10)], [10, 11]);
});

test('seeded from the newest stored reading, a restart right after a burst cannot reuse a stamp', () => {
  const clock = new ServerClock();
  const now = 1_700_000_000_000;
  clock.seed('a', now + 500, now);
  assert.equal(clock.stamp('a', now), now + 500.001);
  // A device whose own clock runs an hour ahead is not followed.
  clock.seed('b', now + 3_600_000, now);
  assert.equal(clock.stamp('b', now), now);
});
