/**
 * History reads under limits (issue 13, High 6): a row cap per request (413 naming limit, points or
 * n), reads at once per caller and in all, a readings-per-second budget per caller, and a time limit
 * (503) after which a SQLite read worker stuck in a query is replaced.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { groupRowsOf } from '../helpers/group-rows.js';
import type { GroupAnswer } from '../../src/stores/store.js';
import { join } from 'node:path';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import type { RunningApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import type { Reading } from '../../src/model/reading.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { SqliteReadPool } from '../../src/stores/sqlite/read-pool.js';
import { defaultRetention } from '../../src/stores/retention.js';

const T0 = Date.now() - 3600_000;

/** Readings of `devices` devices x 2 metrics, 1 s apart from T0, written through the app's own store. */
async function fill(app: RunningApp, devices: number, perSeries: number): Promise<void> {
  for (let d = 0; d < devices; d++) {
    const readings: Reading[] = [];
    for (let i = 0; i < perSeries; i++) for (const m of ['v', 'a']) readings.push({ device: `dev-${d}`, metric: m, ts: T0 + i * 1000, value: i });
    await app.store.telemetry.write({ readings, devices: [{ id: `dev-${d}`, seen: T0 }], rejected: [] });
  }
}

async function start(overrides: Partial<Config>): Promise<RunningApp> {
  return startTestApp({ readRowsPerSec: 0, ...overrides });
}

const body = async (res: Response) => ({
  status: res.status,
  retryAfter: res.headers.get('retry-after'),
  json: (await res.json()) as { error: string; field?: string; rule?: string; rows?: unknown[] },
});

