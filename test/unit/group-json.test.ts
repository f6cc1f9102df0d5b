import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupJsonWriter } from '../../src/stores/reads/group-json.js';
import { msToMicros } from '../../src/model/time.js';

type Row = [device: string, metric: string, ts: number, value: number];

/** The definition the writer must match byte for byte: JSON.stringify of the row objects. */
function reference(rows: Row[], unit: 'ms' | 'us' = 'ms'): string {
  return JSON.stringify(rows.map(([device, metric, ts, value]) => ({ device, metric, ts: unit === 'us' ? msToMicros(ts) : ts, value })));
}

function written(rows: Row[], unit?: 'ms' | 'us', sizeHint?: number): { rows: number; text: string; json: Uint8Array } {
  const w = new GroupJsonWriter(unit, sizeHint);
  for (const r of rows) w.add(...r);
  const a = w.finish();
  return { rows: a.rows, text: new TextDecoder().decode(a.json), json: a.json };
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('writes the same bytes as JSON.stringify: edge numbers, names that need escaping, µs times', () => {
  const rows: Row[] = [
    ['g01-sensor1', 'rms', 1_795_000_000_000, 0.1],
    ['g01-sensor1', 'rms', 1_795_000_000_000.123, -0],
    ['g01-sensor1', 'x', 0, -1e-7],
    ['압축기-２', 'température', -5, 1e21],
    ['a"b\\c\n', 'm\u2028', 9, 123456789012345680000],
    ['x', 'y', Number.MAX_SAFE_INTEGER, Number.MIN_VALUE],
    ['x', 'y', 2 ** 53, Number.MAX_VALUE],
    ['x', 'y', -(2 ** 53) + 1, NaN],
    ['x', 'y', 1e21, Infinity],
    ['x', 'y', 7.5, -Infinity],
    ['x', 'y', 10, 100],
    ['x', 'y', 99, -10],
  ];
  for (const unit of ['ms', 'us'] as const) {
    const out = written(rows, unit, 16);
    assert.equal(out.text, reference(rows, unit), unit);
    assert.equal(out.rows, rows.length);
  }
  assert.equal(written([]).text, '[]');
});

test('writes the same bytes as JSON.stringify for many random series (times in ms, some with µs)', () => {
  const next = rng(15);
  const rows: Row[] = [];
  for (let s = 0; s < 40; s++) {
    const device = `dev-${Math.floor(next() * 1000)}`;
    const metric = ['rms', 'x', 'temp', 'v'][s % 4];
    let ts = 1_700_000_000_000 + Math.floor(next() * 1e9);
    for (let i = 0; i < 200; i++) {
      ts += 1 + Math.floor(next() * 2000);
      const t = next() < 0.2 ? ts + Math.floor(next() * 1000) / 1000 : ts;
      const v = next() < 0.1 ? Math.floor(next() * 1e6) - 5e5 : (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
      rows.push([device, metric, t, v]);
    }
  }
  for (const unit of ['ms', 'us'] as const) assert.equal(written(rows, unit).text, reference(rows, unit), unit);
});

test('the answer owns its whole buffer, so it can be transferred to the caller rather than copied', () => {
  const { json } = written([['d', 'm', 1, 2]]);
  assert.equal(json.byteOffset, 0);
  assert.equal(json.byteLength, json.buffer.byteLength);
});
