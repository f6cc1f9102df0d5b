// Issue 21: the live feed sees a validated batch before its commit (Batcher.onValidated), wired as
// app.ts wires it; every reading reaches the feed exactly once, in order per device, whether the
// commit succeeds, fails into the spool, or the batch could not be shown early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { TelemetryStore, WriteBatch, WriteResult } from '../../src/stores/store.js';
import { CommitWriter, type Committed } from '../../src/pipeline/commit.js';
import { Batcher } from '../../src/pipeline/batcher.js';
import { SequenceTracker } from '../../src/pipeline/sequence.js';
import { Spool } from '../../src/pipeline/spool.js';
import { createMetrics } from '../../src/metrics.js';
import type { Message } from '../../src/model/reading.js';
import { tempDir } from '../helpers/app.js';

const T0 = Date.UTC(2025, 0, 1);
const msg = (device: string, seq: number): Message => ({ device, seq, ts: T0 + seq * 1000, values: { v: seq }, source: 'mqtt', receivedAt: Date.now() });
const ids = (ms: Message[]) => ms.map((m) => `${m.device}:${m.seq}`);

async function rig(t: { after(fn: () => unknown): void }, opts: { spool: boolean }) {
  const dir = tempDir();
  const db = new SqliteStore({ path: join(dir.dir, 'db.sqlite') });
  await db.open();
  const state = { down: false, writes: 0 };
  const store: Pick<TelemetryStore, 'write'> = {
    write(b: WriteBatch): Promise<WriteResult> {
      state.writes++;
      return state.down ? Promise.reject(new Error('SQLITE_FULL: database or disk is full')) : db.telemetry.write(b);
    },
  };
  const writer = new CommitWriter(store);
  const events: Committed[] = [];
  /** What the live feed got, and how many store writes had started when it got each batch. */
  const live: Message[] = [];
  const writesWhenShown: number[] = [];
  const spool = opts.spool ? new Spool(join(dir.dir, 'spool.log'), { maxBytes: 1 << 20 }) : undefined;
  spool?.open();
  const batcher = new Batcher(writer, { maxReadings: 10_000, sequence: new SequenceTracker(), spool, checkpoints: db.catalog }, createMetrics());
  // As app.ts: early when the batcher can, else after the commit.
  batcher.onValidated((ms) => {
    writesWhenShown.push(state.writes);
    live.push(...ms);
  });
  writer.onCommitted((c) => {
    events.push(c);
    if (!(c.historical || c.shown)) live.push(...c.messages);
  });
  t.after(async () => {
    await batcher.drain();
    spool?.close();
    await db.close();
    dir.remove();
  });
  const stored = async (device: string) => (await db.telemetry.queryRange({ device, from: 0, to: T0 + 1e9, limit: 1000 })).v?.ts.length ?? 0;
  return { state, events, live, writesWhenShown, batcher, stored };
}

test('live before commit: a batch is shown before its store write starts, once, in order per device', async (t) => {
  const r = await rig(t, { spool: true });
  await Promise.all([r.batcher.add([msg('a', 1), msg('a', 2)]), r.batcher.add([msg('b', 1)]), r.batcher.add([msg('a', 3)])]);
  await Promise.all([r.batcher.add([msg('a', 4)]), r.batcher.add([msg('b', 2)])]);
  assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'b:1', 'a:3', 'a:4', 'b:2']);
  // The first batch brings new devices: after its commit (their `device` message first); the second before its write.
  assert.deepEqual(r.writesWhenShown, [1], 'a batch of known devices shown before its own write');
  assert.deepEqual(
    r.events.map((e) => e.shown),
    [false, true],
  );
  assert.equal(await r.stored('a'), 4);
});

test('live before commit: duplicates that sequence accounting drops are not shown', async (t) => {
  const r = await rig(t, { spool: true });
  await r.batcher.add([msg('a', 1), msg('a', 2)]);
  await r.batcher.add([msg('a', 2), msg('a', 3)]);
  assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3']);
});

test('live before commit: a failed commit is spooled; its readings were shown once and are stored on replay, not shown again', async (t) => {
  const r = await rig(t, { spool: true });
  await r.batcher.add([msg('a', 0)]);
  r.state.down = true;
  await r.batcher.add([msg('a', 1), msg('a', 2)]);
  assert.deepEqual(ids(r.live), ['a:0', 'a:1', 'a:2']);
  assert.equal(await r.stored('a'), 1);
  r.state.down = false;
  await r.batcher.add([msg('a', 3)]);
  await r.batcher.drain();
  assert.equal(await r.stored('a'), 4, 'spooled readings stored on replay');
  assert.deepEqual(ids(r.live), ['a:0', 'a:1', 'a:2', 'a:3'], 'each exactly once');
  assert.ok(
    r.events.some((e) => e.historical),
    'the replay is history',
  );
});

test('live before commit: with no spool a batch is shown only after its commit, and a failed one never', async (t) => {
  const r = await rig(t, { spool: false });
  await r.batcher.add([msg('a', 1)]);
  assert.deepEqual(r.writesWhenShown, [], 'not shown early');
  assert.deepEqual(ids(r.live), ['a:1']);
  assert.equal(r.events[0].shown, false);
  r.state.down = true;
  await assert.rejects(r.batcher.add([msg('a', 2)]));
  assert.deepEqual(ids(r.live), ['a:1']);
});
