import { test } from 'node:test';
import assert from 'node:assert/strict';
import { degradationRul } from '../../src/models/runtimes/builtin/degradation.js';
import { invert, mahalanobis, meanCov } from '../../src/models/runtimes/builtin/mahalanobis.js';
import { parseManifest, ManifestError } from '../../src/models/manifest.js';

const DAY = 86_400_000;

test('degradation: a health index rising 0.4 per day to 2 reaches 6 in 10 days; noise widens the interval', () => {
  const steps = 50;
  const times = Float64Array.from({ length: steps }, (_, i) => i * (DAY / 10));
  // One feature: health index = |z|, rising 0.04 per step (0.4 per day) from 0.04 to 2.
  const w = Float32Array.from({ length: steps }, (_, i) => 2 - (steps - 1 - i) * 0.04);
  const [rul, low, high] = degradationRul(w, 1, times, { failure_threshold: 6 });
  assert.ok(Math.abs(rul - 10) < 1e-3, String(rul));
  assert.ok(Math.abs(low - 10) < 1e-2 && Math.abs(high - 10) < 1e-2, 'a perfect line has a tight interval');
  const noisy = Float32Array.from(w, (v, i) => v + (i % 2 ? 0.01 : -0.01));
  const [r2, l2, h2] = degradationRul(noisy, 1, times, { failure_threshold: 6 });
  assert.ok(l2 < r2 && r2 < h2, `${l2} < ${r2} < ${h2}`);
  const flat = Float32Array.from({ length: steps }, () => 1);
  assert.equal(degradationRul(flat, 1, times, { failure_threshold: 6, max_rul_days: 30 })[0], 30, 'a flat trend answers the cap');
  assert.equal(
    degradationRul(
      Float32Array.from(w, (v) => v + 10),
      1,
      times,
      { failure_threshold: 6 },
    )[0],
    0,
    'past the threshold: 0',
  );
});

test('mahalanobis: identity covariance is the squared euclidean distance; correlation is accounted for', () => {
  assert.equal(
    mahalanobis(
      [3, 4],
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
    ),
    25,
  );
  const rows = Array.from({ length: 2000 }, (_, i) => {
    const a = (Math.sin(i * 12.9898) * 43758.5453) % 1;
    const b = (Math.sin(i * 78.233) * 12345.678) % 1;
    return [a, a + 0.1 * b];
  });
  const { mean, cov } = meanCov(rows);
  const inv = invert(cov);
  const along = mahalanobis([mean[0] + 0.5, mean[1] + 0.5], mean, inv);
  const across = mahalanobis([mean[0] + 0.5, mean[1] - 0.5], mean, inv);
  assert.ok(across > 10 * along, `off the correlation is far: ${across} vs ${along}`);
  const id = cov.map((r) => r.map((_, j) => r.reduce((s, v, k) => s + v * inv[k][j], 0)));
  assert.ok(Math.abs(id[0][0] - 1) < 1e-9 && Math.abs(id[0][1]) < 1e-9);
});

test('manifest: errors name the field and the rule', () => {
  const good = {
    equipment_id: 'p1',
    power: 3,
    model_version: 'v1',
    features: ['a', 'b'],
    window: 30,
    scaler: { mean: [0, 0], std: [1, 1] },
    models: { rul: { file: 'r.onnx', kind: 'regressor' } },
  };
  assert.equal(parseManifest(good).power, '3');
  const bad = (patch: object, field: string, rule: string) => {
    assert.throws(
      () => parseManifest({ ...good, ...patch }),
      (e: unknown) => e instanceof ManifestError && e.field === `manifest.${field}` && e.rule === rule,
      `${field} ${rule}`,
    );
  };
  bad({ scaler: { mean: [0], std: [1, 1] } }, 'scaler.mean', 'length');
  bad({ scaler: { mean: [0, 0], std: [1, 0] } }, 'scaler.std', 'positive');
  bad({ features: ['a', 'a'] }, 'features', 'unique');
  bad({ models: { rul: { file: '../x.onnx', kind: 'regressor' } } }, 'models.rul.file', 'onnx_file');
  bad({ models: {} }, 'models', 'min_items');
  bad({ equipment_id: null }, 'equipment_id', 'required');
  bad({ model_version: '../v' }, 'model_version', 'name');
});
