import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepWindow } from '../../src/models/step-window.js';

/** The flat steps x features rows back as [step][feature] (2 features). */
const plain = (s: { rows: Float64Array; times: Float64Array }) => ({
  rows: Array.from({ length: s.rows.length / 2 }, (_, i) => [s.rows[2 * i], s.rows[2 * i + 1]]),
  times: [...s.times],
});
/** Steps from..to as pushed below: step k is [k, 10k] at time 100k. */
const stepsOf = (from: number, to: number) => {
  const ks = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
  return { rows: ks.map((k) => [k, 10 * k]), times: ks.map((k) => 100 * k) };
};

test('a step window keeps the last N steps oldest first, and a copy taken does not move with it', () => {
  const w = new StepWindow(3, 2);
  const push = (k: number) => w.push([k, 10 * k], 100 * k);
  assert.equal(w.length, 0);
  assert.deepEqual(plain(w.steps()), stepsOf(1, 0));
  push(1);
  push(2);
  assert.deepEqual(plain(w.steps()), stepsOf(1, 2));
  for (let k = 3; k <= 5; k++) push(k);
  assert.equal(w.length, 3);
  const taken = w.steps();
  assert.deepEqual(plain(taken), stepsOf(3, 5));
  // Around the ring once more: the copy taken before is unchanged.
  for (let k = 6; k <= 10; k++) push(k);
  assert.deepEqual(plain(w.steps()), stepsOf(8, 10));
  // Every position of the ring's start: the two runs (to the end, then from the start) joined in order.
  for (let k = 11; k <= 14; k++) {
    push(k);
    assert.deepEqual(plain(w.steps()), stepsOf(k - 2, k));
  }
  assert.deepEqual(plain(taken), stepsOf(3, 5));
});
