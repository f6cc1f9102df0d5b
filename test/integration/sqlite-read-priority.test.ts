// SQLite read workers run at a lower scheduling priority than the threads that ingest (the main
// thread and the writer thread): Linux nice is per thread, so each read worker lowers its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { READ_THREAD_NICE } from '../../src/stores/reads/serve-reads.js';
import { tempDir } from '../helpers/app.js';

/** Nice value of each thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

test(
  "read worker threads but the prompt one run at nice 10; the main thread, the writer thread and the prompt worker (short reads) keep the process's priority",
  { skip: !existsSync('/proc/self/task') && 'no /proc (not Linux)' },
  async (t) => {
    const dir = tempDir();
    const before = threadNices();
    const mainNice = before.get(process.pid)!;
    const store = new SqliteStore({ path: join(dir.dir, 'db.sqlite'), readWorkers: 3 });
    t.after(async () => {
      await store.close();
      dir.remove();
    });
    await store.open();
    // A read and a write: every read worker has started (ready) and the writer thread has committed.
    await store.telemetry.write({ readings: [{ device: 'd', metric: 'm', ts: 1, value: 1 }], devices: [{ id: 'd', seen: 1 }], rejected: [] });
    await Promise.all([1, 2].map(() => store.telemetry.queryRange({ device: 'd', from: 0, to: 2, limit: 10 })));
    await Promise.all([1, 2].map(() => store.telemetry.queryBuckets({ device: 'd', metrics: ['m'], from: 0, to: 2, points: 1, now: 2 })));
    // A worker lowers its priority as it starts; two reads may both be served by the first one ready,
    // so the other may still be starting: look again for a bounded while before judging.
    let after = threadNices();
    let started: [number, number][] = [];
    let lowered: [number, number][] = [];
    for (let i = 0; i < 50; i++) {
      after = threadNices();
      started = [...after].filter(([tid]) => !before.has(tid));
      lowered = started.filter(([, nice]) => nice === Math.min(19, mainNice + READ_THREAD_NICE) || nice === READ_THREAD_NICE);
      if (lowered.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(after.get(process.pid), mainNice, 'the main thread is left as it was');
    // (The prompt worker keeps the process's priority: test/unit/read-lanes.test.ts.)
    assert.ok(lowered.length >= 2, `the two read workers other than the prompt one lowered their own priority (threads started: ${JSON.stringify(started)})`);
    assert.ok(
      started.some(([, nice]) => nice === mainNice),
      "other new threads (the writer thread among them) keep the process's priority",
    );
  },
);
