import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KINDS, KIND_NAMES, createRng, roundValues, type KindName, type Values } from '../../src/sim/kinds.js';
import { DeviceFaults, validateFault } from '../../src/sim/faults.js';
import { deviceIds } from '../../src/sim/simulator.js';

interface ProfileJson {
  metrics: Record<string, { min?: number; max?: number }>;
}
const profile = (kind: KindName): ProfileJson => JSON.parse(readFileSync(new URL(`../../profiles/${kind}.json`, import.meta.url), 'utf8')) as ProfileJson;

/** What the device would publish at each step: rounded, derived metrics recomputed. */
function run(kind: KindName, seed: number, start: number, stepMs: number, n: number): Array<{ ts: number; v: Values }> {
  const spec = KINDS[kind];
  const model = spec.create(createRng(seed));
  const faults = new DeviceFaults(spec);
  const out: Array<{ ts: number; v: Values }> = [];
  for (let i = 0; i < n; i++) {
    const ts = start + i * stepMs;
    out.push({ ts, v: faults.applyValues(roundValues(spec, model.next(ts)), ts) });
  }
  return out;
}

const T0 = Date.UTC(2025, 5, 1, 0, 0, 0);

test('every kind reports exactly the metrics of its profile', () => {
  for (const kind of KIND_NAMES) {
    assert.deepEqual(Object.keys(KINDS[kind].metrics).sort(), Object.keys(profile(kind).metrics).sort(), kind);
    const [first] = run(kind, 1, T0, 1000, 1);
    assert.deepEqual(Object.keys(first.v).sort(), Object.keys(profile(kind).metrics).sort(), kind);
  }
});

test('values stay inside the profile ranges over two days and at 1 Hz', () => {
  for (const kind of KIND_NAMES) {
    const p = profile(kind);
    for (const seed of [1, 2, 3]) {
      const samples = [...run(kind, seed, T0, 10_000, 2 * 8640), ...run(kind, seed + 10, T0, 1000, 3600)];
      for (const { ts, v } of samples) {
        for (const [m, spec] of Object.entries(p.metrics)) {
          const x = v[m];
          assert.ok(Number.isFinite(x), `${kind}.${m} finite at ${ts}`);
          if (spec.min !== undefined) assert.ok(x >= spec.min, `${kind}.${m}=${x} >= ${spec.min}`);
          if (spec.max !== undefined) assert.ok(x <= spec.max, `${kind}.${m}=${x} <= ${spec.max}`);
        }
      }
    }
  }
});

test('ina219: about 5 V, a wandering ~0.25 A load, and w = v * a', () => {
  const s = run('ina219', 7, T0, 1000, 3600);
  const mean = (f: (v: Values) => number) => s.reduce((acc, x) => acc + f(x.v), 0) / s.length;
  assert.ok(Math.abs(mean((v) => v.v) - 5.0) < 0.1, `mean v ${mean((v) => v.v)}`);
  const ma = mean((v) => v.a);
  assert.ok(ma > 0.1 && ma < 0.5, `mean a ${ma}`);
  const distinctA = new Set(s.map((x) => x.v.a)).size;
  assert.ok(distinctA > 100, 'current wanders');
  for (const { v } of s) assert.ok(Math.abs(v.w - v.v * v.a) < 1e-4, `w ${v.w} vs ${v.v * v.a}`);
});

test('battery: float voltage ~2.15 V, SG 1.215..1.280, electrolyte level falls slowly', () => {
  const s = run('battery', 3, T0, 1000, 3600);
  for (const { v } of s) {
    assert.ok(v.voltage > 2.0 && v.voltage < 2.3, `voltage ${v.voltage}`);
    assert.ok(v.specific_gravity >= 1.215 && v.specific_gravity <= 1.28, `sg ${v.specific_gravity}`);
  }
  const avg = (xs: typeof s) => xs.reduce((a, x) => a + x.v.electrolyte_level, 0) / xs.length;
  const early = avg(s.slice(0, 600));
  const late = avg(s.slice(-600));
  assert.ok(late < early, `level ${early} -> ${late}`);
  assert.ok(early - late < 5, 'slowly');
});

test('factory: four random walks that actually move', () => {
  const s = run('factory', 5, T0, 1000, 1800);
  for (const m of ['temperature', 'humidity', 'vibration', 'sound']) {
    const xs = s.map((x) => x.v[m]);
    assert.ok(Math.max(...xs) > Math.min(...xs), `${m} varies`);
  }
});

