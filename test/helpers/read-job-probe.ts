// A read job for tests (see ReadJob in src/stores/reads/protocol.ts): tells where it ran and what it was given.
import { isMainThread, threadId } from 'node:worker_threads';

export function whereAmI(reads: object, tag: string): { mainThread: boolean; threadId: number; tag: string; hasReplay: boolean } {
  return { mainThread: isMainThread, threadId, tag, hasReplay: typeof (reads as { replayReadings?: unknown }).replayReadings === 'function' };
}
