import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepWindow } from '../../src/models/step-window.js';

const plain = (s: { rows: Float64Array[]; times: Float64Array }) => ({ rows: s.rows.map((r) => [...r]), times: [...s.times] });

test('a step window keeps the last N steps oldest first, and a copy taken does not move with it', () => {
  const w = new StepWindow(3, 2);
  assert.equal(w.length, 0);
  assert.deepEqual(plain(w.steps()), { rows: [], times: [] });
  w.push([1, 10], 100);
  w.push([2, 20], 200);
  assert.deepEqual(plain(w.steps()), {
    rows: [
      [1, 10],
      [2, 20],
    ],
    times: [100, 200],
  });
  w.push([3, 30], 300);
  w.push([4, 40], 400);
  w.push([5, 50], 500);
  assert.equal(w.length, 3);
  const taken = w.steps();
  assert.deepEqual(plain(taken), {
    rows: [
      [3, 30],
      [4, 40],
      [5, 50],
    ],
    times: [300, 400, 500],
  });
  // Around the ring once more: the copy taken before is unchanged.
  for (let i = 6; i <= 10; i++) w.push([i, i * 10], i * 100);
  assert.deepEqual(plain(w.steps()), {
    rows: [
      [8, 80],
      [9, 90],
      [10, 100],
    ],
    times: [800, 900, 1000],
  });
  assert.deepEqual(plain(taken), {
    rows: [
      [3, 30],
      [4, 40],
      [5, 50],
    ],
    times: [300, 400, 500],
  });
});
