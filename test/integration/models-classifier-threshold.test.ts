import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startTestApp, tempDir } from '../helpers/app.js';
import { parseManifest } from '../../src/models/manifest.js';
import { OnnxRuntime } from '../../src/models/runtimes/onnx/onnx-runtime.js';

// Seed 003's case A with its optional xgb.json (SERVE_ML_ENABLE_XGB: --models-xgb), a dynamic
// anomaly threshold, and windows from many devices batched into one ONNX call.
// pump-02/default/v1 (scripts/models/make-xgb-fixtures.py): autoencoder recon = 0.5 z, so the
// score is 0.25 * mean(z^2); scaler vibration_rms (1, 0.5), temperature (40, 5); xgb.json reads
// the newest 2 scaled steps (4 features); its expected probabilities come from XGBoost itself.

const EXTRA = new URL('../fixtures/models-extra/', import.meta.url).pathname;
const W = 30;
const expected = JSON.parse(readFileSync(join(EXTRA, 'xgb-expected.json'), 'utf8')) as {
  multi: { inputs: Array<Array<number | null>>; probabilities: number[][] };
};

/** A window whose scaled steps are all `z`, except the newest two, given scaled. */
function window(z: [number, number], newest?: number[]) {
  const vib = Array<number>(W).fill(1 + 0.5 * z[0]);
  const temp = Array<number>(W).fill(40 + 5 * z[1]);
  if (newest) {
    for (let s = 0; s < 2; s++) {
      vib[W - 2 + s] = 1 + 0.5 * newest[s * 2];
      temp[W - 2 + s] = 40 + 5 * newest[s * 2 + 1];
    }
  }
  return { vibration_rms: vib, temperature: temp };
}

