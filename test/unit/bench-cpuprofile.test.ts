// bench/lib/cpuprofile.ts: busy stretches (long tasks) out of a V8 .cpuprofile. A pause in the
// profiler's own sampling is not a stretch of work: it used to show as a 66-117 s "busy stretch".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { longTasks, samplingGapUs } from '../../bench/lib/cpuprofile.js';
import { tempDir } from '../helpers/app.js';

const ROOT = 1;
const IDLE = 2;
const WORK = 3;

/** A profile sampled every 1 ms from t=0 µs: `plan` is a list of [what, samples] and ['gap', µs] for a silence of the sampler. */
function profile(plan: ([typeof IDLE | typeof WORK, number] | ['gap', number])[]) {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let pending = 0;
  for (const [what, n] of plan) {
    if (what === 'gap') {
      pending = n;
      continue;
    }
    for (let i = 0; i < n; i++) {
      samples.push(what);
      timeDeltas.push(samples.length === 1 ? 0 : pending || 1000);
      pending = 0;
    }
  }
  const nodes = [
    { id: ROOT, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [IDLE, WORK] },
    { id: IDLE, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: WORK, callFrame: { functionName: 'work', url: 'file:///x/src/work.ts', lineNumber: 9 } },
  ];
  const endTime = timeDeltas.reduce((a, b) => a + b, 0);
  return { nodes, startTime: 0, endTime, samples, timeDeltas };
}

function written(t: { after(fn: () => unknown): void }, p: ReturnType<typeof profile>): string {
  const dir = tempDir();
  t.after(() => dir.remove());
  const file = join(dir.dir, 'main.cpuprofile');
  writeFileSync(file, JSON.stringify(p));
  return file;
}

test('a sampling gap inside busy work splits it: neither side counts the silence', (t) => {
  // 30 ms busy, the sampler silent 70 s, 40 ms busy, idle.
  const file = written(
    t,
    profile([
      [IDLE, 5],
      [WORK, 30],
      ['gap', 70_000_000],
      [WORK, 40],
      [IDLE, 5],
    ]),
  );
  const lt = longTasks(file, 0, Number.MAX_SAFE_INTEGER, 20);
  assert.equal(lt.count, 2);
  assert.equal(lt.longestMs, 40);
  assert.equal(lt.totalMs, 70);
  assert.deepEqual(lt.top, [{ name: 'work src/work.ts:10', share: 1 }]);
});

test('busy work sampled all along is one stretch however long', (t) => {
  const file = written(
    t,
    profile([
      [IDLE, 5],
      [WORK, 3000],
      [IDLE, 5],
      [WORK, 10],
      [IDLE, 5],
    ]),
  );
  const lt = longTasks(file, 0, Number.MAX_SAFE_INTEGER, 20);
  assert.equal(lt.count, 1);
  assert.equal(lt.longestMs, 3000);
});

test('a gap while idle adds no stretch', (t) => {
  const file = written(
    t,
    profile([
      [IDLE, 5],
      ['gap', 90_000_000],
      [IDLE, 5],
      [WORK, 25],
      [IDLE, 1],
    ]),
  );
  const lt = longTasks(file, 0, Number.MAX_SAFE_INTEGER, 20);
  assert.deepEqual([lt.count, lt.longestMs], [1, 25]);
});

test('what counts as a gap: 100 sampling intervals, at least 100 ms', () => {
  assert.equal(samplingGapUs([0, 1000, 1000, 1000, 66_000_000]), 100_000);
  assert.equal(samplingGapUs([0, 5000, 5000, 5000, 5000]), 500_000);
});
