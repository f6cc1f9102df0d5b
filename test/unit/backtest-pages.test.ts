import { it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { backtestDevice, backtestRule } from '../../src/alarms/backtest.js';
import type { Rule } from '../../src/model/alarm.js';
import type { Reading } from '../../src/model/reading.js';

const rule: Rule = {
  id: 'r1',
  name: 'band',
  severity: 'major',
  scope: 'device',
  kind: 'threshold',
  enabled: true,
  target: 'bt-1',
  metric: 'x',
  metrics: null,
  op: 'outside',
  value: null,
  low: -0.9,
  high: 0.9,
  deadband: 0.05,
  clear: null,
  onDelayMs: 2000,
  offDelayMs: 1000,
  forMs: null,
  description: null,
  createdAt: 0,
  updatedAt: 0,
  standardize: false,
};

it('a backtest fed in pages and slices raises exactly the alarms of one replay of all the readings', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  try {
    // 40,000 messages of 3 readings: several replay pages, with messages straddling page boundaries.
    const readings: Reading[] = [];
    for (let i = 0; i < 40_000; i++)
      for (const m of ['x', 'y', 'z'])
        readings.push({ device: 'bt-1', metric: m, ts: 1_700_000_000_000 + i * 1000, value: Math.sin(i / 37) * (m === 'x' ? 1 : 0.5), seq: i });
    await store.telemetry.write({ readings, devices: [{ id: 'bt-1', seen: 0 }], rejected: [] });
    const opts = { vectors: {} };
    const whole = backtestDevice(rule, 'bt-1', null, await store.alarms.replayReadings({ device: 'bt-1', from: 0, to: 2e12, limit: 1e9 }), opts);
    const paged = await backtestRule(store.alarms, [{ id: 'bt-1', profile: null }], rule, 0, 2e12, opts);
    assert.ok(whole.length > 100, `expected many alarms, got ${whole.length}`);
    assert.equal(paged.readings, 120_000);
    assert.equal(paged.messages, 40_000);
    assert.equal(paged.truncated, false);
    assert.deepEqual(paged.alarms, whole);
  } finally {
    await store.close();
  }
});

