import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepWindow } from '../../src/models/step-window.js';

const plain = (s: { rows: Float64Array[]; times: Float64Array }) => ({ rows: s.rows.map((r) => [...r]), times: [...s.times] });
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
  assert.deepEqual(plain(taken), stepsOf(3, 5));
});
