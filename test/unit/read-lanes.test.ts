import { it } from 'node:test';
import assert from 'node:assert/strict';
import { bulkWorkers, longWorkers, mayStart, ReadWorkerPool } from '../../src/stores/reads/worker-pool.js';
import type { ReadOp } from '../../src/stores/reads/protocol.js';
import { READ_THREAD_NICE } from '../../src/stores/reads/serve-reads.js';
import { getPriority } from 'node:os';

it('lanes: short reads may always start; other reads leave one worker for them, bulk reads one more', () => {
  assert.deepEqual([1, 2, 3, 4].map(longWorkers), [1, 1, 2, 3]);
  assert.deepEqual([1, 2, 3, 4].map(bulkWorkers), [1, 1, 1, 2]);
  for (const op of ['groupRange', 'groupRecent', 'queryRange'] as ReadOp[]) assert.equal(mayStart(op, { long: 2, bulk: 1 }, 3), true, op);
  assert.equal(mayStart('queryBuckets', { long: 1, bulk: 1 }, 3), true);
  assert.equal(mayStart('queryBuckets', { long: 2, bulk: 0 }, 3), false);
  assert.equal(mayStart('exportChunk', { long: 1, bulk: 1 }, 3), false);
  assert.equal(mayStart('job', { long: 1, bulk: 0 }, 3), true);
  assert.equal(mayStart('stats', { long: 1, bulk: 0 }, 2), false);
  // One worker: everything shares it.
  assert.equal(mayStart('exportChunk', { long: 0, bulk: 0 }, 1), true);
});

async function untilReady(pool: ReadWorkerPool): Promise<void> {
  while (pool.load.ready < pool.load.workers) await new Promise((r) => setTimeout(r, 20));
}

it('a grouped read does not queue behind heavy reads holding the other worker: it takes the one kept for short reads', async () => {
  const pool = new ReadWorkerPool({ workerFile: new URL('../helpers/held-read-worker.ts', import.meta.url), workerData: null, size: 2, timeoutMs: 600_000 });
  const flag = new SharedArrayBuffer(4);
  try {
    await untilReady(pool);
    const heavy1 = pool.run<string>('queryBuckets', [flag]);
    const heavy2 = pool.run<string>('queryBuckets', [flag]);
    const grouped = pool.run<string>('groupRange', []);
    // Dispatch is synchronous: the second heavy read waits, the grouped one runs beside the first.
    assert.deepEqual(pool.load.ops.sort(), ['groupRange', 'queryBuckets']);
    assert.equal(pool.load.queued, 1);
    assert.equal(await grouped, 'groupRange');
    assert.deepEqual(pool.load.ops, ['queryBuckets']);
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    assert.deepEqual(await Promise.all([heavy1, heavy2]), ['queryBuckets', 'queryBuckets']);
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    await pool.close();
  }
});

it('with three workers, an export and a backtest job do not both hold workers: one is left for other long reads and one for short reads', async () => {
  const pool = new ReadWorkerPool({ workerFile: new URL('../helpers/held-read-worker.ts', import.meta.url), workerData: null, size: 3, timeoutMs: 600_000 });
  const flag = new SharedArrayBuffer(4);
  try {
    await untilReady(pool);
    const reads = [
      pool.run<string>('exportChunk', [flag]),
      pool.run<string>('replayReadings', [flag]),
      pool.run<string>('queryBuckets', [flag]),
      pool.run<string>('groupRecent', [flag]),
    ];
    assert.deepEqual(pool.load.ops.sort(), ['exportChunk', 'groupRecent', 'queryBuckets']);
    assert.equal(pool.load.queued, 1);
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    assert.deepEqual(await Promise.all(reads), ['exportChunk', 'replayReadings', 'queryBuckets', 'groupRecent']);
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    await pool.close();
  }
});

