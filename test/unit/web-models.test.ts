// The models screen's and the device page's model helpers: bundles grouped per target and power
// bucket (the rollback API's names), the backtest chart's geometry, the model chart's axes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slotsOf, targetOf, type BundleView } from '../../web/src/tasks/models-api.js';
import { backtestGeometry, logScore } from '../../web/src/tasks/ModelCharts.js';
import { modelChart } from '../../web/src/state/model-chart.js';

const bundle = (equipment_id: string | null, profile: string | null, power: string, v: string, active = false): BundleView => ({
  id: `${equipment_id ?? `profile:${profile}`}/${power}/${v}`,
  equipment_id,
  profile,
  power,
  model_version: v,
  origin: 'fitted',
  active,
  runtime: 'builtin',
  manifest: {
    equipment_id,
    profile,
    power,
    model_version: v,
    runtime: 'builtin',
    features: ['a'],
    window: 1,
    scaler: { mean: [0], std: [1] },
    models: {},
    thresholds: {},
  },
});

test('slots: one per target and power bucket, versions in natural order, the active one named, profile targets as the API names them', () => {
  const slots = slotsOf([
    bundle('press-01', null, '3', 'v10'),
    bundle('press-01', null, '3', 'v2', true),
    bundle(null, 'bearing', 'default', 'fit1'),
    bundle('press-01', null, '7', 'v1', true),
  ]);
  assert.deepEqual(
    slots.map((s) => [s.target, s.power, s.versions.map((b) => b.model_version), s.active?.model_version ?? null]),
    [
      ['press-01', '3', ['v2', 'v10'], 'v2'],
      ['press-01', '7', ['v1'], 'v1'],
      ['profile:bearing', 'default', ['fit1'], null],
    ],
  );
  assert.equal(targetOf(bundle(null, 'bearing', 'default', 'x')), 'profile:bearing');
});

test('backtest geometry: the threshold line follows each window, flagged windows are marked, RUL has its interval band', () => {
  const points = [
    { ts: 0, anomaly_score: 1, anomaly_threshold: 9, anomaly: 0, rul_days: 10, rul_days_low: 8, rul_days_high: 12 },
    { ts: 1000, anomaly_score: 99, anomaly_threshold: 9, anomaly: 1, rul_days: 5, rul_days_low: 4, rul_days_high: 6 },
    { ts: 2000, anomaly_score: 3, anomaly_threshold: 4, anomaly: 0, rul_days: 1 },
  ];
  const g = backtestGeometry(points);
  assert.equal(g.flagged.length, 1);
  assert.equal(g.threshold.split(' ').length, 3);
  assert.equal(g.interval.split(' ').length, 4, 'two points with an interval: upper edge and lower edge back');
  assert.ok(Math.abs(g.scoreMax - 99) < 1e-9);
  assert.equal(g.rulMax, 12);
  // The flagged point (score 99) is the highest on screen: the smallest y.
  const ys = g.score.split(' ').map((p) => Number(p.split(',')[1]));
  assert.equal(Math.min(...ys), g.flagged[0].y);
  assert.equal(logScore(0), 0);
  assert.equal(logScore(-5), 0);
  assert.equal(backtestGeometry([]).hasScores, false);
});

test('model chart: score and threshold share an axis, RUL and its interval another; absent series are left out', () => {
  const c = modelChart(['rul_days', 'anomaly_threshold', 'anomaly_score', 'anomaly', 'rul_days_low', 'rul_days_high'], { score: 'score', rul: 'days' });
  assert.deepEqual(c.metrics, ['anomaly_score', 'anomaly_threshold', 'rul_days', 'rul_days_low', 'rul_days_high']);
  assert.deepEqual(
    c.groups.map((g) => [g.label, g.metrics]),
    [
      ['score', ['anomaly_score', 'anomaly_threshold']],
      ['days', ['rul_days', 'rul_days_low', 'rul_days_high']],
    ],
  );
  assert.deepEqual(modelChart(['anomaly_score'], { score: 's', rul: 'd' }).groups.length, 1);
});
