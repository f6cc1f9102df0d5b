import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolling, zOutliers } from '../../web/src/state/overlays.js';

test('rolling mean covers every point of the range, from the first one on', () => {
  const x = [0, 1000, 2000, 3000, 4000];
  const v = [1, 2, 3, 4, 5];
  assert.deepEqual(rolling(x, v, v, v, 'ma', 2000), [1, 1.5, 2.5, 3.5, 4.5]);
  // Gaps (null) are skipped, not counted as zero.
  assert.deepEqual(rolling(x, [1, null, 3, null, 5], v, v, 'ma', 2500), [1, 1, 2, 3, 4]);
});

test('rolling min/max over a time window; a bucket as wide as the window gives its own rollup', () => {
  const x = [0, 1000, 2000, 3000, 4000, 5000];
  const lo = [5, 3, 4, 9, 8, 7];
  const hi = [6, 4, 8, 10, 9, 7];
  assert.deepEqual(rolling(x, lo, lo, hi, 'min', 3000), [5, 3, 3, 3, 4, 7]);
  assert.deepEqual(rolling(x, lo, lo, hi, 'max', 3000), [6, 6, 8, 10, 10, 10]);
  // Hour buckets under a 1-minute window: each point is its bucket's own min / max / avg.
  const hx = [0, 3_600_000, 7_200_000];
  assert.deepEqual(rolling(hx, [2, 3, 4], [1, 2, 3], [5, 6, 7], 'min', 60_000), [1, 2, 3]);
  assert.deepEqual(rolling(hx, [2, 3, 4], [1, 2, 3], [5, 6, 7], 'max', 60_000), [5, 6, 7]);
  assert.deepEqual(rolling(hx, [2, 3, 4], [1, 2, 3], [5, 6, 7], 'ma', 60_000), [2, 3, 4]);
});

test('zOutliers marks values more than z standard deviations from the mean', () => {
  const v: (number | null)[] = Array.from({ length: 50 }, (_, i) => 10 + (i % 3) * 0.1);
  v[20] = 30;
  v[30] = null;
  assert.deepEqual(zOutliers(v, 3), [20]);
  assert.deepEqual(zOutliers([1, 2, 3]), [], 'too few values to judge');
  assert.deepEqual(zOutliers(Array(20).fill(4)), [], 'no spread, no outliers');
});
