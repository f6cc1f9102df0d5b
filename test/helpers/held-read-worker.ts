// A read worker for pool tests (src/stores/reads/worker-pool.ts): each read answers its op's name,
// after waiting until the shared flag it was given is set, so a test decides when a read ends.
// Given 'whoami' instead, it answers its op, whether it is the prompt worker and its thread's nice.
// Given a second shared flag, it sets that one when the read starts (which read a worker took).
import { getPriority } from 'node:os';
import { isPromptWorker, lowerReadPriority, serveReads } from '../../src/stores/reads/serve-reads.js';

lowerReadPriority();

function held(op: string) {
  return (flag?: SharedArrayBuffer | 'whoami', started?: SharedArrayBuffer) => {
    if (flag === 'whoami') return `${op} prompt=${isPromptWorker()} nice=${getPriority()}`;
    if (started) Atomics.store(new Int32Array(started), 0, 1);
    if (flag) Atomics.wait(new Int32Array(flag), 0, 0);
    return op;
  };
}

serveReads({
  groupRange: held('groupRange'),
  groupRecent: held('groupRecent'),
  queryRange: held('queryRange'),
  queryBuckets: held('queryBuckets'),
  queryBucketsMany: held('queryBucketsMany'),
  queryRollups: held('queryRollups'),
  stats: held('stats'),
  exportChunk: held('exportChunk'),
  exportPage: held('exportPage'),
  replayReadings: held('replayReadings'),
});
