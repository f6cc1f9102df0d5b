import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statsOf, statsFromSums } from '../../src/stores/stats.js';

const close = (a: number | null, b: number, what: string, rel = 1e-12) =>
  assert.ok(a !== null && Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} != ${b}`);

test('statistics of huge values (1e155 and up) are finite: scaled, not squared into Infinity', () => {
  const s = statsOf([1e155, 2e155]);
  close(s.avg, 1.5e155, 'avg');
  close(s.stddev, Math.SQRT1_2 * 1e155, 'stddev');
  const top = statsOf([1.6e308, 1.7e308]);
  close(top.avg, 1.65e308, 'avg at the top of the range (the sum overflows)');
  close(top.stddev, Math.SQRT1_2 * 0.1e308, 'stddev at the top of the range');
});

test('statistics keep their precision with a large offset and a small spread', () => {
  const values = [1e9 + 0.001, 1e9 + 0.002, 1e9 + 0.003];
  // The spread of the doubles actually held (1e9 + 0.001 is not exact), from exact differences.
  const d = values.map((v) => v - 1e9);
  const m = (d[0] + d[1] + d[2]) / 3;
  const expected = Math.sqrt(d.reduce((a, x) => a + (x - m) ** 2, 0) / 2);
  // Doubles near 1e9 hold deviations of 1e-3 to about 4 digits, with or without scaling.
  close(statsOf(values).stddev, expected, 'stddev', 1e-3);
  assert.deepEqual(statsOf([0, 0, 0]).stddev, 0);
  assert.equal(statsOf([5]).stddev, null);
});

test('statistics from sums that overflowed give no stddev instead of NaN (which answered 500)', () => {
  const s = statsFromSums({ min: 1e155, max: 2e155, sum: 3e155, sumSq: Infinity, count: 2 });
  assert.equal(s.stddev, null);
  assert.equal(s.count, 2);
  assert.ok(!Number.isNaN(s.avg));
  const ok = statsFromSums({ min: 1, max: 3, sum: 6, sumSq: 14, count: 3 });
  close(ok.stddev, 1, 'stddev from sums');
});
