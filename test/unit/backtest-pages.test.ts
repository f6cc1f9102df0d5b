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
