// Issue 21: the live feed sees a validated batch before its commit (Batcher.onValidated), wired as
// app.ts wires it; every reading reaches the feed exactly once, in order per device, whether the
// commit succeeds, fails into the spool, or the batch could not be shown early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../src/model/reading.js';
import { T0, batcherRig } from '../helpers/batcher-rig.js';

const msg = (device: string, seq: number): Message => ({ device, seq, ts: T0 + seq * 1000, values: { v: seq }, source: 'mqtt', receivedAt: Date.now() });
const ids = (ms: Message[]) => ms.map((m) => `${m.device}:${m.seq}`);

/** The batcher rig with the live feed wired as app.ts wires it. */
async function rig(t: { after(fn: () => unknown): void }, opts: { spool: boolean }) {
  const { state, events, writer, batcher, stored } = await batcherRig(t, opts);
  /** What the live feed got, and how many store writes had started when it got each batch. */
  const live: Message[] = [];
  const writesWhenShown: number[] = [];
  // As app.ts: early when the batcher can, else after the commit.
  batcher.onValidated((ms) => {
    writesWhenShown.push(state.writes);
    live.push(...ms);
  });
  writer.onCommitted((c) => {
    if (!(c.historical || c.shown)) live.push(...(c.shownBefore ? c.messages.filter((m) => !c.shownBefore!.has(m)) : c.messages));
  });
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

/** Holds the store's writes until released: the commit in flight stays in flight. */
function holdWrites(state: { hold: Promise<void> | null }): () => void {
  let release!: () => void;
  state.hold = new Promise<void>((r) => (release = r));
  return () => {
    state.hold = null;
    release();
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

const turn = () => new Promise((r) => setImmediate(r));

/** a:1 stored, then a:2's commit started and held: the commit in flight every case below needs. */
async function commitInFlight(r: Awaited<ReturnType<typeof rig>>): Promise<{ release: () => void; waits: Promise<void>[] }> {
  await r.batcher.add([msg('a', 1)]);
  const release = holdWrites(r.state);
  const waits = [r.batcher.add([msg('a', 2)])];
  await until(() => r.state.writes === 2);
  return { release, waits };
}

test('live while a commit is in flight: messages are shown as they arrive, not after that commit, and once', async (t) => {
  const r = await rig(t, { spool: true });
  const {
    release,
    waits: [first],
  } = await commitInFlight(r);
  const next = [r.batcher.add([msg('a', 3)]), r.batcher.add([msg('a', 4)])];
  await turn();
  // Released whatever the assertions say: a held write would hold the rig's drain.
  try {
    assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3', 'a:4'], 'a:3 and a:4 shown while the write of a:2 is held');
    assert.equal(r.state.writes, 2, 'their own write has not started');
  } finally {
    release();
  }
  await Promise.all([first, ...next]);
  assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3', 'a:4'], 'not shown again with their batch');
  assert.equal(await r.stored('a'), 4);
});

test('live while a commit is in flight: a resend of a seq accounted or shown is not shown, and order per device holds behind it', async (t) => {
  const r = await rig(t, { spool: true });
  await r.batcher.add([msg('a', 1), msg('b', 1)]);
  const release = holdWrites(r.state);
  const waits = [r.batcher.add([msg('a', 2)])];
  await until(() => r.state.writes === 2);
  // a:2 again (accounted in the batch in flight), then b:2 twice in one call, then a:3 behind them.
  waits.push(r.batcher.add([msg('a', 2)]), r.batcher.add([msg('b', 2), msg('b', 2)]), r.batcher.add([msg('a', 3)]));
  await turn();
  release();
  await Promise.all(waits);
  await r.batcher.drain();
  assert.deepEqual(ids(r.live), ['a:1', 'b:1', 'a:2', 'b:2', 'a:3']);
  assert.equal(await r.stored('a'), 3);
  assert.equal(await r.stored('b'), 2);
});

test('live while a commit is in flight: shown early, then its batch waits for its commit (a new device): the rest is shown after, once, in order', async (t) => {
  const r = await rig(t, { spool: true });
  const { release, waits } = await commitInFlight(r);
  // a:3 early; c is new (its `device` message comes from the commit first), and a:4 waits behind it.
  waits.push(r.batcher.add([msg('a', 3)]), r.batcher.add([msg('c', 1)]), r.batcher.add([msg('a', 4)]));
  await turn();
  try {
    assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3']);
  } finally {
    release();
  }
  await Promise.all(waits);
  assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3', 'c:1', 'a:4']);
  assert.equal(r.events.at(-1)!.shown, false, 'the batch with the new device is shown after its commit');
});

test('live while a commit is in flight: shown early, then the store fails: spooled, stored on replay, shown once', async (t) => {
  const r = await rig(t, { spool: true });
  const { release, waits } = await commitInFlight(r);
  waits.push(r.batcher.add([msg('a', 3)]));
  await turn();
  r.state.down = true;
  release();
  await Promise.all(waits);
  assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3']);
  assert.equal(await r.stored('a'), 1);
  r.state.down = false;
  await r.batcher.add([msg('a', 4)]);
  await r.batcher.drain();
  assert.equal(await r.stored('a'), 4, 'spooled readings stored on replay');
  assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3', 'a:4'], 'each exactly once');
});

test('live while a commit is in flight: without a spool nothing is shown before its own commit', async (t) => {
  const r = await rig(t, { spool: false });
  const { release, waits } = await commitInFlight(r);
  waits.push(r.batcher.add([msg('a', 3)]));
  await turn();
  try {
    assert.deepEqual(ids(r.live), ['a:1']);
  } finally {
    release();
  }
  await Promise.all(waits);
  assert.deepEqual(ids(r.live), ['a:1', 'a:2', 'a:3']);
});
