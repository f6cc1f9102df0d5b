// The batcher over a real SQLite store, as the batcher and live-before-commit tests both drive it:
// a switch that makes the store refuse writes, a count of writes, every Committed event kept.
import { join } from 'node:path';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { WriterThreadError } from '../../src/stores/sqlite/write-thread.js';
import type { TelemetryStore, WriteBatch, WriteResult } from '../../src/stores/store.js';
import { CommitWriter, type Committed } from '../../src/pipeline/commit.js';
import { Batcher } from '../../src/pipeline/batcher.js';
import { SequenceTracker } from '../../src/pipeline/sequence.js';
import { Spool } from '../../src/pipeline/spool.js';
import { createMetrics } from '../../src/metrics.js';
import { tempDir } from './app.js';

/** The readings' epoch in these tests; `stored` counts readings up to a million seconds after it. */
export const T0 = Date.UTC(2025, 0, 1);

/**
 * The real store's telemetry, with a switch that makes writes fail, a count of writes, and
 * `loseAnswers`: that many writes commit and then throw, as a writer thread that died after its COMMIT;
 * `hold`: a promise each write waits for before it starts.
 */
function switchable(t: TelemetryStore) {
  // hold: while set, a write waits for it (a commit in flight for as long as a test needs).
  const state = { down: false, writes: 0, loseAnswers: 0, hold: null as Promise<void> | null };
  const store: Pick<TelemetryStore, 'write'> = {
    async write(b: WriteBatch): Promise<WriteResult> {
      state.writes++;
      if (state.hold) await state.hold;
      if (state.down) throw new Error('SQLITE_FULL: database or disk is full');
      const r = await t.write(b);
      if (state.loseAnswers > 0 && state.loseAnswers--) throw new WriterThreadError('SQLite writer thread exited (code 1) with 1 write(s) in flight');
      return r;
    },
  };
  return { state, store };
}

/** A batcher on a fresh SQLite store (and spool when asked), drained and removed after the test. */
export async function batcherRig(
  t: { after(fn: () => unknown): void },
  opts: { spool?: boolean; maxReadings?: number; lingerMs?: number; now?: () => number } = {},
) {
  const dir = tempDir();
  const path = join(dir.dir, 'db.sqlite');
  const db = new SqliteStore({ path });
  await db.open();
  const { state, store } = switchable(db.telemetry);
  const events: Committed[] = [];
  const writer = new CommitWriter(store);
  writer.onCommitted((c) => events.push(c));
  const spool = opts.spool ? new Spool(join(dir.dir, 'spool.log'), { maxBytes: 1 << 20 }) : undefined;
  spool?.open();
  const batcher = new Batcher(
    writer,
    { maxReadings: opts.maxReadings ?? 10_000, lingerMs: opts.lingerMs, now: opts.now, sequence: new SequenceTracker(), spool, checkpoints: db.catalog },
    createMetrics(),
  );
  t.after(async () => {
    await batcher.drain();
    spool?.close();
    await db.close();
    dir.remove();
  });
  const stored = async (device: string) => (await db.telemetry.queryRange({ device, from: 0, to: T0 + 1e9, limit: 1000 })).v?.ts.length ?? 0;
  return { db, path, state, events, writer, batcher, spool, stored };
}