describe('history reads: limits', () => {
  const apps: RunningApp[] = [];
  after(async () => {
    for (const a of apps) await a.stop();
  });

  it('answers 413 naming limit, points or n when a request would return more than the row cap', async () => {
    const app = await start({ readMaxRows: 500 });
    apps.push(app);
    await fill(app, 2, 400);
    const url = (p: string) => `${app.httpUrl}${p}`;
    const raw = await body(await fetch(url(`/api/v1/devices/dev-0/telemetry?metric=v,a&from=${T0}&limit=1000`)));
    assert.equal(raw.status, 413);
    assert.equal(raw.json.field, 'limit');
    assert.equal(raw.json.rule, 'max_rows');
    // 250 per metric: exactly the cap.
    const fits = await fetch(url(`/api/v1/devices/dev-0/telemetry?metric=v,a&from=${T0}&limit=250`));
    assert.equal(fits.status, 200);
    const points = await body(await fetch(url(`/api/v1/devices/dev-0/telemetry?metric=v,a&from=${T0}&points=300`)));
    assert.equal(points.status, 413);
    assert.equal(points.json.field, 'points');
    const range = await body(await fetch(url(`/api/v1/telemetry/range?devices=dev-*&from=${T0}&n=200`)));
    assert.equal(range.status, 413);
    assert.equal(range.json.field, 'n');
    assert.equal(range.json.rule, 'max_rows');
    const ok = await body(await fetch(url(`/api/v1/telemetry/range?devices=dev-*&from=${T0}&n=100&order=asc`)));
    assert.equal(ok.status, 200);
    assert.equal(ok.json.rows!.length, 400);
    const metrics = await (await fetch(url('/metrics'))).text();
    assert.match(metrics, /fieldscope_reads_refused_total\{rule="max_rows"\} 3/);
  });

  it('answers 503 read_time_limit when a read runs past its time limit, and keeps serving', async () => {
    const app = await start({ readTimeoutMs: 1 });
    apps.push(app);
    await fill(app, 1, 100_000);
    // All 200,000 readings (the default range, the last hour, holds only 3,600 per metric: a fast machine reads and sorts those within 1 ms).
    const r = await body(await fetch(`${app.httpUrl}/api/v1/devices/dev-0/stats?metric=v,a&from=${T0}&to=${T0 + 100_000 * 1000}`));
    assert.equal(r.status, 503);
    assert.equal(r.json.rule, 'read_time_limit');
    assert.ok(r.retryAfter);
    // Ingest and health do not depend on the reads.
    assert.equal((await fetch(`${app.httpUrl}/health`)).status, 200);
    const post = await fetch(`${app.httpUrl}/api/v1/devices/dev-9/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"v":1}',
    });
    assert.equal(post.status, 200);
  });

  it('terminates a read worker stuck in a query and replaces it', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'fieldscope.db');
    const store = new SqliteStore({ path, readWorkers: 0 });
    await store.open();
    const readings: Reading[] = [];
    for (let i = 0; i < 300_000; i++) readings.push({ device: 'big', metric: 'v', ts: T0 + i, value: Math.sin(i) });
    await store.telemetry.write({ readings, devices: [{ id: 'big', seen: T0 }], rejected: [] });
    const replaced: boolean[] = [];
    const pool = new SqliteReadPool({ path, retention: defaultRetention, size: 1, timeoutMs: 60_000, onTimeout: (_op, running) => replaced.push(running) });
    try {
      // Wait for the worker to be up, so the short limit below expires while the query runs, not while it starts.
      await pool.run('groupRecent', [{ devices: { ids: ['big'], prefixes: [] }, n: 1 }]);
      await assert.rejects(
        pool.run('stats', [{ device: 'big', metrics: ['v'], from: T0, to: T0 + 1e6, now: T0 }], { timeoutMs: 5 }),
        (err: Error & { rule?: string; status?: number }) => err.rule === 'read_time_limit' && err.status === 503,
      );
      assert.deepEqual(replaced, [true]);
      // One worker in the pool: this read is answered only because the stuck one was replaced.
      const answer = await pool.run<GroupAnswer>('groupRecent', [{ devices: { ids: ['big'], prefixes: [] }, n: 3 }]);
      assert.equal((await groupRowsOf(answer)).length, 3);
      assert.equal(pool.load.workers, 1);
    } finally {
      await pool.close();
      await store.close();
      tmp.remove();
    }
  });

  it('limits reads at once per caller and in all; an export holds its place until it is done', async () => {
    const app = await start({ readConcurrencyPerCaller: 1, readConcurrency: 8 });
    apps.push(app);
    await fill(app, 1, 200_000);
    // A 400k-row export not read by the client: it stays in flight, well past what socket buffers hold.
    const ctrl = new AbortController();
    const exp = await fetch(`${app.httpUrl}/api/v1/export?devices=dev-0&from=${T0}`, { signal: ctrl.signal });
    assert.equal(exp.status, 200);
    const second = await body(await fetch(`${app.httpUrl}/api/v1/telemetry/recent?devices=dev-0`));
    assert.equal(second.status, 429);
    assert.equal(second.json.rule, 'read_concurrency_per_caller');
    ctrl.abort();
    await until(async () => (await fetch(`${app.httpUrl}/api/v1/telemetry/recent?devices=dev-0`)).status === 200, {
      what: "the export's place to be given back",
    });

    const all = await start({ readConcurrencyPerCaller: 4, readConcurrency: 1 });
    apps.push(all);
    await fill(all, 1, 200_000);
    const ctrl2 = new AbortController();
    const exp2 = await fetch(`${all.httpUrl}/api/v1/export?devices=dev-0&from=${T0}`, { signal: ctrl2.signal });
    assert.equal(exp2.status, 200);
    const busy = await body(await fetch(`${all.httpUrl}/api/v1/telemetry/recent?devices=dev-0`));
    assert.equal(busy.status, 503);
    assert.equal(busy.json.rule, 'read_concurrency');
    assert.ok(busy.retryAfter);
    ctrl2.abort();
  });

  it("charges each read what it returned against the caller's readings-per-second budget", async () => {
    const app = await start({ readRowsPerSec: 1, readRowsBurst: 100 });
    apps.push(app);
    await fill(app, 1, 300);
    // A small read fits the budget; a 600-row read is served (the budget was not in debt) and puts it in debt.
    assert.equal((await fetch(`${app.httpUrl}/api/v1/telemetry/recent?devices=dev-0&n=5`)).status, 200);
    const big = await body(await fetch(`${app.httpUrl}/api/v1/telemetry/range?devices=dev-0&from=${T0}&n=300`));
    assert.equal(big.status, 200);
    assert.equal(big.json.rows!.length, 600);
    const next = await body(await fetch(`${app.httpUrl}/api/v1/telemetry/recent?devices=dev-0&n=1`));
    assert.equal(next.status, 429);
    assert.equal(next.json.rule, 'read_rows_rate');
    assert.ok(Number(next.retryAfter) >= 400, `retry-after ${next.retryAfter}`);
  });
});