it('short reads run first on the prompt worker, at the process priority; no other read runs there, and they run at nice 10', async () => {
  const pool = new ReadWorkerPool({ workerFile: new URL('../helpers/held-read-worker.ts', import.meta.url), workerData: {}, size: 3, timeoutMs: 600_000 });
  const flag = new SharedArrayBuffer(4);
  const linux = process.platform === 'linux';
  try {
    await untilReady(pool);
    // An idle pool: a grouped read takes the prompt worker, whose thread kept the process's priority.
    assert.equal(await pool.run<string>('groupRange', ['whoami']), `groupRange prompt=true nice=${linux ? 0 : getPriority()}`);
    // Long reads hold the two other workers; a third waits rather than take the prompt worker.
    const long = [pool.run<string>('queryBuckets', [flag]), pool.run<string>('stats', [flag]), pool.run<string>('queryRollups', ['whoami'])];
    assert.deepEqual(pool.load.ops.sort(), ['queryBuckets', 'stats']);
    assert.equal(pool.load.queued, 1);
    // ... while a short read still starts at once, on the prompt worker.
    assert.equal(await pool.run<string>('groupRecent', ['whoami']), `groupRecent prompt=true nice=${linux ? 0 : getPriority()}`);
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    const [, , rollups] = await Promise.all(long);
    assert.equal(rollups, `queryRollups prompt=false nice=${linux ? READ_THREAD_NICE : getPriority()}`);
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    await pool.close();
  }
});

it('an export keeps its place once started: its next chunk takes the worker its last one left, and goes before reads not yet started', async () => {
  const pool = new ReadWorkerPool({ workerFile: new URL('../helpers/held-read-worker.ts', import.meta.url), workerData: null, size: 3, timeoutMs: 600_000 });
  const flags: SharedArrayBuffer[] = [];
  const flag = () => {
    const f = new SharedArrayBuffer(4);
    flags.push(f);
    return f;
  };
  const open = (f: SharedArrayBuffer) => {
    Atomics.store(new Int32Array(f), 0, 1);
    Atomics.notify(new Int32Array(f), 0);
  };
  const set = (f: SharedArrayBuffer) => Atomics.load(new Int32Array(f), 0) === 1;
  // Reads still waiting when an assertion fails are rejected by close: that must not hide the assertion.
  const asked: Promise<string>[] = [];
  const run = (op: ReadOp, args: unknown[], stream?: object) => {
    const p = pool.run<string>(op, args, { stream });
    p.catch(() => {});
    asked.push(p);
    return p;
  };
  /** Until one of `started` is set: which read a worker took (the outcome is asserted, not how long it took). */
  const firstStarted = async (started: SharedArrayBuffer[]) => {
    while (!started.some(set)) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    await untilReady(pool);
    const a = {};
    const b = {};
    const [a1, a2, a3, b1, replay] = [flag(), flag(), flag(), flag(), flag()];
    const [a2Started, a3Started, b1Started, replayStarted] = [flag(), flag(), flag(), flag()];
    // With three workers one bulk read runs at a time: export a's first chunk; b's first chunk and a backtest page wait.
    const first = run('exportChunk', [a1], a);
    const bFirst = run('exportChunk', [b1, b1Started], b);
    const replayRead = run('replayReadings', [replay, replayStarted]);
    assert.equal(pool.load.queued, 2);
    // a's chunk answers; as exportTextVia does, its next is asked for as soon as the answer arrives.
    let second!: Promise<string>;
    const firstDone = first.then((v) => {
      second = run('exportChunk', [a2, a2Started], a);
      return v;
    });
    open(a1);
    assert.equal(await firstDone, 'exportChunk');
    await firstStarted([a2Started, b1Started, replayStarted]);
    assert.deepEqual([set(a2Started), set(b1Started), set(replayStarted)], [true, false, false], "a's second chunk took the worker, not b or the backtest");
    // a's client is slow: its third chunk is asked for only after the worker was let go; b (the oldest read waiting) starts.
    open(a2);
    assert.equal(await second, 'exportChunk');
    await firstStarted([b1Started, replayStarted]);
    assert.deepEqual([set(b1Started), set(replayStarted)], [true, false]);
    const third = run('exportChunk', [a3, a3Started], a);
    // b ends (its one chunk); a, started before the backtest was asked for, goes before it.
    open(b1);
    assert.equal(await bFirst, 'exportChunk');
    await firstStarted([a3Started, replayStarted]);
    assert.deepEqual([set(a3Started), set(replayStarted)], [true, false], "a's third chunk went before the backtest page");
    open(a3);
    open(replay);
    assert.deepEqual(await Promise.all([third, replayRead]), ['exportChunk', 'replayReadings']);
  } finally {
    for (const f of flags) open(f);
    await Promise.allSettled(asked);
    await pool.close();
  }
});