async function appWith(t: { after(fn: () => unknown): void }, opts: { xgb: boolean; thresholds?: object }) {
  const data = tempDir();
  t.after(() => data.remove());
  const folder = join(data.dir, 'serve_ml');
  cpSync(join(EXTRA, 'pump-02'), join(folder, 'pump-02'), { recursive: true });
  if (opts.thresholds) {
    const file = join(folder, 'pump-02/default/v1/manifest.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), thresholds: opts.thresholds }));
  }
  const app = await startTestApp({ dataDir: join(data.dir, 'db'), models: folder, modelsXgb: opts.xgb });
  t.after(() => app.stop());
  const predict = async (features: object) => {
    const res = await fetch(`${app.httpUrl}/api/v1/serve-ml/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ equipment_id: 'pump-02', features }),
    });
    const body = (await res.json()) as Record<string, number | string>;
    assert.equal(res.status, 200, JSON.stringify(body));
    return body;
  };
  return { app, predict };
}

test('with --models-xgb a bare xgb.json classifies behind the anomaly gate, as XGBoost would; without it, no class', async (t) => {
  const { predict } = await appWith(t, { xgb: true });
  const rows = expected.multi.inputs.map((r, i) => ({ r, i })).filter(({ r }) => !r.includes(null));
  const seen = new Set<number>();
  for (const { r, i } of rows.slice(0, 12)) {
    // z = (2, 2) elsewhere: score >= 0.25 * mean(z^2) well above the 0.05 gate.
    const p = await predict(window([2, 2], r as number[]));
    assert.equal(p.anomaly, 1);
    const probs = expected.multi.probabilities[i];
    const want = probs.indexOf(Math.max(...probs));
    assert.equal(p.class, want, `row ${i}: XGBoost's probabilities ${probs.join(', ')}`);
    seen.add(want);
  }
  assert.ok(seen.size >= 2, `the rows exercise more than one class: ${[...seen]}`);
  // The gate closed (a healthy window scores 0): class 0 without asking the classifier.
  const healthy = await predict(window([0, 0]));
  assert.deepEqual([healthy.anomaly, healthy.class], [0, 0]);

  const off = await appWith(t, { xgb: false });
  const p = await off.predict(window([2, 2], rows[0].r as number[]));
  assert.equal(p.anomaly, 1);
  assert.equal(p.class, undefined, 'without the switch the bundle has no classifier');
});

test("a dynamic threshold learns each device's normal scores, flags what lies beyond, and is stored as a series", async (t) => {
  const { app, predict } = await appWith(t, { xgb: false, thresholds: { anomaly_score: 100, anomaly_dynamic: { window: 50, k: 3, min_samples: 10 } } });
  // Normal windows: scores 0.25 * mean(z^2) for z around 0.4..0.6.
  const scores: number[] = [];
  for (let i = 0; i < 12; i++) {
    const z = 0.4 + 0.02 * i;
    const p = await predict(window([z, z]));
    scores.push(p.anomaly_score as number);
    // Warm-up: the static threshold (100) decides until 10 normal scores are in.
    if (i < 10) assert.equal(p.threshold, 100);
    assert.equal(p.anomaly, 0);
  }
  const normal = scores.slice();
  const med = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const m = med(normal);
  const want = m + 3 * 1.4826 * med(normal.map((v) => Math.abs(v - m)));
  // z = 1.5 scores 0.5625: far below the static 100, far above what this device does.
  const odd = await predict(window([1.5, 1.5]));
  assert.ok(Math.abs((odd.threshold as number) - want) < 1e-9, `${odd.threshold} vs ${want}`);
  assert.equal(odd.anomaly, 1);
  const res = await fetch(`${app.httpUrl}/api/v1/devices/pump-02/telemetry?metric=anomaly_threshold&from=0`);
  const hist = (await res.json()) as { series: Record<string, { value: number[] }> };
  assert.equal(hist.series.anomaly_threshold.value.length, 13);
  assert.ok(Math.abs(hist.series.anomaly_threshold.value.at(-1)! - want) < 1e-9);
});

test('windows asked for together run as one ONNX call when the batch dimension is free, one by one when it is fixed', async () => {
  const rt = new OnnxRuntime();
  const free = parseManifest(JSON.parse(readFileSync(join(EXTRA, 'pump-02/default/v1/manifest.json'), 'utf8')));
  const model = await rt.load(join(EXTRA, 'pump-02/default/v1'), free, free.models.anomaly!);
  const windows = Array.from({ length: 16 }, (_, i) => Float32Array.from({ length: W * 2 }, (_, j) => i + j / 100));
  const outs = await Promise.all(windows.map((w) => model.run(w, new Float64Array(W))));
  outs.forEach((o, i) =>
    assert.deepEqual(
      [...o],
      [...windows[i]].map((v) => Math.fround(v * 0.5)),
    ),
  );
  assert.deepEqual(model.stats, { calls: 1, windows: 16 });
  await model.close();

  const fixedDir = new URL('../fixtures/serve_ml/press-01/3/v1', import.meta.url).pathname;
  const fixed = parseManifest(JSON.parse(readFileSync(join(fixedDir, 'manifest.json'), 'utf8')));
  const one = await rt.load(fixedDir, fixed, fixed.models.anomaly!);
  const few = await Promise.all(windows.slice(0, 3).map((w) => one.run(w, new Float64Array(W))));
  few.forEach((o, i) =>
    assert.deepEqual(
      [...o],
      [...windows[i]].map((v) => Math.fround(v * 0.5)),
    ),
  );
  assert.deepEqual(one.stats, { calls: 3, windows: 3 });
  await one.close();
});

test('ONNX models run on a thread of their own: a thread that dies fails what it was asked, and the next run has its sessions loaded again', async () => {
  const rt = new OnnxRuntime();
  const free = parseManifest(JSON.parse(readFileSync(join(EXTRA, 'pump-02/default/v1/manifest.json'), 'utf8')));
  const model = await rt.load(join(EXTRA, 'pump-02/default/v1'), free, free.models.anomaly!);
  const w = Float32Array.from({ length: W * 2 }, (_, j) => j / 10);
  const expect = [...w].map((v) => Math.fround(v * 0.5));
  assert.deepEqual([...(await model.run(w, new Float64Array(W)))], expect);
  // The window handed to the thread is the caller's still (a copy crosses, not its buffer).
  assert.equal(w.length, W * 2);

  // The thread's own (the sessions object is the runtime's; reached here to stand in for a crash).
  const sessions = (rt as unknown as { sessions: { worker: Worker | null } }).sessions;
  const thread = sessions.worker;
  assert.ok(thread, 'the sessions live on a worker thread');
  const asked = model.run(w, new Float64Array(W));
  await thread.terminate();
  await assert.rejects(asked, /ONNX thread stopped/);
  assert.deepEqual([...(await model.run(w, new Float64Array(W)))], expect, 'the session loaded again on a new thread');
  assert.notEqual(sessions.worker, thread);

  // The last session released stops the thread.
  await model.close();
  assert.equal(sessions.worker, null);
});
