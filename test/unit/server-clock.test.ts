import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerClock } from '../../src/pipeline/server-clock.js';

test('stamps are strictly increasing per device within one millisecond, and follow the wall clock after', () => {
  const clock = new ServerClock();
  const now = 1_700_000_000_000;
  assert.deepEqual(
    [1, 2, 3].map(() => clock.stamp('a', now)),
    [now, now + 1, now + 2],
  );
  // Another device has its own stamps.
  assert.equal(clock.stamp('b', now), now);
  // The wall clock has not caught up: still above the last stamp.
  assert.equal(clock.stamp('a', now + 1), now + 3);
  // It has: the wall clock again.
  assert.equal(clock.stamp('a', now + 50), now + 50);
});

test('the step is the store resolution', () => {
  const clock = new ServerClock(0.001);
  assert.deepEqual([clock.stamp('a', 10), clock.stamp('a', 10)], [10, 10.001]);
});

test('seeded from the newest stored reading, a restart right after a burst cannot reuse a stamp', () => {
  const clock = new ServerClock();
  const now = 1_700_000_000_000;
  clock.seed('a', now + 500, now);
  assert.equal(clock.stamp('a', now), now + 501);
  // A device whose own clock runs an hour ahead is not followed.
  clock.seed('b', now + 3_600_000, now);
  assert.equal(clock.stamp('b', now), now);
});
