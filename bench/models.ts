// Model serving figures (issue 17): inference latency of one 30-step window and batch throughput
// (ONNX fixture bundle and the builtin fitted runtime), the ingest rate with a model on every
// device beside the same run without, and quality on held-out run-to-failure bearings (anomaly
// precision/recall/F1 and RUL RMSE in days, each beside a naive baseline).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { root, median, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';
import { BundleRegistry, type Bundle } from '../src/models/bundles.js';
import { OnnxRuntime } from '../src/models/runtimes/onnx/onnx-runtime.js';
import { BuiltinRuntime } from '../src/models/runtimes/builtin/builtin-runtime.js';
import { infer } from '../src/models/inference.js';
import { fitFromSteps } from '../src/models/fitting.js';
import { RunToFailure } from '../src/sim/run-to-failure.js';
import { createRng, gauss } from '../src/sim/kinds.js';
import { startApp } from '../src/app.js';
import { defaults } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import type { RawInput } from '../src/pipeline/ingest.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';

const FIXTURES = join(root, 'test/fixtures/serve_ml');
// pump-02's autoencoder has a free batch dimension (scripts/models/make-xgb-fixtures.py).
const BATCHABLE = join(root, 'test/fixtures/models-extra');
const DAY = 86_400_000;
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** The registry keeps uploaded bundles in a store: these benches read a folder only, so an empty one in memory. */
async function emptyStore(): Promise<{ store: SqliteStore['models']; blobs: SqliteStore['blobs'] }> {
  const s = new SqliteStore({ path: ':memory:' });
  await s.open();
  return { store: s.models, blobs: s.blobs };
}

async function registryWith(dir: string): Promise<BundleRegistry> {
  const r = new BundleRegistry({ folder: dir, dataDir: join(dir, '..', 'data'), ...(await emptyStore()), runtimes: [new OnnxRuntime(), new BuiltinRuntime()] });
  await r.sync();
  return r;
}

async function latency(bundle: Bundle, n: number): Promise<number[]> {
  const rows = Array.from({ length: bundle.manifest.window }, () =>
    bundle.manifest.features.map((_, j) => bundle.manifest.scaler.mean[j] + gauss(Math.random) * bundle.manifest.scaler.std[j]),
  );
  const times = rows.map((_, i) => i * 1000);
  for (let i = 0; i < 200; i++) await infer(bundle, rows, times);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await infer(bundle, rows, times);
    out.push(performance.now() - t0);
  }
  return out;
}

async function throughput(bundle: Bundle, batch: number, batches: number): Promise<number> {
  const rows = Array.from({ length: bundle.manifest.window }, () => bundle.manifest.features.map((_, j) => bundle.manifest.scaler.mean[j]));
  const times = rows.map((_, i) => i * 1000);
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) await Promise.all(Array.from({ length: batch }, () => infer(bundle, rows, times)));
  return (batch * batches) / ((performance.now() - t0) / 1000);
}

/** Messages/s through pipeline -> batcher -> store from `devices` bearings, with or without a profile bundle. */
async function ingestRate(withModel: boolean, devices: number, perDevice: number, stride = 1): Promise<{ rate: number; predictions: number }> {
  const t = tempDir('fieldscope-bench-models-');
  let folder: string | null = null;
  if (withModel) {
    folder = join(t.dir, 'serve_ml');
    const d = join(folder, 'bearing-fleet', 'default', 'v1');
    cpSync(join(FIXTURES, 'press-01/3/v1'), d, { recursive: true });
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...m, equipment_id: null, profile: 'bearing', power: 'default', power_range: null, stride }));
    // The folder layout names the target; a profile bundle's manifest says which profile.
  }
  const app = await startApp(
    {
      ...defaults,
      httpPort: 0,
      mqttPort: 0,
      simulator: false,
      anonymousRole: 'admin',
      apiRatePerSec: 0,
      deviceRatePerSec: 0,
      dataDir: join(t.dir, 'db'),
      models: folder,
    },
    { logger: silentLogger() },
  );
  try {
    const sims = Array.from({ length: devices }, (_, i) => new RunToFailure(createRng(i + 1), { lifeMinMs: 10 * DAY, lifeMaxMs: 20 * DAY }));
    const t0Ts = Date.now() - perDevice * 1000;
    const t0 = performance.now();
    for (let k = 0; k < perDevice; k++) {
      const inputs: RawInput[] = sims.map((s, i) => ({
        source: 'http',
        device: `brg-${i}`,
        profile: 'bearing',
        payload: { ts: t0Ts + k * 1000, seq: k, ...s.next(t0Ts + k * 1000) },
      }));
      await app.pipeline.accept(inputs);
    }
    await app.batcher.drain();
    // With a model, the run ends when the predictions it caused are stored too.
    if (withModel) {
      let last = -1;
      while (app.models.server.counters.predictions !== last) {
        last = app.models.server.counters.predictions;
        await new Promise((r) => setTimeout(r, 200));
        await app.batcher.drain();
      }
    }
    const secs = (performance.now() - t0) / 1000;
    return { rate: (devices * perDevice) / secs, predictions: app.models.server.counters.predictions };
  } finally {
    await app.stop();
    t.remove();
  }
}

