// The fleet table's row pool (web/src/state/row-window.ts): which rows are in the DOM and which
// recycled element shows which. Scrolling by a row must rewrite one element, not all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSlots, visibleRange } from '../../web/src/state/row-window.js';

test('visibleRange: the rows on screen plus the overscan, clamped to the list', () => {
  assert.deepEqual(visibleRange(0, 360, 36, 5000, 8), { start: 0, end: 18 });
  assert.deepEqual(visibleRange(36 * 100, 360, 36, 5000, 8), { start: 92, end: 118 });
  assert.deepEqual(visibleRange(36 * 100 + 12, 360, 36, 5000, 8), { start: 92, end: 119 });
  assert.deepEqual(visibleRange(36 * 4990, 360, 36, 5000, 8), { start: 4982, end: 5000 });
  assert.deepEqual(visibleRange(0, 360, 36, 0, 8), { start: 0, end: 0 });
  assert.deepEqual(visibleRange(-50, 360, 36, 3, 8), { start: 0, end: 3 });
});

test('assignSlots: rows that stay keep their element; a row scrolled in takes the element of the one scrolled out', () => {
  let made = 0;
  const create = () => ({ index: -1, id: made++ });
  const first = assignSlots([], 10, 20, create);
  assert.equal(made, 10);
  assert.deepEqual(
    first.order.map((s) => s.index),
    Array.from({ length: 10 }, (_, i) => 10 + i),
  );
  const byIndex = new Map(first.order.map((s) => [s.index, s.id]));
  // One row down: one element changes rows (10 -> 20), the nine others are untouched.
  const next = assignSlots(first.order, 11, 21, create);
  assert.equal(made, 10, 'no element made');
  assert.equal(next.reassigned.length, 1);
  assert.equal(next.reassigned[0].id, byIndex.get(10));
  assert.equal(next.reassigned[0].index, 20);
  for (const s of next.order.slice(0, 9)) assert.equal(s.id, byIndex.get(s.index), `row ${s.index} kept its element`);
  assert.deepEqual(
    next.order.map((s) => s.index),
    Array.from({ length: 10 }, (_, i) => 11 + i),
    'in row order',
  );
  // A jump far away: every element recycled, none made.
  const jump = assignSlots(next.order, 4000, 4010, create);
  assert.equal(made, 10);
  assert.equal(jump.reassigned.length, 10);
  // The range shrinks (a filter left 4 rows): the rest are handed back.
  const shrink = assignSlots(jump.order, 0, 4, create);
  assert.equal(shrink.order.length, 4);
  assert.equal(shrink.spare.length, 6);
  // It grows: the spare are not reused (the caller dropped them), new ones are made.
  const grow = assignSlots(shrink.order, 0, 6, create);
  assert.equal(made, 12);
  assert.equal(grow.order.length, 6);
});