it('with read workers, a backtest replays on a worker: the readings never cross to this thread, the alarms are the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-backtest-worker-'));
  const store = new SqliteStore({ path: join(dir, 'fieldscope.db'), readWorkers: 1 });
  await store.open();
  try {
    const readings: Reading[] = [];
    for (let i = 0; i < 30_000; i++)
      for (const m of ['x', 'y', 'z'])
        readings.push({ device: 'bt-1', metric: m, ts: 1_700_000_000_000 + i * 1000, value: Math.sin(i / 37) * (m === 'x' ? 1 : 0.5), seq: i });
    await store.telemetry.write({ readings, devices: [{ id: 'bt-1', seen: 0 }], rejected: [] });
    const opts = { vectors: {} };
    const whole = backtestDevice(rule, 'bt-1', null, await store.alarms.replayReadings({ device: 'bt-1', from: 0, to: 2e12, limit: 1e9 }), opts);
    // Every page the replay reads would come through here if it ran on this thread.
    let pagesHere = 0;
    const replayHere = store.alarms.replayReadings.bind(store.alarms);
    store.alarms.replayReadings = (q) => (pagesHere++, replayHere(q));
    const result = await backtestRule(store.alarms, [{ id: 'bt-1', profile: null }], rule, 0, 2e12, opts);
    assert.equal(pagesHere, 0);
    assert.ok(whole.length > 100, `expected many alarms, got ${whole.length}`);
    assert.equal(result.readings, 90_000);
    assert.equal(result.messages, 30_000);
    assert.deepEqual(result.alarms, whole);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a read job runs on a read worker given the reads object, and inline for an in-memory store', async () => {
  const job = { module: new URL('../helpers/read-job-probe.ts', import.meta.url).href, fn: 'whereAmI' };
  const dir = mkdtempSync(join(tmpdir(), 'fs-read-job-'));
  const onDisk = new SqliteStore({ path: join(dir, 'fieldscope.db'), readWorkers: 1 });
  const inMemory = new SqliteStore({ path: ':memory:' });
  await onDisk.open();
  await inMemory.open();
  try {
    assert.deepEqual(await onDisk.alarms.runReadJob(job, ['a']), {
      mainThread: false,
      threadId: (await onDisk.alarms.runReadJob<{ threadId: number }>(job, ['b'])).threadId,
      tag: 'a',
      hasReplay: true,
    });
    assert.equal((await inMemory.alarms.runReadJob<{ mainThread: boolean }>(job, ['c'])).mainThread, true);
    await assert.rejects(onDisk.alarms.runReadJob({ module: job.module, fn: 'nothere' }, []), /nothere is not exported/);
    await assert.rejects(onDisk.alarms.runReadJob({ module: 'https://example.com/x.js', fn: 'f' }, []), /must be a file URL/);
  } finally {
    await onDisk.close();
    await inMemory.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a replay page that ends inside a millisecond (readings with µs) loses none of the next message', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  try {
    // Every message at .5 ms: 50,001 single-reading messages, so the first replay page (50,000) ends at a fractional ts
    // and the next starts there. Reading from the whole ms below it again would replay readings twice; from above it, lose one.
    const readings: Reading[] = [];
    for (let i = 0; i < 50_001; i++)
      readings.push({ device: 'bt-1', metric: 'x', ts: 1_700_000_000_000 + i * 1000 + 0.5, value: Math.floor(i / 10) % 2, seq: i });
    await store.telemetry.write({ readings, devices: [{ id: 'bt-1', seen: 0 }], rejected: [] });
    const opts = { vectors: {} };
    const all = await store.alarms.replayReadings({ device: 'bt-1', from: 0, to: 2e12, limit: 1e9 });
    assert.equal(all.length, 50_001);
    const whole = backtestDevice(rule, 'bt-1', null, all, opts);
    const paged = await backtestRule(store.alarms, [{ id: 'bt-1', profile: null }], rule, 0, 2e12, opts);
    assert.equal(paged.readings, 50_001);
    assert.equal(paged.messages, 50_001);
    assert.ok(whole.length > 100, `expected many alarms, got ${whole.length}`);
    assert.deepEqual(paged.alarms, whole);
  } finally {
    await store.close();
  }
});

it('a replay page from a fractional time returns the readings at and after it, in (time, metric) order', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  try {
    const t = 1_700_000_000_000;
    const readings: Reading[] = [
      { device: 'd', metric: 'b', ts: t + 0.25, value: 1, seq: 1 },
      { device: 'd', metric: 'a', ts: t + 0.5, value: 2, seq: 2 },
      { device: 'd', metric: 'b', ts: t + 0.5, value: 3, seq: 2 },
      { device: 'd', metric: 'a', ts: t + 1, value: 4, seq: 3 },
      { device: 'other', metric: 'a', ts: t + 0.5, value: 9 },
    ];
    await store.telemetry.write({
      readings,
      devices: [
        { id: 'd', seen: 0 },
        { id: 'other', seen: 0 },
      ],
      rejected: [],
    });
    const got = await store.alarms.replayReadings({ device: 'd', from: t + 0.5, to: t + 10, limit: 10 });
    assert.deepEqual(
      got.map((r) => [r.metric, r.ts, r.value, r.seq]),
      [
        ['a', t + 0.5, 2, 2],
        ['b', t + 0.5, 3, 2],
        ['a', t + 1, 4, 3],
      ],
    );
    assert.deepEqual(
      (await store.alarms.replayReadings({ device: 'd', from: t, to: t + 10, limit: 2 })).map((r) => r.value),
      [1, 2],
    );
  } finally {
    await store.close();
  }
});
