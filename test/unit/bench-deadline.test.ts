// The fleet bench's rounds run under a deadline (bench/lib/deadline.ts): a round that never ends
// must fail with a message naming the step it was in, and one that ends must pass its answer through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineError, withDeadline } from '../../bench/lib/deadline.js';

test('a step that never finishes fails with a message naming the step; one that finishes answers', async () => {
  let step = 'opening the page';
  const never = new Promise<number>(() => {});
  const failing = withDeadline(never, 20, () => `card grid round 1: no answer while ${step}`);
  step = 'scrolling';
  await assert.rejects(failing, (e: unknown) => e instanceof DeadlineError && e.message === 'card grid round 1: no answer while scrolling');
  assert.equal(await withDeadline(Promise.resolve(7), 60_000, () => 'unused'), 7);
  await assert.rejects(
    withDeadline(Promise.reject(new Error('page crashed')), 60_000, () => 'unused'),
    (e: unknown) => !(e instanceof DeadlineError) && (e as Error).message === 'page crashed',
  );
});