interface Life {
  rows: number[][];
  times: number[];
  health: number[];
  start: number;
  failsAt: number;
}

function lifeOf(seed: number, stepMs: number): Life {
  const s = new RunToFailure(createRng(seed), { lifeMinMs: 10 * DAY, lifeMaxMs: 40 * DAY });
  s.next(0);
  const rows: number[][] = [],
    times: number[] = [],
    health: number[] = [];
  for (let ts = 0; ts < s.failsAt; ts += stepMs) {
    const v = s.next(ts);
    rows.push([v.vibration_rms, v.temperature]);
    times.push(ts);
    health.push(s.health(ts));
  }
  return { rows, times, health, start: s.start, failsAt: s.failsAt };
}

/** Fit on training bearings, evaluate on held-out ones; baselines: a fixed vibration threshold, mean-life RUL. */
async function quality(train: number, test: number) {
  const stepMs = 10 * 60_000;
  const lives = Array.from({ length: train + test }, (_, i) => lifeOf(1000 + i, stepMs));
  const training = lives.slice(0, train),
    held = lives.slice(train);
  // Healthy: the first 20% of each training life. Failure level: the last 30 min of each.
  const healthy = training.flatMap((l) => l.rows.slice(0, Math.floor(l.rows.length * 0.2)));
  const failure = training.flatMap((l) => l.rows.slice(-3));
  const meanLife = training.reduce((s, l) => s + (l.failsAt - l.start), 0) / train / DAY;
  const manifest = fitFromSteps(
    healthy,
    healthy.map((_, i) => i * stepMs),
    {
      device: 'bench',
      features: ['vibration_rms', 'temperature'],
      from: 0,
      to: 1,
      window: 6,
      trend_steps: 144,
      max_rul_days: meanLife,
      model_version: 'bench',
    },
    failure,
  );
  const t = tempDir('fieldscope-bench-fit-');
  const dir = join(t.dir, 'serve_ml', 'bench', 'default', 'bench');
  cpSync(FIXTURES, join(t.dir, 'serve_ml'), { recursive: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const reg = await registryWith(join(t.dir, 'serve_ml'));
  const bundle = reg.get('bench/default/bench')!;
  // Baseline anomaly: vibration above the healthy mean + 3 sigma, one reading at a time.
  const hv = healthy.map((r) => r[0]);
  const hvMean = hv.reduce((a, b) => a + b, 0) / hv.length;
  const hvStd = Math.sqrt(hv.reduce((a, b) => a + (b - hvMean) ** 2, 0) / hv.length);
  const fixed = hvMean + 3 * hvStd;
  const cm = { model: { tp: 0, fp: 0, fn: 0 }, base: { tp: 0, fp: 0, fn: 0 } };
  let se = 0,
    seBase = 0,
    n = 0;
  const W = bundle.manifest.window;
  for (const l of held) {
    for (let end = W; end <= l.rows.length; end += 3) {
      const out = await infer(bundle, l.rows.slice(end - W, end), l.times.slice(end - W, end));
      // Truth: degraded once wear passes a quarter of the way to failure.
      const truth = l.health[end - 1] >= 0.25;
      const tally = (c: { tp: number; fp: number; fn: number }, said: boolean) => {
        if (said && truth) c.tp++;
        else if (said) c.fp++;
        else if (truth) c.fn++;
      };
      tally(cm.model, out.anomaly === 1);
      tally(cm.base, l.rows[end - 1][0] > fixed);
      const ts = l.times[end - 1];
      const rul = (l.failsAt - ts) / DAY;
      se += (out.rul_days! - rul) ** 2;
      seBase += (Math.max(0, meanLife - (ts - l.start) / DAY) - rul) ** 2;
      n++;
    }
  }
  await reg.close();
  t.remove();
  const prf = (c: { tp: number; fp: number; fn: number }) => {
    const p = c.tp / Math.max(1, c.tp + c.fp),
      r = c.tp / Math.max(1, c.tp + c.fn);
    return { p, r, f1: p + r ? (2 * p * r) / (p + r) : 0 };
  };
  return { model: prf(cm.model), base: prf(cm.base), rmse: Math.sqrt(se / n), rmseBase: Math.sqrt(seBase / n), windows: n, meanLife, fixed };
}

export async function benchModels(opts: {
  runs: number;
  latencyN: number;
  devices: number;
  perDevice: number;
  train: number;
  test: number;
}): Promise<Figure[]> {
  const t = tempDir('fieldscope-bench-lat-');
  cpSync(FIXTURES, join(t.dir, 'serve_ml'), { recursive: true });
  const reg = await registryWith(join(t.dir, 'serve_ml'));
  const onnx = reg.get('press-01/3/v1')!;
  const lat = await latency(onnx, opts.latencyN);
  const thr = await throughput(onnx, 64, Math.max(10, Math.floor(opts.latencyN / 64)));
  await reg.close();
  // The same autoencoder, 64 windows in flight, batched into one call and one by one; alternating rounds.
  const batchedRuns: number[] = [],
    singleRuns: number[] = [];
  for (let i = 0; i < Math.max(3, opts.runs); i++) {
    for (const [maxBatch, runs] of [
      [64, batchedRuns],
      [1, singleRuns],
    ] as const) {
      const r = new BundleRegistry({
        folder: BATCHABLE,
        dataDir: join(t.dir, `batch-${maxBatch}`),
        ...(await emptyStore()),
        runtimes: [new OnnxRuntime({ maxBatch })],
      });
      await r.sync();
      runs.push(await throughput(r.get('pump-02/default/v1')!, 64, Math.max(10, Math.floor(opts.latencyN / 64))));
      await r.close();
    }
  }
  t.remove();

  const withRuns: number[] = [],
    withoutRuns: number[] = [],
    strideRuns: number[] = [];
  let predictions = 0,
    stridePredictions = 0;
  for (let i = 0; i < opts.runs; i++) {
    withoutRuns.push((await ingestRate(false, opts.devices, opts.perDevice)).rate);
    const w = await ingestRate(true, opts.devices, opts.perDevice);
    withRuns.push(w.rate);
    predictions = w.predictions;
    const s = await ingestRate(true, opts.devices, opts.perDevice, 10);
    strideRuns.push(s.rate);
    stridePredictions = s.predictions;
  }
  const qual = await quality(opts.train, opts.test);
  const withRate = median(withRuns),
    withoutRate = median(withoutRuns);
  return [
    {
      id: 'models-latency-p50',
      name: 'inference p50, one 30-step window (ONNX AE + RUL)',
      value: q(lat, 0.5),
      unit: 'ms',
      runs: [q(lat, 0.5)],
      notes: `${lat.length} sequential requests; p90 ${q(lat, 0.9).toFixed(3)} ms, p95 ${q(lat, 0.95).toFixed(3)} ms, p99.9 ${q(lat, 0.999).toFixed(1)} ms; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
    },
    {
      id: 'models-latency-p99',
      name: 'inference p99, one 30-step window (ONNX AE + RUL)',
      value: q(lat, 0.99),
      unit: 'ms',
      runs: [q(lat, 0.99)],
      target: '< 5 ms',
      met: q(lat, 0.99) < 5,
    },
    { id: 'models-throughput', name: 'inference throughput, 64 windows in flight', value: thr, unit: 'windows/s', runs: [thr] },
    {
      id: 'models-throughput-batched',
      name: 'autoencoder throughput, 64 windows in flight, batched into one ONNX call',
      value: median(batchedRuns),
      unit: 'windows/s',
      runs: batchedRuns,
      baseline: { name: 'same model, one call per window', value: median(singleRuns), runs: singleRuns },
      ratio: median(batchedRuns) / median(singleRuns),
      notes: 'pump-02 fixture autoencoder (free batch dimension), 30 x 2 window; alternating rounds',
    },
    {
      id: 'models-ingest',
      name: `ingest with a model on every device (${opts.devices} bearings)`,
      value: withRate,
      unit: 'msg/s',
      runs: withRuns,
      baseline: { name: 'same, no model', value: withoutRate, runs: withoutRuns },
      ratio: withRate / withoutRate,
      target: '>= 0.8x',
      met: withRate / withoutRate >= 0.8,
      notes: `${predictions} predictions stored in the last run`,
    },
    {
      id: 'models-ingest-stride10',
      name: `ingest with a model on every device, stride 10 (${opts.devices} bearings)`,
      value: median(strideRuns),
      unit: 'msg/s',
      runs: strideRuns,
      baseline: { name: 'same, no model', value: withoutRate, runs: withoutRuns },
      ratio: median(strideRuns) / withoutRate,
      target: '>= 0.8x',
      met: median(strideRuns) / withoutRate >= 0.8,
      notes: `${stridePredictions} predictions stored in the last run`,
    },
    {
      id: 'models-anomaly-f1',
      name: `anomaly F1, ${opts.test} held-out bearings (fitted Mahalanobis)`,
      value: qual.model.f1,
      unit: '',
      runs: [qual.model.f1],
      baseline: { name: `vibration > healthy mean + 3 sd (${qual.fixed.toFixed(2)} mm/s)`, value: qual.base.f1, runs: [qual.base.f1] },
      ratio: qual.model.f1 / Math.max(1e-9, qual.base.f1),
      notes: `precision ${qual.model.p.toFixed(3)}, recall ${qual.model.r.toFixed(3)}; baseline precision ${qual.base.p.toFixed(3)}, recall ${qual.base.r.toFixed(3)}; ${qual.windows} windows; truth: wear >= 0.25`,
    },
    {
      id: 'models-rul-rmse',
      name: `RUL RMSE, ${opts.test} held-out bearings (degradation trend)`,
      value: qual.rmse,
      unit: 'days',
      runs: [qual.rmse],
      baseline: { name: `mean life ${qual.meanLife.toFixed(1)} d minus age`, value: qual.rmseBase, runs: [qual.rmseBase] },
      ratio: qual.rmseBase / qual.rmse,
      notes: 'lives 10-40 days, one reading per 10 min',
    },
  ];
}
