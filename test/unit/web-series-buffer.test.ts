import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesBuffer, rowsFromSeries } from '../../web/src/state/series-buffer.js';

const tsOf = (b: SeriesBuffer) => b.rows().map((r) => r.ts);

test('appends in order and exposes aligned columns with nulls for missing metrics', () => {
  const b = new SeriesBuffer(10);
  b.push(1000, { v: 5, a: 1 });
  b.push(2000, { v: 5.1 });
  assert.deepEqual(b.toAligned(['v', 'a', 'w']), [
    [1000, 2000],
    [5, 5.1],
    [1, null],
    [null, null],
  ]);
  assert.deepEqual(b.metrics(), ['v', 'a']);
});

test('never holds more than its capacity: the oldest rows make room', () => {
  const b = new SeriesBuffer(100);
  for (let i = 0; i < 10_000; i++) b.push(i, { x: i });
  assert.equal(b.length, 100);
  assert.equal(b.firstTs(), 9900);
  assert.equal(b.lastTs(), 9999);
  const [x, y] = b.toAligned(['x']);
  assert.equal(x.length, 100);
  assert.deepEqual(x, y);
  assert.ok(x.every((t, i) => i === 0 || t > x[i - 1]));
});

test('a row with a timestamp already held is merged, not duplicated', () => {
  const b = new SeriesBuffer(10);
  b.push(1000, { v: 5 });
  b.push(2000, { v: 6 });
  assert.equal(b.push(1000, { a: 2 }), true);
  assert.deepEqual(b.rows(), [
    { ts: 1000, values: { v: 5, a: 2 } },
    { ts: 2000, values: { v: 6 } },
  ]);
});

test('a late row is inserted in order', () => {
  const b = new SeriesBuffer(10);
  for (const t of [1000, 3000, 4000]) b.push(t, { v: t });
  b.push(2000, { v: 2000 });
  b.push(500, { v: 500 });
  assert.deepEqual(tsOf(b), [500, 1000, 2000, 3000, 4000]);
  assert.deepEqual(b.toAligned(['v'])[1], [500, 1000, 2000, 3000, 4000]);
});

test('a late row in a full buffer pushes out the oldest, or is dropped if older than all', () => {
  const b = new SeriesBuffer(3);
  for (const t of [10, 20, 30]) b.push(t, { v: t });
  assert.equal(b.push(5, { v: 5 }), false);
  assert.deepEqual(tsOf(b), [10, 20, 30]);
  assert.equal(b.push(25, { v: 25 }), true);
  assert.deepEqual(tsOf(b), [20, 25, 30]);
  assert.equal(b.length, 3);
});

test('inserting across the ring wrap keeps order and values', () => {
  const b = new SeriesBuffer(5);
  for (let t = 1; t <= 8; t++) b.push(t * 10, { v: t * 10 }); // head has wrapped
  b.push(65, { v: 65 });
  assert.deepEqual(tsOf(b), [50, 60, 65, 70, 80]);
  assert.deepEqual(b.toAligned(['v'])[1], [50, 60, 65, 70, 80]);
});

test('history merged after live points: no duplicates, ascending, live values kept', () => {
  const b = new SeriesBuffer(100);
  // Live points arrive while the history request is in flight...
  b.push(5000, { v: 5.05, a: 0.5 });
  b.push(6000, { v: 5.06, a: 0.6 });
  // ...and the history overlaps them (same instants, possibly fewer metrics).
  const history = rowsFromSeries({
    v: { ts: [1000, 2000, 3000, 4000, 5000], value: [5.01, 5.02, 5.03, 5.04, 5.05] },
    a: { ts: [1000, 3000, 5000], value: [0.1, 0.3, 0.5] },
  });
  b.merge(history);
  assert.deepEqual(tsOf(b), [1000, 2000, 3000, 4000, 5000, 6000]);
  assert.deepEqual(b.toAligned(['v', 'a']), [
    [1000, 2000, 3000, 4000, 5000, 6000],
    [5.01, 5.02, 5.03, 5.04, 5.05, 5.06],
    [0.1, null, 0.3, null, 0.5, 0.6],
  ]);
  // Merging the same history again changes nothing.
  b.merge(history);
  assert.equal(b.length, 6);
});

test('merge fills metrics a held row lacks, and held values win on conflict', () => {
  const b = new SeriesBuffer(10);
  b.push(1000, { v: 1 });
  b.merge([{ ts: 1000, values: { v: 99, a: 2 } }]);
  assert.deepEqual(b.rows(), [{ ts: 1000, values: { v: 1, a: 2 } }]);
});

test('merge keeps only the newest capacity rows', () => {
  const b = new SeriesBuffer(4);
  b.push(100, { v: 100 });
  b.merge([10, 20, 30, 40, 50].map((ts) => ({ ts, values: { v: ts } })));
  assert.deepEqual(tsOf(b), [30, 40, 50, 100]);
  b.push(110, { v: 110 });
  assert.deepEqual(tsOf(b), [40, 50, 100, 110]);
});

test('merge of unordered rows sorts them; live pushes after merge stay ordered', () => {
  const b = new SeriesBuffer(10);
  b.merge([30, 10, 20].map((ts) => ({ ts, values: { v: ts } })));
  b.push(40, { v: 40 });
  b.push(15, { v: 15 });
  assert.deepEqual(tsOf(b), [10, 15, 20, 30, 40]);
});

test('trimBefore drops rows older than the window', () => {
  const b = new SeriesBuffer(10);
  for (const t of [1, 2, 3, 4, 5]) b.push(t, { v: t });
  const v = b.version;
  assert.equal(b.trimBefore(3), 2);
  assert.deepEqual(tsOf(b), [3, 4, 5]);
  assert.ok(b.version > v);
  assert.equal(b.trimBefore(0), 0);
});

test('a slot reused by the ring does not leak an old value into a new row', () => {
  const b = new SeriesBuffer(2);
  b.push(1, { v: 1, a: 1 });
  b.push(2, { v: 2 });
  b.push(3, { v: 3 }); // reuses the slot that held a=1
  assert.deepEqual(b.toAligned(['v', 'a']), [
    [2, 3],
    [2, 3],
    [null, null],
  ]);
});

test('non-finite timestamps are refused; capacity must be positive', () => {
  const b = new SeriesBuffer(3);
  assert.equal(b.push(NaN, { v: 1 }), false);
  assert.equal(b.length, 0);
  assert.throws(() => new SeriesBuffer(0), RangeError);
});

test('rowsFromSeries groups metrics by timestamp, ascending', () => {
  assert.deepEqual(
    rowsFromSeries({
      v: { ts: [2, 1], value: [20, 10] },
      w: { ts: [2, 3], value: [200, 300] },
    }),
    [
      { ts: 1, values: { v: 10 } },
      { ts: 2, values: { v: 20, w: 200 } },
      { ts: 3, values: { w: 300 } },
    ],
  );
});
