import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, record, spread, NOISE_FLOOR, type RecordedFigure } from '../../bench/lib/compare.js';
import type { Figure } from '../../bench/lib/report.js';

const fig = (id: string, unit: string, runs: number[], baseline?: number[]): Figure => {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const f: Figure = { id, name: id, unit, runs, value: med(runs) };
  if (baseline) {
    f.baseline = { name: 'b', runs: baseline, value: med(baseline) };
    f.ratio = unit.endsWith('/s') ? f.value / f.baseline.value : f.baseline.value / f.value;
  }
  return f;
};
const rec = (f: Figure): RecordedFigure => ({ ...f, when: '2026-11-20T00:00:00Z' });

test('a rate that fell beyond its repeats is worse; one that moved within them is noise', () => {
  const before = rec(fig('ingest', 'msg/s', [1000, 1010, 990]));
  const [worse] = compare([fig('ingest', 'msg/s', [700, 710, 690])], [before]);
  assert.equal(worse.verdict, 'worse');
  assert.ok(Math.abs(worse.gain - (700 / 1000 - 1)) < 1e-9);
  const [same] = compare([fig('ingest', 'msg/s', [950, 1050, 1000])], [before]);
  assert.equal(same.verdict, 'within noise');
  // Repeats that spread widely widen the band: a 30% move among runs spread 50% is noise.
  const [wide] = compare([fig('ingest', 'msg/s', [500, 1300, 1300])], [rec(fig('ingest', 'msg/s', [800, 1000, 1200]))]);
  assert.equal(wide.verdict, 'within noise');
  assert.ok(wide.noise >= spread([500, 1300, 1300]) - 1e-12);
});

test('times are better lower; the ratio to the same-run baseline is compared when both runs have one', () => {
  const [faster] = compare([fig('history', 'ms', [3, 3, 3])], [rec(fig('history', 'ms', [6, 6, 6]))]);
  assert.deepEqual([faster.verdict, faster.compared], ['better', 'value']);
  // The machine got twice as slow for both: the value halves but the ratio holds, so nothing changed.
  const [held] = compare([fig('ingest', 'msg/s', [500, 500, 500], [1000, 1000, 1000])], [rec(fig('ingest', 'msg/s', [1000, 1000, 1000], [2000, 2000, 2000]))]);
  assert.deepEqual([held.compared, held.verdict], ['ratio', 'within noise']);
  const [p99] = compare([fig('latency', 'ms', [4, 4, 4], [2, 2, 2])], [rec(fig('latency', 'ms', [2, 2, 2], [2, 2, 2]))]);
  assert.deepEqual([p99.compared, p99.verdict], ['ratio', 'worse']);
});

test('the noise band never goes under the floor; figures never recorded or failed are left out; record replaces by id', () => {
  const [c] = compare([fig('x', 'msg/s', [105])], [rec(fig('x', 'msg/s', [100]))]);
  assert.equal(c.noise, NOISE_FLOOR);
  assert.equal(c.verdict, 'within noise');
  assert.deepEqual(compare([fig('new', 'ms', [1]), { ...fig('x', 'ms', [1]), value: NaN }], [rec(fig('x', 'ms', [1]))]), []);
  const next = record([rec(fig('a', 'ms', [1])), rec(fig('b', 'ms', [2]))], [fig('b', 'ms', [3]), { ...fig('c', 'ms', [1]), value: NaN }], 'now');
  assert.deepEqual(
    next.map((f) => [f.id, f.value, f.when]),
    [
      ['a', 1, '2026-11-20T00:00:00Z'],
      ['b', 3, 'now'],
    ],
  );
});

test('a recorded figure of a benchmark that ran but did not give it is named, not left out', async () => {
  const { notMeasured } = await import('../../bench/lib/compare.js');
  const recorded = [
    { ...rec(fig('fleet-table-p95', 'ms', [30, 33], [900, 1000])), bench: 'fleet' },
    { ...rec(fig('ingest', 'msg/s', [1000, 1010, 990])), bench: 'ingest' },
  ];
  // fleet ran and was stopped (a NOT-measured row); ingest did not run at all (--only).
  const now: Figure[] = [{ id: 'fleet', name: 'fleet: NOT measured', value: NaN, unit: '', runs: [], bench: 'fleet' }];
  const rows = notMeasured(now, recorded, ['fleet']);
  assert.deepEqual(
    rows.map((r) => [r.id, r.verdict]),
    [['fleet-table-p95', 'not measured']],
  );
  assert.equal(notMeasured([{ ...fig('fleet-table-p95', 'ms', [31, 32], [950, 990]), bench: 'fleet' }], recorded, ['fleet']).length, 0);
});

test("a ratio whose baseline ran fewer times takes both sides' spreads as its noise", async () => {
  const { ratioSpread } = await import('../../bench/lib/compare.js');
  // history: 21 cheap queries beside 5 slow baseline ones.
  const f = fig('history', 'ms', [8, 8, 8, 10, 8, 8, 8], [1400, 1300, 1500, 1400, 1400]);
  assert.ok(Math.abs(ratioSpread(f) - (spread(f.runs) + spread(f.baseline!.runs))) < 1e-12);
  assert.ok(ratioSpread(f) > 0);
  const [c] = compare([f], [rec(fig('history', 'ms', [8, 8, 8, 8, 8], [1400, 1400, 1400, 1400, 1400]))]);
  assert.ok(c.noise >= ratioSpread(f) - 1e-12);
});
