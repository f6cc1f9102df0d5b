import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesBuffer, rowsFromSeries } from '../../web/src/state/series-buffer.js';
import { formatInstant } from '../../web/src/state/format.js';

// The dashboard with a 2 kHz sensor: times arrive as epoch ms with a fraction (0.5 ms apart).
const T = Date.UTC(2025, 3, 26, 9, 0, 0);

test('the chart buffer keeps 2 kHz samples apart and merges history and live at the same fractional ms', () => {
  const b = new SeriesBuffer(10_000);
  // Live frames, parsed from the feed's JSON as the browser parses them.
  for (let i = 0; i < 2000; i++) {
    const f = JSON.parse(JSON.stringify({ ts: T + i * 0.5, values: { normal: i } })) as { ts: number; values: Record<string, number> };
    b.push(f.ts, f.values);
  }
  assert.equal(b.length, 2000);
  // The same instants from the history API (another metric): merged into the rows, none doubled.
  const history = JSON.parse(JSON.stringify({ unbalance: { ts: Array.from({ length: 2000 }, (_, i) => T + i * 0.5), value: Array(2000).fill(7) } }));
  b.merge(rowsFromSeries(history));
  assert.equal(b.length, 2000);
  assert.deepEqual(b.rows()[1], { ts: T + 0.5, values: { normal: 1, unbalance: 7 } });
  const [x] = b.toAligned(['normal']);
  assert.ok(x.every((t, i) => i === 0 || t > x[i - 1]));
});

test('rowsFromSeries joins metrics on the same µs, not on the same ms', () => {
  const rows = rowsFromSeries({ a: { ts: [T, T + 0.5], value: [1, 2] }, b: { ts: [T + 0.5, T + 1], value: [3, 4] } });
  assert.deepEqual(rows, [
    { ts: T, values: { a: 1 } },
    { ts: T + 0.5, values: { a: 2, b: 3 } },
    { ts: T + 1, values: { b: 4 } },
  ]);
});

test("the tooltip's time shows the fraction of a second to the µs, and nothing more for a whole second", () => {
  assert.match(formatInstant(T + 0.5, 'en-US', 'UTC'), /9:00:00\.000500/);
  assert.match(formatInstant(T + 123.456, 'en-US', 'UTC'), /9:00:00\.123456/);
  assert.match(formatInstant(T + 250, 'en-US', 'UTC'), /9:00:00\.250(?!\d)/);
  assert.equal(formatInstant(T, 'en-US', 'UTC'), new Date(T).toLocaleString('en-US', { timeZone: 'UTC' }));
});
