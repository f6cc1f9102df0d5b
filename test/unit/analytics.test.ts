import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analytics } from '../../src/analytics/live-stats.js';
import { BucketRing } from '../../src/analytics/windows.js';
import { createRng, gauss } from '../../src/sim/kinds.js';

/** Readings whose bucket floor(ts / w) lies in (floor(t / w) - n, floor(t / w)]: the documented window. */
function windowed(points: { ts: number; v: number }[], t: number, w: number, n: number) {
  const end = Math.floor(t / w);
  return points.filter((p) => Math.floor(p.ts / w) > end - n && Math.floor(p.ts / w) <= end).map((p) => p.v);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('live analytics match values computed from the raw stream', () => {
  const rng = createRng(42);
  const a = new Analytics({ vectors: { factory: ['temperature', 'humidity'] }, zWindowMs: 120_000 });
  const pts: { ts: number; v: number }[] = [];
  const hum: number[] = [];
  let ts = 1_700_000_000_000;
  let prev: { ts: number; v: number } | null = null;
  for (let i = 0; i < 3000; i++) {
    ts += 200 + Math.floor(rng() * 900); // irregular spacing, ~40 minutes in all
    const v = 20 + 5 * Math.sin(i / 50) + gauss(rng);
    const h = 50 + gauss(rng);
    const s = a.observe({ device: 'd1', ts, seq: i + 1 + (i > 100 && i % 500 === 0 ? 3 : 0), profile: 'factory', values: { temperature: v, humidity: h } });
    const t = s.metrics.temperature;
    // z-score: against the 12 previous 10 s buckets' readings, before this one is added
    const zWin = windowed(pts, ts, 10_000, 12);
    if (zWin.length >= 10) close(t.zscore!, (v - mean(zWin)) / sd(zWin), `zscore #${i}`);
    else assert.equal(t.zscore, null);
    pts.push({ ts, v });
    hum.push(h);
    const last1m = windowed(pts, ts, 1000, 60);
    close(t.min1m, Math.min(...last1m), 'min1m');
    close(t.max1m, Math.max(...last1m), 'max1m');
    close(t.avg1m, mean(last1m), 'avg1m');
    assert.equal(t.count1m, last1m.length);
    close(t.ma5m, mean(windowed(pts, ts, 10_000, 30)), 'ma5m');
    close(t.ma15m, mean(windowed(pts, ts, 10_000, 90)), 'ma15m');
    if (prev) close(t.rate!, ((v - prev.v) * 1000) / (ts - prev.ts), 'rate');
    close(s.l2!.value!, Math.sqrt(v * v + h * h), 'l2');
    prev = { ts, v };
  }
});

test('sequence gaps are counted over the last minute', () => {
  const a = new Analytics({ vectors: {} });
  const base = 1_700_000_000_000;
  a.observe({ device: 'g', ts: base, seq: 1, values: { x: 1 } });
  let s = a.observe({ device: 'g', ts: base + 1000, seq: 5, values: { x: 1 } }); // 2, 3, 4 missing
  assert.equal(s.seqGaps1m, 3);
  s = a.observe({ device: 'g', ts: base + 2000, seq: 6, values: { x: 1 } });
  assert.equal(s.seqGaps1m, 3);
  s = a.observe({ device: 'g', ts: base + 3000, seq: 1, values: { x: 1 } }); // a reboot is not a gap
  assert.equal(s.seqGaps1m, 3);
  s = a.observe({ device: 'g', ts: base + 70_000, seq: 2, values: { x: 1 } }); // the gap has left the window
  assert.equal(s.seqGaps1m, 0);
});

test('memory per series is bounded: a day of readings leaves the same ring sizes', () => {
  const a = new Analytics({ vectors: {} });
  let ts = 0;
  for (let i = 0; i < 86_400; i++) a.observe({ device: 'm', ts: (ts += 1000), values: { x: i % 7 } });
  const s = a.get('m')!;
  assert.equal(s.metrics.x.count1m, 60);
  const tail = Array.from({ length: 2000 }, (_, k) => ({ ts: (86_400 - 2000 + k + 1) * 1000, v: (86_400 - 2000 + k) % 7 }));
  close(s.metrics.x.ma15m, mean(windowed(tail, ts, 10_000, 90)), 'ma15m after a day');
});

test('a bucket ring matches the raw readings when late readings land behind cached windows', () => {
  const rng = createRng(7);
  const ring = new BucketRing(1000, 60);
  const kept: { ts: number; v: number }[] = [];
  let newest = 1_700_000_000_000;
  for (let i = 0; i < 5000; i++) {
    // Mostly a few readings per bucket in order; one in ten arrives up to 70 s late.
    const late = rng() < 0.1;
    const ts = late ? newest - Math.floor(rng() * 70_000) : (newest += Math.floor(rng() * 400));
    const v = 100 * gauss(rng);
    ring.add(ts, v);
    if (Math.floor(ts / 1000) > Math.floor(newest / 1000) - 60) kept.push({ ts, v });
    for (const n of [1, 7, 30, 60]) {
      const xs = windowed(kept, newest, 1000, n);
      const m = ring.window(newest, n);
      assert.equal(m.count, xs.length, `count n=${n} #${i}`);
      if (!xs.length) continue;
      close(m.mean, mean(xs), `mean n=${n} #${i}`);
      close(m.min, Math.min(...xs), `min n=${n} #${i}`);
      close(m.max, Math.max(...xs), `max n=${n} #${i}`);
      if (xs.length > 1) close(Math.sqrt(m.m2 / (m.count - 1)), sd(xs), `sd n=${n} #${i}`);
    }
  }
});

test('a sparse bucket ring gives the very same windows as a dense one, slow or fast, with late readings', () => {
  // Up to 20 s apart stays sparse throughout; 12 s turns dense after a few hundred readings; faster ones early.
  for (const [seed, maxStep] of [
    [11, 20_000],
    [11, 12_000],
    [12, 3000],
    [13, 400],
  ] as const) {
    const rng = createRng(seed);
    const dense = new BucketRing(1000, 60);
    const sparse = new BucketRing(1000, 60, { sparse: true });
    const kept: { ts: number; v: number }[] = [];
    let newest = 1_700_000_000_000;
    for (let i = 0; i < 3000; i++) {
      const late = rng() < 0.1;
      const ts = late ? newest - Math.floor(rng() * 70_000) : (newest += Math.floor(rng() * maxStep));
      const v = 100 * gauss(rng);
      dense.add(ts, v);
      sparse.add(ts, v);
      if (Math.floor(ts / 1000) > Math.floor(newest / 1000) - 60) kept.push({ ts, v });
      for (const n of [1, 7, 30, 60]) {
        const m = sparse.window(newest, n);
        assert.deepEqual(m, dense.window(newest, n), `step ${maxStep} n=${n} #${i}`);
        const xs = windowed(kept, newest, 1000, n);
        assert.equal(m.count, xs.length, `count step ${maxStep} n=${n} #${i}`);
        if (xs.length) close(m.mean, mean(xs), `mean step ${maxStep} n=${n} #${i}`);
      }
    }
  }
});

test('a series slower than the bucket width keeps no cached windows; a fast one caches and gives the same figures', () => {
  // One reading per 10 s, as a device on a 10 s period: the window's end moves with every reading.
  const slow = new BucketRing(10_000, 90, { range: false });
  for (let i = 0; i < 500; i++) {
    slow.add(1_700_000_000_000 + i * 10_000, i % 13);
    for (const n of [30, 90]) slow.window(1_700_000_000_000 + i * 10_000, n);
  }
  assert.equal(slow.bytes, 90 * 3 * 8, 'count, mean and M2 of 90 buckets, nothing more');
  // The same readings four to a bucket: cached from then on, and the windows agree with a slow-fed twin's merge.
  const fast = new BucketRing(1000, 60);
  const raw: { ts: number; v: number }[] = [];
  for (let i = 0; i < 400; i++) {
    const ts = 1_700_000_000_000 + i * 250;
    fast.add(ts, (i * 7) % 11);
    raw.push({ ts, v: (i * 7) % 11 });
    for (const n of [1, 30, 60]) {
      const m = fast.window(ts, n);
      const xs = windowed(raw, ts, 1000, n);
      assert.equal(m.count, xs.length);
      close(m.mean, mean(xs), `mean n=${n} #${i}`);
    }
  }
  assert.equal(fast.bytes, 60 * 5 * 8 + 3 * 7 * 8, 'buckets plus three cached windows');
});

test('a compact-spread ring gives the very same windows as a full one, slow with jitter, fast, with late readings', () => {
  const jitter = (rng: () => number) => 10_000 + Math.round(150 * gauss(rng));
  for (const [seed, maxStep, step] of [
    [21, 10_000, jitter],
    [22, 12_000, (rng: () => number) => Math.floor(rng() * 12_000)],
    [23, 30_000, (rng: () => number) => Math.floor(rng() * 30_000)],
    [24, 400, (rng: () => number) => 1 + Math.floor(rng() * 400)],
  ] as const) {
    const rng = createRng(seed);
    const full = new BucketRing(10_000, 90, { range: false });
    const compact = new BucketRing(10_000, 90, { range: false, compactSpread: true });
    let newest = 1_700_000_000_000;
    for (let i = 0; i < 3000; i++) {
      const late = rng() < 0.05;
      // About one reading per bucket, now and then two (a period of 10 s with jitter), or many.
      const ts = late ? newest - Math.floor(rng() * 900_000) : (newest += step(rng));
      const v = 100 * gauss(rng);
      full.add(ts, v);
      compact.add(ts, v);
      for (const n of [1, 30, 90]) assert.deepEqual(compact.window(newest, n), full.window(newest, n), `step ${maxStep} n=${n} #${i}`);
    }
  }
  // One reading per 10 s exactly: the mean alone per bucket (count 1 and M2 0 are implied).
  const slow = new BucketRing(10_000, 90, { range: false, compactSpread: true });
  for (let i = 0; i < 500; i++) slow.add(1_700_000_000_000 + i * 10_000, i % 13);
  assert.equal(slow.bytes, 90 * 8);
  const fullSlow = new BucketRing(10_000, 90, { range: false });
  for (let i = 0; i < 500; i++) fullSlow.add(1_700_000_000_000 + i * 10_000, i % 13);
  const newest = 1_700_000_000_000 + 499 * 10_000;
  for (const n of [1, 30, 90]) assert.deepEqual(slow.window(newest, n), fullSlow.window(newest, n));
  // A gap empties buckets: an empty one is not a reading of 0 (the mean of the window stays right).
  slow.add(newest + 200_000, 100);
  fullSlow.add(newest + 200_000, 100);
  for (const n of [1, 30, 90]) assert.deepEqual(slow.window(newest + 200_000, n), fullSlow.window(newest + 200_000, n));
});

test('a ring reports what it does not keep as unknown', () => {
  const ring = new BucketRing(1000, 60, { spread: false, range: false });
  ring.add(1000, 2);
  ring.add(1500, 4);
  const m = ring.window(1500);
  assert.equal(m.count, 2);
  assert.equal(m.mean, 3);
  assert.ok(Number.isNaN(m.m2) && Number.isNaN(m.min) && Number.isNaN(m.max));
});

test('a window written into a reused object gives the very same figures as a fresh one, for every kind of ring (issue 21)', () => {
  const rng = createRng(11);
  const rings = [
    new BucketRing(1000, 60),
    new BucketRing(1000, 60, { spread: false, sparse: true }),
    new BucketRing(10_000, 90, { range: false, compactSpread: true }),
  ];
  const out = { count: -1, mean: -1, m2: -1, min: -1, max: -1 };
  let t = 1_700_000_000_000;
  for (let i = 0; i < 3000; i++) {
    t += Math.floor(rng() * 900);
    const v = 10 * gauss(rng);
    for (const ring of rings) {
      ring.add(t, v);
      for (const n of [1, 30, 60]) {
        const fresh = ring.window(t, n);
        const reused = ring.window(t, n, out);
        assert.equal(reused, out);
        assert.deepEqual({ ...reused }, fresh, `ring ${rings.indexOf(ring)} n=${n} #${i}`);
      }
    }
  }
});

test('observeQuietly folds like observe and builds a snapshot only for listeners that want one now', () => {
  const a = new Analytics({ vectors: { v: ['x', 'y'] } });
  const b = new Analytics({ vectors: { v: ['x', 'y'] } });
  const got: number[] = [];
  const always: number[] = [];
  let watching = false;
  a.onStats(
    (s) => got.push(s.seq ?? -1),
    () => watching,
  );
  a.onStats((s) => always.push(s.seq ?? -1));
  const base = Date.UTC(2025, 0, 1);
  for (let i = 1; i <= 20; i++) {
    watching = i > 10 && i <= 15;
    const m = { device: 'q', ts: base + i * 500, seq: i === 12 ? 14 : i, profile: 'v', values: { x: i % 5, y: 2 } };
    a.observeQuietly(m);
    b.observe(m);
  }
  assert.deepEqual(got, [11, 14, 13, 14, 15]);
  assert.equal(always.length, 20);
  assert.deepEqual(a.get('q'), b.get('q'));
});

test('a forgotten device gives its ring arrays back; the device after it reuses them zeroed and gets the very same figures (issue 21)', async () => {
  const { cellPool } = await import('../../src/analytics/cell-pool.js');
  const stream = (seed: number) => {
    const rng = createRng(seed);
    const out: { ts: number; seq: number; values: Record<string, number> }[] = [];
    let ts = 1_700_000_000_000;
    for (let i = 0; i < 400; i++) {
      // Slow with jitter, then a fast burst: sparse rings grow, turn dense, compact ones take M2 aside.
      ts += i < 200 ? 9000 + Math.floor(rng() * 2000) : 50 + Math.floor(rng() * 100);
      out.push({ ts, seq: i + 1 + (i % 97 === 0 ? 2 : 0), values: { t: 20 + gauss(rng), h: 50 + 10 * rng() } });
    }
    return out;
  };
  const used = new Analytics({ vectors: {} });
  for (const m of stream(1)) used.observe({ device: 'old', ...m });
  // A compact 10 s ring holds one number per bucket (the mean).
  const spareBefore = cellPool.spareCount(90);
  used.forget('old');
  assert.ok(cellPool.spareCount(90) >= spareBefore + 2, 'the 10 s rings of both series were given back');
  const fresh = new Analytics({ vectors: {} });
  for (const m of stream(2)) {
    const a = used.observe({ device: 'new', ...m });
    const b = fresh.observe({ device: 'new2', ...m });
    assert.deepEqual({ ...a, device: 'x' }, { ...b, device: 'x' });
  }
  assert.equal(used.get('old'), undefined);
});

test('stats are read from the windows when asked: a quiet fold reads one window per reading, and gives what observe gives (late readings included)', () => {
  const quiet = new Analytics({ vectors: {} });
  const loud = new Analytics({ vectors: {} });
  const rng = createRng(7);
  const reads = { n: 0 };
  const window = BucketRing.prototype.window;
  BucketRing.prototype.window = function (this: BucketRing, ...args: Parameters<typeof window>) {
    reads.n++;
    return window.apply(this, args);
  };
  let quietReads = 0;
  let folded = 0;
  try {
    let ts = 1_700_000_000_000;
    for (let i = 0; i < 400; i++) {
      ts += 500 + Math.floor(rng() * 2000);
      // Every 37th a late reading (a minute old), every 50th a repeat of the same ms.
      const at = i % 37 === 36 ? ts - 60_000 : i % 50 === 49 ? ts - (ts % 1) : ts;
      const m = { device: 'd', ts: at, seq: i + 1, values: { v: 10 + gauss(rng), w: rng() } };
      const before = reads.n;
      quiet.observeQuietly(m);
      quietReads += reads.n - before;
      folded += 2;
      const s = loud.observe(m);
      assert.deepEqual(quiet.get('d')!.metrics, s.metrics, `after reading ${i}`);
    }
  } finally {
    BucketRing.prototype.window = window;
  }
  // The z-score's window of each newest reading; the late ones read none.
  assert.ok(quietReads <= folded, `${quietReads} window reads for ${folded} readings`);
  assert.ok(quietReads >= folded * 0.9, `${quietReads} window reads for ${folded} readings`);
});
