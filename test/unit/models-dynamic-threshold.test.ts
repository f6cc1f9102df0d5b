import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RollingThreshold, judgeFor } from '../../src/models/dynamic-threshold.js';
import { parseManifest, ManifestError } from '../../src/models/manifest.js';

const robust = (xs: number[], k: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const med = (a: number[]) => (a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2);
  const m = med(s);
  return m + k * 1.4826 * med(s.map((v) => Math.abs(v - m)).sort((a, b) => a - b));
};

test('the static threshold decides until min_samples normal scores are in, then median + k robust deviations', () => {
  const t = new RollingThreshold({ window: 20, k: 3, min_samples: 5 }, 10);
  const scores = [1, 2, 1.5, 1.2, 1.8];
  for (const s of scores) assert.equal(t.judge(s), 10);
  assert.ok(Math.abs(t.current()! - robust(scores, 3)) < 1e-12);
  // Without a static threshold, the warm-up makes no decision.
  assert.equal(new RollingThreshold({ window: 20, k: 3, min_samples: 5 }, undefined).judge(1), undefined);
});

test('scores above the threshold do not move it: a lasting fault is not learnt as normal', () => {
  const t = new RollingThreshold({ window: 50, k: 3, min_samples: 10 }, undefined);
  const normal = Array.from({ length: 30 }, (_, i) => 1 + 0.1 * Math.sin(i));
  for (const s of normal) t.judge(s);
  const before = t.current()!;
  for (let i = 0; i < 200; i++) assert.equal(t.judge(5), before, 'a fault score is judged against the normal threshold');
  assert.equal(t.current(), before);
});

test('the threshold follows a drifting normal level, keeps only the newest window, and respects its floor', () => {
  const t = new RollingThreshold({ window: 10, k: 2, min_samples: 10 }, undefined);
  for (let i = 0; i < 10; i++) t.judge(1 + (i % 2) * 0.1);
  const low = t.current()!;
  // The level rises slowly, each step inside the current band.
  let level = 1;
  for (let i = 0; i < 200; i++) {
    level = Math.min(level + 0.01, 3);
    t.judge(level + (i % 2) * 0.1);
  }
  assert.ok(t.current()! > low + 1, `followed the drift: ${low} -> ${t.current()}`);
  const floored = new RollingThreshold({ window: 10, k: 2, min_samples: 10, floor: 50 }, undefined);
  for (let i = 0; i < 10; i++) floored.judge(1);
  assert.equal(floored.current(), 50);
});

test('manifests: anomaly_dynamic is checked field by field; judgeFor picks static or rolling', () => {
  const base = {
    equipment_id: 'p',
    model_version: 'v1',
    features: ['x'],
    window: 1,
    models: { anomaly: { kind: 'mahalanobis', params: {} } },
    runtime: 'builtin',
  };
  const m = parseManifest({ ...base, thresholds: { anomaly_score: 2, anomaly_dynamic: { k: 4 } } });
  assert.deepEqual(m.thresholds.anomaly_dynamic, { window: 500, k: 4, min_samples: 30 });
  assert.ok(judgeFor(m.thresholds) instanceof RollingThreshold);
  assert.equal(judgeFor({ anomaly_score: 2 }).judge(99), 2);
  for (const [bad, field] of [
    [{ window: 5 }, 'thresholds.anomaly_dynamic.window'],
    [{ k: -1 }, 'thresholds.anomaly_dynamic.k'],
    [{ window: 20, min_samples: 50 }, 'thresholds.anomaly_dynamic.min_samples'],
    [{ floor: 'x' }, 'thresholds.anomaly_dynamic.floor'],
  ] as const)
    assert.throws(
      () => parseManifest({ ...base, thresholds: { anomaly_dynamic: bad } }),
      (e: unknown) => e instanceof ManifestError && e.field === `manifest.${field}`,
    );
});
