import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { infer } from '../../src/models/inference.js';
import { parseManifest } from '../../src/models/manifest.js';
import { StepWindow } from '../../src/models/step-window.js';
import type { Bundle } from '../../src/models/bundles.js';

const manifest = parseManifest(JSON.parse(readFileSync(new URL('../fixtures/serve_ml/press-01/3/v1/manifest.json', import.meta.url), 'utf8')));

/** The fixture's manifest with runners that answer from what they were given (so outputs follow the scaled window exactly). */
function bundle(seen: Float32Array[]): Bundle {
  const run = (out: (w: Float32Array) => Float32Array) => ({
    run: async (w: Float32Array) => {
      seen.push(Float32Array.from(w));
      return out(w);
    },
  });
  return {
    id: 'press-01/3/v1',
    target: 'press-01',
    dir: '',
    origin: 'upload',
    manifest,
    loadedAt: 0,
    models: {
      // Reconstructs every value but the last: the score is the last value's square over the window.
      anomaly: run((w) => Float32Array.from(w, (v, i) => (i === w.length - 1 ? 0 : v))),
      rul: run((w) => Float32Array.of(w.reduce((s, v) => s + v, 0))),
    },
  } as unknown as Bundle;
}

test("a device's live window (one flat array of steps x features) is scaled and served as the same rows given as arrays", async () => {
  const steps = new StepWindow(manifest.window, manifest.features.length);
  const rows: number[][] = [];
  // Around the ring and more: the flat copy joins the ring's two runs.
  for (let k = 0; k < manifest.window + 7; k++) {
    const row = [1 + 0.01 * k, 40 + 0.3 * ((k * 7) % 11)];
    steps.push(row, 1_000 * k);
    rows.push(row);
  }
  const { rows: flat, times } = steps.steps();
  const lastRows = rows.slice(-manifest.window);
  const seenFlat: Float32Array[] = [];
  const seenRows: Float32Array[] = [];
  const a = await infer(bundle(seenFlat), flat, times);
  const b = await infer(bundle(seenRows), lastRows, [...times]);
  assert.deepEqual(a, b);
  assert.deepEqual(seenFlat, seenRows, 'the models saw the same scaled windows');
  const f = manifest.features.length;
  const lastScaled = (lastRows.at(-1)![f - 1] - manifest.scaler.mean[f - 1]) / manifest.scaler.std[f - 1];
  assert.ok(Math.abs(a.anomaly_score! - Math.fround(lastScaled) ** 2 / (manifest.window * f)) < 1e-9, 'scaled with the manifest, newest step last');
});