test('vibration: the rig dwells 30-120 s per fault type, visits all four, and the active channel is loudest', () => {
  const s = run('vibration', 11, T0, 100, 10 * 60 * 10 * 3); // 30 min at 10 Hz
  const changes: number[] = [];
  for (let i = 1; i < s.length; i++) if (s[i].v.fault_type !== s[i - 1].v.fault_type) changes.push(s[i].ts);
  assert.ok(changes.length >= 10, `switched ${changes.length} times`);
  for (let i = 1; i < changes.length; i++) {
    const dwell = changes[i] - changes[i - 1];
    assert.ok(dwell >= 30_000 - 100 && dwell <= 120_000 + 100, `dwell ${dwell}`);
  }
  assert.deepEqual([...new Set(s.map((x) => x.v.fault_type))].sort(), [0, 1, 2, 3]);
  const channels = ['normal', 'unbalance', 'looseness', 'unbalance_looseness'];
  for (const ft of [0, 1, 2, 3]) {
    const rms = channels.map((ch) => {
      const xs = s.filter((x) => x.v.fault_type === ft).map((x) => x.v[ch]);
      return Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    });
    const loudest = rms.indexOf(Math.max(...rms));
    assert.equal(loudest, ft, `fault ${ft}: rms ${rms.map((r) => r.toFixed(2)).join(' ')}`);
  }
});

test('faults: spike, drift and stuck bend values; w stays v * a unless w itself is hit', () => {
  const spec = KINDS.ina219;
  const f = new DeviceFaults(spec);
  const base = (): Values => ({ v: 5, a: 0.25, w: 0 });
  f.add(validateFault({ type: 'spike', metric: 'v', magnitude: 10 }, spec), 0);
  const spiked = f.applyValues(base(), 0);
  assert.equal(spiked.v, 15);
  assert.equal(spiked.w, 3.75);
  assert.equal(f.applyValues(base(), 1).v, 5, 'count 1 by default: gone on the next message');

  f.add(validateFault({ type: 'drift', metric: 'a', magnitude: 1, durationMs: 1000 }, spec), 0);
  assert.equal(f.applyValues(base(), 0).a, 0.25);
  assert.equal(f.applyValues(base(), 500).a, 0.75);
  assert.equal(f.applyValues(base(), 1000).a, 0.25, 'ends after its duration');

  f.add(validateFault({ type: 'stuck', metric: 'v', durationMs: 1000 }, spec), 0);
  f.applyValues({ v: 5.01, a: 0.2, w: 0 }, 0);
  const later = f.applyValues({ v: 4.9, a: 0.3, w: 0 }, 500);
  assert.equal(later.v, 5.01);
  assert.equal(later.w, round4(5.01 * 0.3));
});

test('faults: dropout, duplicate and out_of_order decide delivery, counted per message', () => {
  const f = new DeviceFaults(KINDS.battery);
  f.add({ type: 'dropout', count: 2 }, 0);
  assert.equal(f.delivery(0, false).drop, true);
  assert.equal(f.delivery(0, false).drop, true);
  assert.equal(f.delivery(0, false).drop, false);
  f.add({ type: 'duplicate', count: 1 }, 0);
  assert.equal(f.delivery(0, false).duplicate, true);
  assert.equal(f.delivery(0, false).duplicate, false);
  f.add({ type: 'out_of_order' }, 0);
  assert.equal(f.delivery(0, false).hold, true);
  assert.equal(f.delivery(0, true).hold, false);
});

test('faults are validated with errors that name the field', () => {
  assert.throws(() => validateFault({ type: 'melt' }, KINDS.factory), /fault\.type/);
  assert.throws(() => validateFault({ type: 'spike', metric: 'v' }, KINDS.factory), /fault\.metric.*factory/);
  assert.throws(() => validateFault({ type: 'dropout', count: 0 }, KINDS.factory), /fault\.count/);
  assert.throws(() => validateFault({ type: 'offline', durationMs: -1 }, KINDS.factory), /fault\.durationMs/);
});

test('device ids rotate through the kinds and number per kind', () => {
  assert.deepEqual(
    deviceIds(6, KIND_NAMES).map((d) => d.id),
    ['ina219-01', 'battery-01', 'factory-01', 'vibration-01', 'ina219-02', 'battery-02'],
  );
  assert.deepEqual(
    deviceIds(3, ['battery', 'factory'], 'sim-').map((d) => d.id),
    ['sim-battery-01', 'sim-factory-01', 'sim-battery-02'],
  );
});

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
