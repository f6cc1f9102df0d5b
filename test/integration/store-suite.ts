/**
 * The one store suite: every engine must pass it. Expected values are computed here, from the
 * readings the test generated, never by asking the store.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { groupRowsOf } from '../helpers/group-rows.js';
import type { Reading } from '../../src/model/reading.js';
import type { RetentionPolicy, Store, TelemetryStore, WriteBatch } from '../../src/stores/store.js';
import { createHash } from 'node:crypto';
import { BLOB_CHUNK_BYTES } from '../../src/stores/blob-chunks.js';

export type StoreFactory = (retention?: RetentionPolicy) => Promise<{ store: Store; cleanup(): Promise<void> }>;

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 10); // a fixed "now" for every test: results never depend on the clock

const batch = (readings: Reading[]): WriteBatch => {
  const devices = new Map<string, number>();
  for (const r of readings) devices.set(r.device, Math.max(devices.get(r.device) ?? 0, r.ts));
  return { readings, devices: [...devices].map(([id, seen]) => ({ id, seen })), rejected: [] };
};

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} != ${b}`);

export function storeSuite(engine: string, factory: StoreFactory, skip: string | false = false): void {
  describe(`store suite: ${engine}`, { skip }, () => {
    let store: TelemetryStore;
    let full: Store;
    let cleanup: () => Promise<void>;
    const retention: RetentionPolicy = { rawMs: 2 * DAY, minuteMs: 30 * DAY, hourMs: 730 * DAY, byProfile: { keep: { rawMs: 5 * DAY } } };
    before(async () => {
      const opened = await factory(retention);
      ({ cleanup } = opened);
      store = opened.store.telemetry;
      full = opened.store;
    });
    after(async () => cleanup?.());

    it('writes a batch and reads the range back, latest values included', async () => {
      const rs: Reading[] = [];
      for (let i = 0; i < 50; i++)
        rs.push(
          { device: 'basic', metric: 'v', ts: T0 - 50_000 + i * 1000, value: i },
          { device: 'basic', metric: 'a', ts: T0 - 50_000 + i * 1000, value: -i, seq: i },
        );
      const r = await store.write(batch(rs));
      assert.deepEqual(r, { inserted: 100, duplicates: 0 });
      const range = await store.queryRange({ device: 'basic', metrics: ['v', 'a', 'nope'], from: T0 - 50_000, to: T0 - 40_001, limit: 1000 });
      assert.deepEqual(range.v.value, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(range.a.ts, range.v.ts);
      assert.deepEqual(range.nope, { ts: [], value: [] });
      const newest = await store.queryRange({ device: 'basic', metrics: ['v'], from: 0, to: T0, limit: 3 });
      assert.deepEqual(newest.v.value, [47, 48, 49]);
      const dev = (await store.listDevices()).find((d) => d.id === 'basic');
      assert.deepEqual(dev?.latest.v, { ts: T0 - 1000, value: 49 });
    });

    it('ignores and counts duplicates, within a batch and across batches', async () => {
      const rs: Reading[] = [0, 1, 2].map((i) => ({ device: 'dup', metric: 'x', ts: T0 + i, value: i }));
      assert.deepEqual(await store.write(batch(rs)), { inserted: 3, duplicates: 0 });
      const again = [
        ...rs.map((r) => ({ ...r, value: 99 })),
        { device: 'dup', metric: 'x', ts: T0 + 3, value: 3 },
        { device: 'dup', metric: 'x', ts: T0 + 3, value: 4 },
      ];
      assert.deepEqual(await store.write(batch(again)), { inserted: 1, duplicates: 4 });
      const got = await store.queryRange({ device: 'dup', metrics: ['x'], from: T0, to: T0 + 10, limit: 100 });
      assert.deepEqual(got.x, { ts: [T0, T0 + 1, T0 + 2, T0 + 3], value: [0, 1, 2, 3] });
      const [m] = await store.queryRollups({ device: 'dup', metric: 'x', resolution: '1m', from: T0 - MIN, to: T0 + MIN });
      assert.equal(m.count, 4);
      assert.equal(m.sum, 6);
    });

    it('keeps readings of one time but different seq apart: identity is (device, metric, ts, seq)', async () => {
      // A device whose clock counts whole seconds and sends twice a second: same ts, next seq.
      const rs: Reading[] = [1, 2, 3, 4].map((seq) => ({ device: 'coarse', metric: 'w', ts: T0 + Math.floor(seq / 2) * 1000, value: seq, seq }));
      assert.deepEqual(await store.write(batch(rs)), { inserted: 4, duplicates: 0 });
      // The same message again (same seq, same ts) is the only true duplicate.
      assert.deepEqual(await store.write(batch([rs[1], { device: 'coarse', metric: 'w', ts: T0 + 1000, value: 9 }])), { inserted: 1, duplicates: 1 });
      const got = await store.queryRange({ device: 'coarse', metrics: ['w'], from: T0, to: T0 + 5000, limit: 100 });
      assert.equal(got.w.ts.length, 5);
      assert.deepEqual([...got.w.value].sort(), [1, 2, 3, 4, 9]);
      const [m] = await store.queryRollups({ device: 'coarse', metric: 'w', resolution: '1m', from: T0 - MIN, to: T0 + MIN });
      assert.equal(m.count, 5);
    });
    it('keeps 1m and 1h rollups exact under shuffled, late and duplicate data', async () => {
      const rand = rng(42);
      const start = T0 - 3 * HOUR;
      const stored = new Map<number, number>(); // ts -> first value written wins
      const batches: Reading[][] = [];
      for (let b = 0; b < 8; b++) {
        const rs: Reading[] = [];
        for (let i = 0; i < 400; i++) {
          // Half the later batches reach back in time (late data); some repeat a stored ts (duplicates).
          const ts = b > 0 && i % 10 === 0 && stored.size ? [...stored.keys()][Math.floor(rand() * stored.size)] : start + Math.floor(rand() * 3 * HOUR);
          const value = Math.round(rand() * 2000 - 1000) / 10;
          rs.push({ device: 'roll', metric: 'p', ts, value });
        }
        for (const r of rs) if (!stored.has(r.ts)) stored.set(r.ts, r.value);
        batches.push(rs);
      }
      let inserted = 0;
      for (const rs of batches) inserted += (await store.write(batch(rs))).inserted;
      assert.equal(inserted, stored.size);
      for (const [res, width] of [
        ['1m', MIN],
        ['1h', HOUR],
      ] as const) {
        const expected = new Map<
          number,
          { min: number; max: number; sum: number; count: number; firstTs: number; first: number; lastTs: number; last: number }
        >();
        for (const [ts, value] of stored) {
          const b = ts - (ts % width);
          const e = expected.get(b);
          if (!e) expected.set(b, { min: value, max: value, sum: value, count: 1, firstTs: ts, first: value, lastTs: ts, last: value });
          else {
            e.min = Math.min(e.min, value);
            e.max = Math.max(e.max, value);
            e.sum += value;
            e.count++;
            if (ts < e.firstTs) [e.firstTs, e.first] = [ts, value];
            if (ts > e.lastTs) [e.lastTs, e.last] = [ts, value];
          }
        }
        const rows = await store.queryRollups({ device: 'roll', metric: 'p', resolution: res, from: start - HOUR, to: T0 + HOUR });
        assert.equal(rows.length, expected.size, `${res} bucket count`);
        for (const r of rows) {
          const e = expected.get(r.bucket);
          assert.ok(e, `${res} unexpected bucket ${r.bucket}`);
          assert.equal(r.count, e.count);
          assert.equal(r.min, e.min);
          assert.equal(r.max, e.max);
          close(r.sum, e.sum, `${res} sum`);
          close(r.avg, e.sum / e.count, `${res} avg`);
          assert.deepEqual([r.firstTs, r.first, r.lastTs, r.last], [e.firstTs, e.first, e.lastTs, e.last], `${res} first/last of ${r.bucket}`);
        }
      }
    });

    it('downsamples 48 h at 1 Hz to at most N buckets with the right min/max per bucket', async () => {
      const n = 48 * 3600;
      const start = T0 - n * 1000;
      const values = new Float64Array(n);
      const rs: Reading[] = [];
      for (let i = 0; i < n; i++) {
        // A slow wave with a spike every 1,000 s: a bucket's max must catch the spike.
        values[i] = Math.sin(i / 5000) * 10 + (i % 1000 === 500 ? 100 + (i % 7) : 0);
        rs.push({ device: 'big', metric: 'v', ts: start + i * 1000, value: values[i] });
      }
      for (let i = 0; i < n; i += 20_000) await store.write(batch(rs.slice(i, i + 20_000)));
      const res = await store.queryBuckets({ device: 'big', metrics: ['v', 'w'], from: start, to: T0 - 1, points: 1000, now: T0 });
      const s = res.series.v;
      assert.ok(s.ts.length <= 1000 && s.ts.length > 100, `bucket count ${s.ts.length}`);
      assert.equal(res.bucketMs, 5 * MIN);
      assert.equal(res.resolution, '1m', 'a 5-minute bucket is served from 1-minute rollups');
      assert.deepEqual(res.series.w.ts, []);
      let total = 0;
      for (let k = 0; k < s.ts.length; k++) {
        const lo = Math.max(0, (s.ts[k] - start) / 1000);
        const hi = Math.min(n, (s.ts[k] + res.bucketMs - start) / 1000);
        let min = Infinity;
        let max = -Infinity;
        let sum = 0;
        for (let i = lo; i < hi; i++) {
          min = Math.min(min, values[i]);
          max = Math.max(max, values[i]);
          sum += values[i];
        }
        assert.equal(s.min[k], min, `min of bucket ${k}`);
        assert.equal(s.max[k], max, `max of bucket ${k}`);
        assert.equal(s.count[k], hi - lo);
        close(s.avg[k], sum / (hi - lo), `avg of bucket ${k}`);
        total += s.count[k];
      }
      assert.equal(total, n);
      // A short range with many points comes from raw readings, one per bucket.
      const fine = await store.queryBuckets({ device: 'big', metrics: ['v'], from: T0 - 600_000, to: T0 - 1, points: 5000, now: T0 });
      assert.equal(fine.resolution, 'raw');
      assert.equal(fine.bucketMs, 1000);
      assert.deepEqual(fine.series.v.max, Array.from(values.subarray(n - 600)));
      // Older than raw retention: hour rollups, whole hours.
      const old = await store.queryBuckets({ device: 'big', metrics: ['v'], from: start, to: T0 - 1, points: 1000, now: T0 + 40 * DAY });
      assert.equal(old.resolution, '1h');
      assert.equal(
        old.series.v.count.reduce((a, b) => a + b, 0),
        n,
      );
      assert.equal(
        Math.max(...old.series.v.max),
        values.reduce((a, b) => Math.max(a, b), -Infinity),
      );
    });

    it('answers the buckets of many devices in one read, each as queryBuckets answers it alone, with their sequence counters', async () => {
      // Three devices for the last hour at 1 Hz with different values and one gap; one never written.
      const start = T0 - HOUR;
      const rs: Reading[] = [];
      const buckets: { device: string; bucket: number; received: number; duplicates: number; outOfOrder: number; restarts: number }[] = [];
      for (const [k, d] of ['many-a', 'many-b', 'many-c'].entries()) {
        const perMinute = new Map<number, number>();
        for (let i = 0; i < 3600; i++) {
          if (d === 'many-b' && i >= 600 && i < 900) continue;
          rs.push({ device: d, metric: 'v', ts: start + i * 1000, value: Math.sin(i / 100) * (k + 1) + k });
          const minute = start + Math.floor(i / 60) * MIN;
          perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
        }
        for (const [bucket, received] of perMinute)
          buckets.push({ device: d, bucket, received, duplicates: d === 'many-c' ? 1 : 0, outOfOrder: 0, restarts: 0 });
      }
      for (let i = 0; i < rs.length; i += 5000) await store.write(batch(rs.slice(i, i + 5000)));
      await store.write({ readings: [], devices: [], rejected: [], sequence: { devices: [], buckets } });
      const q = { metrics: ['v', 'w'], from: start, to: T0 - 1, points: 60, now: T0 };
      const devices = ['many-c', 'many-a', 'many-none', 'many-b'];
      const many = await store.queryBucketsMany({ ...q, devices, sequence: true });
      assert.deepEqual(Object.keys(many.devices), devices, 'every device asked for, in that order');
      for (const d of devices) {
        const one = await store.queryBuckets({ ...q, device: d });
        assert.equal(many.resolution, one.resolution);
        assert.equal(many.bucketMs, one.bucketMs);
        assert.deepEqual(many.devices[d].series, one.series, `buckets of ${d}`);
        assert.deepEqual(many.devices[d].seq, await full.catalog.sequenceStats(d, q.from, q.to), `sequence counters of ${d}`);
      }
      // Expected from the readings written: 3,300 received for the device with the gap, 60 buckets each.
      assert.equal(many.devices['many-b'].seq?.received, 3300);
      assert.equal(many.devices['many-c'].seq?.duplicates, 60);
      assert.equal(many.devices['many-a'].series.v.ts.length, 60);
      assert.deepEqual(many.devices['many-none'].series.v.ts, []);
      const plain = await store.queryBucketsMany({ ...q, devices: ['many-a'] });
      assert.equal(plain.devices['many-a'].seq, undefined, 'no counters unless asked for');
    });

    it('buckets by local wall clock in a named time zone', async () => {
      const start = Date.UTC(2024, 2, 29); // spans the Europe/Berlin DST change of 2024-03-31
      const rs: Reading[] = [];
      for (let t = start; t < start + 4 * DAY; t += MIN) rs.push({ device: 'tz', metric: 't', ts: t, value: (t - start) / MIN });
      await store.write(batch(rs));
      const now = start + 4 * DAY;
      // Asia/Kolkata is UTC+5:30: local hours start at :30 UTC, so 1h rollups cannot serve them.
      const india = await store.queryBuckets({
        device: 'tz',
        metrics: ['t'],
        from: start + HOUR,
        to: start + 7 * HOUR - 1,
        points: 7,
        tz: 'Asia/Kolkata',
        now,
      });
      assert.equal(india.bucketMs, HOUR);
      assert.equal(india.resolution, '1m');
      assert.ok(india.series.t.ts.every((t) => t % HOUR === 30 * MIN));
      assert.deepEqual(india.series.t.count.slice(1, -1), [60, 60, 60, 60, 60]);
      // Asia/Seoul days start at 15:00 UTC; whole-hour offsets let 1h rollups serve them.
      const seoul = await store.queryBuckets({ device: 'tz', metrics: ['t'], from: start + DAY, to: start + 3 * DAY - 1, points: 3, tz: 'Asia/Seoul', now });
      assert.equal(seoul.bucketMs, DAY);
      assert.equal(seoul.resolution, '1h');
      assert.deepEqual(seoul.series.t.ts, [Date.UTC(2024, 2, 29, 15), Date.UTC(2024, 2, 30, 15), Date.UTC(2024, 2, 31, 15)]);
      // Berlin's 2024-03-31 has 23 hours.
      const berlin = await store.queryBuckets({
        device: 'tz',
        metrics: ['t'],
        from: start + DAY,
        to: start + 3 * DAY - 1,
        points: 3,
        tz: 'Europe/Berlin',
        now,
      });
      assert.deepEqual(berlin.series.t.ts, [Date.UTC(2024, 2, 29, 23), Date.UTC(2024, 2, 30, 23), Date.UTC(2024, 2, 31, 22)]);
      assert.deepEqual(berlin.series.t.count, [24 * 60, 23 * 60, 24 * 60]);
      assert.deepEqual(berlin.series.t.min, [(23 * HOUR) / MIN, (47 * HOUR) / MIN, (70 * HOUR) / MIN]);
    });

    it('answers group queries (recent and range, by ids and prefix) in one call', async () => {
      const rs: Reading[] = [];
      for (const d of ['line1-a', 'line1-b', 'line2-c'])
        for (let i = 0; i < 10; i++) for (const m of ['rms', 'peak']) rs.push({ device: d, metric: m, ts: T0 + i * 1000, value: i });
      await store.write(batch(rs));
      const recent = await groupRowsOf(store.groupRecent({ devices: { ids: ['line2-c'], prefixes: ['line1-'] }, metrics: ['rms'], n: 3 }));
      assert.deepEqual(
        recent.map((r) => `${r.device}/${r.metric}@${r.value}`),
        [
          'line1-a/rms@7',
          'line1-a/rms@8',
          'line1-a/rms@9',
          'line1-b/rms@7',
          'line1-b/rms@8',
          'line1-b/rms@9',
          'line2-c/rms@7',
          'line2-c/rms@8',
          'line2-c/rms@9',
        ],
      );
      const range = await groupRowsOf(store.groupRange({ devices: { ids: [], prefixes: ['line1-'] }, from: T0 + 2000, to: T0 + 5000, n: 2 }));
      assert.deepEqual(
        range.map((r) => `${r.device}/${r.metric}@${r.ts - T0}`),
        [
          'line1-a/peak@4000',
          'line1-a/peak@5000',
          'line1-a/rms@4000',
          'line1-a/rms@5000',
          'line1-b/peak@4000',
          'line1-b/peak@5000',
          'line1-b/rms@4000',
          'line1-b/rms@5000',
        ],
      );
      // Encoded where read, in the unit asked for: whole µs.
      const inUs = await groupRowsOf(store.groupRecent({ devices: { ids: ['line1-a'], prefixes: [] }, metrics: ['rms'], n: 1, tsUnit: 'us' }));
      assert.deepEqual(inUs, [{ device: 'line1-a', metric: 'rms', ts: (T0 + 9000) * 1000, value: 9 }]);
      const wide = await groupRowsOf(store.groupRange({ devices: { ids: ['line2-c'], prefixes: [] }, metrics: ['peak'], from: T0, to: T0 + 2000, n: 100 }));
      assert.deepEqual(
        wide.map((r) => r.value),
        [0, 1, 2],
      );
    });

    it("answers first-n (order asc) and newest-n, and windows relative to each device's first reading (seed 004)", async () => {
      // Two recordings that start at different times, 1 s apart readings: g1 at T0 + 100 s, g2 at T0 + 250 s.
      const rs: Reading[] = [];
      for (const [d, start] of [
        ['g1-sensor1', 100_000],
        ['g2-sensor1', 250_000],
      ] as const) {
        for (let i = 0; i < 300; i++) for (const m of ['rms', 'x']) rs.push({ device: d, metric: m, ts: T0 + start + i * 1000, value: i });
      }
      await store.write(batch(rs));
      const devices = { ids: [], prefixes: ['g'] };
      const first = await groupRowsOf(store.groupRecent({ devices, metrics: ['rms'], n: 2, order: 'asc' }));
      assert.deepEqual(
        first.map((r) => `${r.device}@${r.value}`),
        ['g1-sensor1@0', 'g1-sensor1@1', 'g2-sensor1@0', 'g2-sensor1@1'],
      );
      const newest = await groupRowsOf(store.groupRecent({ devices, metrics: ['rms'], n: 2, order: 'desc' }));
      assert.deepEqual(
        newest.map((r) => `${r.device}@${r.value}`),
        ['g1-sensor1@298', 'g1-sensor1@299', 'g2-sensor1@298', 'g2-sensor1@299'],
      );
      const asc = await groupRowsOf(store.groupRange({ devices, metrics: ['x'], from: T0 + 260_000, to: T0 + 400_000, n: 3, order: 'asc' }));
      assert.deepEqual(
        asc.map((r) => `${r.device}@${r.value}`),
        ['g1-sensor1@160', 'g1-sensor1@161', 'g1-sensor1@162', 'g2-sensor1@10', 'g2-sensor1@11', 'g2-sensor1@12'],
      );
      // 0..140 s of each recording, the first 140 points: each device's own window, both metrics aligned.
      const rel = await groupRowsOf(store.groupRange({ devices, from: T0, to: T0 + DAY, n: 140, order: 'asc', offset: { from: 0, to: 140_000 } }));
      for (const d of ['g1-sensor1', 'g2-sensor1']) {
        for (const m of ['rms', 'x']) {
          const v = rel.filter((r) => r.device === d && r.metric === m).map((r) => r.value);
          assert.deepEqual(
            v,
            Array.from({ length: 140 }, (_, i) => i),
            `${d}/${m}`,
          );
        }
      }
      // The newest 5 of 10..20 s after each start; `from` moves the anchor to the first reading at or after it.
      const late = await groupRowsOf(
        store.groupRange({
          devices,
          metrics: ['rms'],
          from: T0 + 200_000,
          to: T0 + DAY,
          n: 5,
          order: 'desc',
          offset: { from: 10_000, to: 20_000 },
        }),
      );
      assert.deepEqual(
        late.map((r) => `${r.device}@${r.value}`),
        [
          'g1-sensor1@116',
          'g1-sensor1@117',
          'g1-sensor1@118',
          'g1-sensor1@119',
          'g1-sensor1@120',
          'g2-sensor1@16',
          'g2-sensor1@17',
          'g2-sensor1@18',
          'g2-sensor1@19',
          'g2-sensor1@20',
        ],
      );
    });

    it('group reads equal the answer computed from the readings themselves: µs times, ties told apart by seq, both orders and units', async () => {
      // Computed here from what was written, never by asking the store: the fast paths (one indexed
      // window per series, arrays per series on PostgreSQL, JSON written as bytes) must not change a byte.
      const next = rng(1515);
      const rs: Reading[] = [];
      const devices = ['exact-a', 'exact-b', 'exact-c'];
      for (const d of devices) {
        for (const m of ['m1', 'm2']) {
          for (let i = 0; i < 400; i++) {
            // Steps of 125 µs (exact in binary), some whole ms; every 7th time twice, with two seq.
            const ts = T0 + 5 * DAY + i * 1000 + (i % 3 === 0 ? 0 : Math.floor(next() * 8) * 0.125);
            const value = i % 11 === 0 ? -0.1 * i : (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6);
            rs.push({ device: d, metric: m, ts, value, seq: 2 * i });
            if (i % 7 === 0) rs.push({ device: d, metric: m, ts, value: value + 1, seq: 2 * i + 1 });
          }
        }
      }
      await store.write(batch(rs));
      const order = (a: Reading, b: Reading) => a.ts - b.ts || (a.seq ?? 0) - (b.seq ?? 0);
      const expected = (ids: string[], from: number, to: number, n: number, dir: 'asc' | 'desc', unit: 'ms' | 'us') => {
        const out: { device: string; metric: string; ts: number; value: number }[] = [];
        for (const d of [...ids].sort())
          for (const m of ['m1', 'm2']) {
            const w = rs.filter((r) => r.device === d && r.metric === m && Math.floor(r.ts) >= from && Math.floor(r.ts) <= to).sort(order);
            const pick = dir === 'asc' ? w.slice(0, n) : w.slice(Math.max(0, w.length - n));
            for (const r of pick) out.push({ device: d, metric: m, ts: unit === 'us' ? Math.round(r.ts * 1000) : r.ts, value: r.value });
          }
        return JSON.stringify(out);
      };
      const text = async (a: Promise<{ json: Uint8Array }>) => new TextDecoder().decode((await a).json);
      const from = T0 + 5 * DAY + 37_000;
      const to = T0 + 5 * DAY + 300_000;
      for (const dir of ['asc', 'desc'] as const) {
        for (const unit of ['ms', 'us'] as const) {
          for (const n of [1, 50, 1000]) {
            const what = `${dir} ${unit} n=${n}`;
            assert.equal(
              await text(store.groupRange({ devices: { ids: [], prefixes: ['exact-'] }, from, to, n, order: dir, tsUnit: unit })),
              expected(devices, from, to, n, dir, unit),
              `range ${what}`,
            );
            assert.equal(
              await text(store.groupRecent({ devices: { ids: ['exact-b'], prefixes: ['exact-c'] }, n, order: dir, tsUnit: unit })),
              expected(['exact-b', 'exact-c'], -Infinity, Infinity, n, dir, unit),
              `recent ${what}`,
            );
          }
        }
      }
    });

    it('exports every reading when pages end inside readings of one ts (told apart by seq)', async () => {
      const rs: Reading[] = [];
      for (let k = 0; k < 2; k++)
        for (let seq = 0; seq < 3500; seq++) rs.push({ device: 'same-ts', metric: 'v', ts: T0 + k * 1000, value: seq, seq: k * 3500 + seq });
      await store.write(batch(rs));
      let n = 0;
      for await (const r of store.exportRows({ devices: { ids: ['same-ts'], prefixes: [] }, from: T0, to: T0 + 2000 })) if (r.device === 'same-ts') n++;
      assert.equal(n, 7000);
    });

    it('refuses an answer larger than maxRows, naming the field, and answers one at the cap', async () => {
      const rs: Reading[] = [];
      for (let i = 0; i < 50; i++) for (const m of ['a', 'b']) rs.push({ device: 'cap-1', metric: m, ts: T0 + i * 1000, value: i });
      await store.write(batch(rs));
      const tooLarge = (field: string) => (err: unknown) =>
        (err as { status?: number; rule?: string; field?: string }).status === 413 &&
        (err as { rule?: string }).rule === 'max_rows' &&
        (err as { field?: string }).field === field;
      await assert.rejects(store.queryRange({ device: 'cap-1', from: T0, to: T0 + DAY, limit: 1000, maxRows: 99 }), tooLarge('limit'));
      const ok = await store.queryRange({ device: 'cap-1', from: T0, to: T0 + DAY, limit: 1000, maxRows: 100 });
      assert.equal(ok.a.ts.length + ok.b.ts.length, 100);
      await assert.rejects(store.groupRange({ devices: { ids: ['cap-1'], prefixes: [] }, from: T0, to: T0 + DAY, n: 1000, maxRows: 99 }), tooLarge('n'));
      await assert.rejects(store.groupRecent({ devices: { ids: ['cap-1'], prefixes: [] }, n: 50, maxRows: 99 }), tooLarge('n'));
      assert.equal((await groupRowsOf(store.groupRecent({ devices: { ids: ['cap-1'], prefixes: [] }, n: 50, maxRows: 100 }))).length, 100);
    });

    it('computes statistics: min, max, avg, sample stddev, count, interpolated percentiles', async () => {
      const rs: Reading[] = [];
      for (let i = 1; i <= 100; i++) rs.push({ device: 'stat', metric: 's', ts: T0 - i * 1000, value: (i * 37) % 101 === 0 ? 100 : i });
      await store.write(batch(rs));
      const { resolution, stats } = await store.stats({ device: 'stat', metrics: ['s', 'none'], from: T0 - 200_000, to: T0, now: T0 });
      assert.equal(resolution, 'raw');
      const s = stats.s;
      assert.equal(s.count, 100);
      assert.equal(s.min, 1);
      assert.equal(s.max, 100);
      close(s.avg!, 50.5, 'avg');
      close(s.stddev!, Math.sqrt(841.6666666666666), 'stddev');
      close(s.p50!, 50.5, 'p50');
      close(s.p95!, 95.05, 'p95');
      close(s.p99!, 99.01, 'p99');
      assert.equal(stats.none.count, 0);
      assert.equal(stats.none.min, null);
      const old = await store.stats({ device: 'stat', metrics: ['s'], from: T0 - 200_000, to: T0, now: T0 + 10 * DAY });
      assert.equal(old.resolution, '1m');
      assert.equal(old.stats.s.count, 100);
      close(old.stats.s.stddev!, Math.sqrt(841.6666666666666), 'stddev from rollups');
      assert.equal(old.stats.s.p50, null);
    });

    it('statistics of values at the ingest limit (1e150) are finite and exact, from raw readings and from rollups', async () => {
      const rs: Reading[] = [];
      const values = [1e150, -1e150, 5e149, 7.5e149, -2.5e149, 1e150, 3e149];
      values.forEach((value, i) => rs.push({ device: 'huge', metric: 'h', ts: T0 - (i + 1) * 1000, value }));
      await store.write(batch(rs));
      // Expected in units of 1e149, where nothing is large.
      const u = values.map((v) => v / 1e149);
      const mean = u.reduce((a, b) => a + b, 0) / u.length;
      const sd = Math.sqrt(u.reduce((a, b) => a + (b - mean) ** 2, 0) / (u.length - 1));
      for (const now of [T0, T0 + 10 * DAY]) {
        const { resolution, stats } = await store.stats({ device: 'huge', metrics: ['h'], from: T0 - 100_000, to: T0, now });
        const h = stats.h;
        assert.equal(h.count, values.length, resolution);
        close(h.avg!, mean * 1e149, `avg (${resolution})`);
        close(h.stddev!, sd * 1e149, `stddev (${resolution})`);
        assert.equal(h.max, 1e150);
      }
      const flat = [1, 2, 3].map((i) => ({ device: 'huge', metric: 'zero', ts: T0 - i * 1000, value: 0 }));
      await store.write(batch(flat));
      const z = (await store.stats({ device: 'huge', metrics: ['zero'], from: T0 - 100_000, to: T0, now: T0 })).stats.zero;
      assert.deepEqual([z.count, z.avg, z.stddev], [3, 0, 0]);
    });

    it('exports rows ordered by device, metric and time, filtered, [from, to)', async () => {
      const got = [];
      for await (const r of store.exportRows({ devices: { ids: ['basic'], prefixes: ['line2'] }, metrics: ['v', 'rms'], from: T0 - 50_000, to: T0 + 3000 }))
        got.push(r);
      const expected = [
        ...Array.from({ length: 50 }, (_, i) => ({ device: 'basic', metric: 'v', ts: T0 - 50_000 + i * 1000, value: i })),
        ...[0, 1, 2].map((i) => ({ device: 'line2-c', metric: 'rms', ts: T0 + i * 1000, value: i })),
      ];
      assert.deepEqual(got, expected);
    });

    it('retention drops exactly what is older than each limit, with per-profile overrides', async () => {
      const now = T0 + 100 * DAY;
      const rs: Reading[] = [];
      // Every 10 minutes for 12 days, on a device with no profile and one whose profile keeps raw data 5 days.
      for (let t = now - 12 * DAY; t < now; t += 10 * MIN) for (const d of ['ret', 'ret-keep']) rs.push({ device: d, metric: 'r', ts: t + 1, value: 1 });
      const b = batch(rs);
      b.devices = b.devices.map((d) => ({ ...d, profile: d.id === 'ret-keep' ? 'keep' : undefined }));
      await store.write(b);
      const edge: Reading[] = [-1, 0, 1].map((k) => ({ device: 'ret', metric: 'e', ts: now - 2 * DAY + k, value: k }));
      await store.write(batch(edge));
      await store.applyRetention(now);
      const e = await store.queryRange({ device: 'ret', metrics: ['e'], from: 0, to: now, limit: 10 });
      assert.deepEqual(e.e.value, [0, 1], 'the reading 1 ms past the limit goes, the ones at and inside it stay');
      for (const [d, rawMs] of [
        ['ret', 2 * DAY],
        ['ret-keep', 5 * DAY],
      ] as const) {
        const left = await store.queryRange({ device: d, metrics: ['r'], from: 0, to: now, limit: 100_000 });
        assert.deepEqual(
          left.r.ts,
          rs.filter((r) => r.device === d && r.ts >= now - rawMs).map((r) => r.ts),
          `${d} raw`,
        );
      }
      const h = await store.queryRollups({ device: 'ret', metric: 'r', resolution: '1h', from: 0, to: now });
      assert.equal(h.length, 12 * 24, 'hour rollups outlive raw data');
      const m = await store.queryRollups({ device: 'ret', metric: 'r', resolution: '1m', from: 0, to: now });
      assert.equal(m.length, 12 * 24 * 6);
      // 1m rollups kept 30 days: drop them by moving now forward.
      await store.applyRetention(now + 25 * DAY);
      const m2 = await store.queryRollups({ device: 'ret', metric: 'r', resolution: '1m', from: 0, to: now });
      assert.deepEqual(
        m2.map((r) => r.bucket),
        m.filter((r) => r.bucket >= now + 25 * DAY - 30 * DAY).map((r) => r.bucket),
      );
      // Dropping raw data leaves rollups (and so history) intact.
      const hist = await store.queryBuckets({ device: 'ret', metrics: ['r'], from: now - 12 * DAY, to: now - 1, points: 12, now: now + 25 * DAY });
      assert.equal(
        hist.series.r.count.reduce((a, x) => a + x, 0),
        12 * 24 * 6,
      );
    });

    it('retention applies per device (own setting, profile, default), never inside a hold, and counts what it drops per device', async () => {
      const now = T0 + 200 * DAY;
      const rs: Reading[] = [];
      const names = ['pd-default', 'pd-short', 'pd-held', 'pd-keep'];
      for (let t = now - 12 * DAY; t < now; t += HOUR) for (const d of names) rs.push({ device: d, metric: 'r', ts: t, value: 1 });
      const b = batch(rs);
      b.devices = b.devices.map((d) => (d.id === 'pd-keep' ? { ...d, profile: 'keep' } : d));
      await store.write(b);
      const holdFrom = now - 10 * DAY + 30 * MIN;
      const holdTo = now - 8 * DAY;
      await full.retention.hold({ device: 'pd-held', from: holdFrom, to: holdTo, reason: 'import old.csv', createdAt: now });
      await full.retention.hold({ device: 'pd-held', from: holdTo, to: holdTo + HOUR, reason: 'import old.csv', createdAt: now });
      assert.deepEqual(
        (await full.retention.listHolds('pd-held')).map((h) => [h.from, h.to, h.reason]),
        [[holdFrom, holdTo + HOUR, 'import old.csv']],
        'a second hold with the same reason widens the first',
      );
      const policy: RetentionPolicy = { ...retention, byDevice: { 'pd-short': { rawMs: DAY } } };
      const res = await store.applyRetention(now, policy);
      const inHold = (ts: number) => ts >= holdFrom && ts <= holdTo + HOUR;
      const keeps: Record<string, [number, (ts: number) => boolean]> = {
        'pd-default': [now - 2 * DAY, (ts) => ts >= now - 2 * DAY],
        'pd-held': [now - 2 * DAY, (ts) => ts >= now - 2 * DAY || inHold(ts)],
        'pd-keep': [now - 5 * DAY, (ts) => ts >= now - 5 * DAY],
        'pd-short': [now - DAY, (ts) => ts >= now - DAY],
      };
      const left = async (d: string) => (await store.queryRange({ device: d, metrics: ['r'], from: 0, to: now, limit: 100_000 })).r?.ts ?? [];
      const expected: [string, number, number][] = [];
      for (const [d, [cutoff, keep]] of Object.entries(keeps)) {
        const mine = rs.filter((r) => r.device === d);
        assert.deepEqual(
          await left(d),
          mine.filter((r) => keep(r.ts)).map((r) => r.ts),
          `${d} raw`,
        );
        expected.push([d, cutoff, mine.filter((r) => !keep(r.ts)).length]);
      }
      const pruned = (res.devices ?? []).filter((d) => d.device.startsWith('pd-')).sort((x, y) => x.device.localeCompare(y.device));
      assert.deepEqual(
        pruned.map((d) => [d.device, d.rawCutoff, d.raw]),
        expected,
        'each device named with its cutoff and the rows it lost',
      );
      assert.ok(res.raw >= expected.reduce((a, [, , n]) => a + n, 0));
      // Far in the future even hour rollups expire, except those over the held range.
      await store.applyRetention(now + 800 * DAY, policy);
      assert.deepEqual(
        await left('pd-held'),
        rs.filter((r) => r.device === 'pd-held' && inHold(r.ts)).map((r) => r.ts),
      );
      const hours = await store.queryRollups({ device: 'pd-held', metric: 'r', resolution: '1h', from: 0, to: now });
      assert.deepEqual(
        hours.map((r) => r.bucket),
        rs.filter((r) => r.device === 'pd-held' && r.ts + HOUR > holdFrom && r.ts <= holdTo + HOUR).map((r) => r.ts),
      );
      assert.deepEqual(await left('pd-default'), []);
    });

    // Firmware images and model bundle files: every node on a shared store serves them (docs/scale-out.md).
    const bytes = (n: number, seed: number) => {
      const r = rng(seed);
      return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
    };
    /** Odd-sized pieces, as an HTTP body arrives: the store must cut them into its own chunks. */
    async function* pieces(b: Buffer, size: number) {
      for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
    }
    const collect = async (it: AsyncIterable<Buffer>) => {
      const parts: Buffer[] = [];
      for await (const p of it) parts.push(Buffer.from(p));
      return Buffer.concat(parts);
    };
    const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

    it('stores a file of several chunks from odd-sized pieces and reads it back whole and by range, chunk by chunk', async () => {
      const data = bytes(2 * BLOB_CHUNK_BYTES + 12_345, 7);
      const put = await full.blobs.put('firmware/suite-a', pieces(data, 65_537));
      assert.deepEqual([put.created, put.size, put.sha256], [true, data.length, hex(data)]);
      const info = await full.blobs.info('firmware/suite-a');
      assert.deepEqual([info?.size, info?.sha256], [data.length, hex(data)]);
      let biggest = 0;
      const parts: Buffer[] = [];
      for await (const p of full.blobs.read('firmware/suite-a')) {
        biggest = Math.max(biggest, p.length);
        parts.push(Buffer.from(p));
      }
      assert.ok(Buffer.concat(parts).equals(data), 'whole read');
      assert.ok(biggest <= BLOB_CHUNK_BYTES, `read in chunks (largest ${biggest})`);
      for (const [start, end] of [
        [0, 0],
        [BLOB_CHUNK_BYTES - 3, BLOB_CHUNK_BYTES + 3],
        [1, 2 * BLOB_CHUNK_BYTES + 1],
        [data.length - 1, data.length - 1],
        [BLOB_CHUNK_BYTES, 2 * BLOB_CHUNK_BYTES - 1],
      ]) {
        assert.ok((await collect(full.blobs.read('firmware/suite-a', { start, end }))).equals(data.subarray(start, end + 1)), `bytes ${start}-${end}`);
      }
      await assert.rejects(collect(full.blobs.read('firmware/suite-a', { start: 0, end: data.length })), RangeError);
      // An empty file is a file too.
      const empty = await full.blobs.put('firmware/suite-empty', pieces(Buffer.alloc(0), 1));
      assert.deepEqual([empty.size, empty.sha256], [0, hex(Buffer.alloc(0))]);
      assert.equal((await collect(full.blobs.read('firmware/suite-empty'))).length, 0);
    });

    it('keeps the first file under a key, stores nothing of a source that fails, lists by prefix and deletes', async () => {
      const first = bytes(1000, 1);
      await full.blobs.put('model/suite/x/a.onnx', pieces(first, 100));
      const again = await full.blobs.put('model/suite/x/a.onnx', pieces(bytes(2000, 2), 100));
      assert.deepEqual([again.created, again.sha256], [false, hex(first)]);
      assert.ok((await collect(full.blobs.read('model/suite/x/a.onnx'))).equals(first));
      async function* failing() {
        yield bytes(BLOB_CHUNK_BYTES + 10, 3);
        throw new Error('connection lost');
      }
      await assert.rejects(full.blobs.put('model/suite/x/b.onnx', failing()), /connection lost/);
      assert.equal(await full.blobs.info('model/suite/x/b.onnx'), undefined);
      // The failed upload's chunks went with it: nothing is left for the sweep.
      assert.equal(await full.blobs.sweep(Date.now() + 60_000), 0);
      await full.blobs.put('model/suite/x/c%_.json', pieces(bytes(10, 4), 3));
      await full.blobs.put('model/suitf/other', pieces(bytes(10, 5), 3));
      assert.deepEqual(
        (await full.blobs.list('model/suite/')).map((b) => b.key),
        ['model/suite/x/a.onnx', 'model/suite/x/c%_.json'],
      );
      assert.equal(await full.blobs.delete('model/suite/x/a.onnx'), true);
      assert.equal(await full.blobs.delete('model/suite/x/a.onnx'), false);
      await assert.rejects(collect(full.blobs.read('model/suite/x/a.onnx')), /not stored/);
      assert.deepEqual(
        (await full.blobs.list('model/suite/')).map((b) => b.key),
        ['model/suite/x/c%_.json'],
      );
    });

    it('keeps model bundles once per id, and each slot activation history', async () => {
      const b = { id: 'pump-1/50/v1', origin: 'upload' as const, manifest: { a: 1 }, files: ['m.onnx'], blobPrefix: 'model/pump-1/50/v1/u1/', createdAt: T0 };
      assert.equal(await full.models.addBundle(b), true);
      assert.equal(await full.models.addBundle({ ...b, manifest: { a: 2 }, blobPrefix: 'model/pump-1/50/v1/u2/' }), false);
      await full.models.addBundle({ ...b, id: 'pump-1/50/v2', origin: 'fitted', files: [] });
      assert.deepEqual(await full.models.listBundles(), [b, { ...b, id: 'pump-1/50/v2', origin: 'fitted', files: [] }]);
      await full.models.saveActivation('pump-1/50', ['v1']);
      await full.models.saveActivation('pump-1/50', ['v1', 'v2']);
      await full.models.saveActivation('profile:p/default', ['v9']);
      assert.deepEqual(await full.models.listActivations(), { 'pump-1/50': ['v1', 'v2'], 'profile:p/default': ['v9'] });
      assert.equal(await full.models.deleteBundle('pump-1/50/v2'), true);
      assert.deepEqual(
        (await full.models.listBundles()).map((x) => x.id),
        ['pump-1/50/v1'],
      );
    });
  });
}
