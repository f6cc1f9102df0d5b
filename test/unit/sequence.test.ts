import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceTracker, completeness } from '../../src/pipeline/sequence.js';
import type { Message } from '../../src/model/reading.js';

const T0 = Date.UTC(2025, 0, 1);
const m = (seq: number, ts = T0 + seq * 1000, device = 'd1'): Message => ({ device, seq, ts, values: { x: seq }, source: 'mqtt', receivedAt: ts });

function run(tr: SequenceTracker, seqs: (number | Message)[]) {
  const acct = tr.account(seqs.map((s) => (typeof s === 'number' ? m(s) : s)));
  acct.commit();
  return acct;
}

test('in order: all received, no gaps', () => {
  const tr = new SequenceTracker();
  const a = run(tr, [1, 2, 3, 4]);
  assert.equal(a.keep.length, 4);
  const st = tr.state('d1')!;
  assert.equal(st.received, 4);
  assert.equal(st.gaps.length, 0);
  assert.equal(st.maxSeq, 4);
});

test('duplicates are left out and counted; gaps are found and filled by late arrivals', () => {
  const tr = new SequenceTracker();
  const a = run(tr, [1, 2, 2, 6, 7, 4, 7]);
  assert.deepEqual(
    a.keep.map((x) => x.seq),
    [1, 2, 6, 7, 4],
  );
  const st = tr.state('d1')!;
  assert.equal(st.duplicates, 2);
  assert.equal(st.outOfOrder, 1);
  assert.deepEqual(
    st.gaps.map((g) => [g.fromSeq, g.toSeq]),
    [
      [3, 3],
      [5, 5],
    ],
  );
  assert.equal(st.gaps[0].fromTs, T0 + 2000);
  assert.equal(st.gaps[0].toTs, T0 + 4000);
  const c = completeness('d1', T0, T0 + 60_000, { received: st.received, duplicates: st.duplicates, outOfOrder: st.outOfOrder, restarts: 0 }, st);
  assert.equal(c.received, 5);
  assert.equal(c.missing, 2);
  assert.equal(c.expected, 7);
  assert.equal(c.ratio, 5 / 7);
  // Filling the rest leaves nothing missing.
  run(tr, [3, 5]);
  assert.equal(tr.state('d1')!.gaps.length, 0);
});

test('seq back to the start with a newer time is a restart: a new epoch, not duplicates', () => {
  const tr = new SequenceTracker();
  run(tr, [1, 2, 3, 500]);
  const a = run(tr, [m(1, T0 + 600_000), m(2, T0 + 601_000)]);
  assert.equal(a.keep.length, 2);
  const st = tr.state('d1')!;
  assert.equal(st.restarts, 1);
  assert.equal(st.epoch, 1);
  assert.equal(st.maxSeq, 2);
  // The gap of the old epoch stays reported; new-epoch seqs inside it do not "fill" it.
  assert.deepEqual(
    st.gaps.map((g) => [g.epoch, g.fromSeq, g.toSeq]),
    [[0, 4, 499]],
  );
});

test('rollback forgets a failed batch, so its resend is not taken for a duplicate', () => {
  const tr = new SequenceTracker();
  run(tr, [1, 2]);
  const failed = tr.account([m(3), m(4)]);
  failed.rollback();
  const again = run(tr, [3, 4]);
  assert.equal(again.keep.length, 2);
  assert.equal(tr.state('d1')!.duplicates, 0);
  // A device first seen in a failed batch is forgotten too.
  const other = tr.account([m(1, T0, 'd2')]);
  other.rollback();
  assert.equal(tr.state('d2'), undefined);
});

test('the update carries per-minute buckets and full device state for the store', () => {
  const tr = new SequenceTracker();
  const a = run(tr, [m(1, T0), m(2, T0 + 61_000), m(2, T0 + 61_000)]);
  assert.deepEqual(
    a.update.buckets.map((b) => [b.bucket - T0, b.received, b.duplicates]),
    [
      [0, 1, 0],
      [60_000, 1, 1],
    ],
  );
  assert.equal(a.update.devices.length, 1);
  assert.equal(a.update.devices[0].maxSeq, 2);
});

test('first-contact backlog: older seqs after the first one seen are stored as late, not duplicates', () => {
  const tr = new SequenceTracker();
  // A serial device reconnecting sends its newest frame, then the buffered older ones.
  const a = run(tr, [10, 7, 8, 9]);
  assert.deepEqual(
    a.keep.map((x) => x.seq),
    [10, 7, 8, 9],
  );
  let st = tr.state('d1')!;
  assert.equal(st.received, 4);
  assert.equal(st.duplicates, 0);
  assert.equal(st.outOfOrder, 3);
  assert.equal(st.restarts, 0);
  assert.equal(st.maxSeq, 10);
  assert.deepEqual(st.gaps, []);
  // A backlog with a hole: the hole is missing until it comes; once it does, nothing is.
  run(tr, [4]);
  st = tr.state('d1')!;
  assert.deepEqual(
    st.gaps.map((g) => [g.fromSeq, g.toSeq, g.fromTs - T0, g.toTs - T0]),
    [[5, 6, 4000, 7000]],
  );
  const stats = (s: typeof st) => ({ received: s.received, duplicates: s.duplicates, outOfOrder: s.outOfOrder, restarts: s.restarts });
  const c = completeness('d1', T0, T0 + 60_000, stats(st), st);
  assert.deepEqual([c.received, c.missing, c.expected], [5, 2, 7]);
  const b = run(tr, [6, 5, 4, 9]);
  assert.deepEqual(
    b.keep.map((x) => x.seq),
    [6, 5],
    'the resent 4 and 9 are true duplicates',
  );
  st = tr.state('d1')!;
  assert.equal(st.duplicates, 2);
  const done = completeness('d1', T0, T0 + 60_000, stats(st), st);
  assert.deepEqual([done.received, done.missing, done.expected, done.ratio], [7, 0, 7, 1]);
});

test('first-contact backlog across batches and devices, and a first-seen seq of 1 still takes its later frames', () => {
  const tr = new SequenceTracker();
  run(tr, [m(50, T0 + 50_000, 'a'), m(3, T0 + 3000, 'b')]);
  const a = run(tr, [m(49, T0 + 49_000, 'a'), m(2, T0 + 2000, 'b'), m(1, T0 + 1000, 'b'), m(4, T0 + 4000, 'b')]);
  assert.equal(a.keep.length, 4);
  assert.deepEqual([tr.state('a')!.outOfOrder, tr.state('a')!.duplicates], [1, 0]);
  const b = tr.state('b')!;
  assert.deepEqual([b.received, b.outOfOrder, b.duplicates, b.restarts, b.maxSeq], [4, 2, 0, 0, 4]);
});

test('redelivery after a broker restart: older unseen seqs after newer ones are late, resent seen ones are duplicates', () => {
  const tr = new SequenceTracker();
  run(tr, [1, 2, 3, 4, 5]);
  // The broker went down holding 6 and 7 (QoS 1); the device went on with 8 and 9.
  run(tr, [8, 9]);
  assert.deepEqual(
    tr.state('d1')!.gaps.map((g) => [g.fromSeq, g.toSeq]),
    [[6, 7]],
  );
  // Back up, it redelivers what it held and what it had already delivered but not seen acked.
  const a = run(tr, [4, 5, 6, 7, 8]);
  assert.deepEqual(
    a.keep.map((x) => x.seq),
    [6, 7],
  );
  const st = tr.state('d1')!;
  assert.deepEqual([st.received, st.duplicates, st.outOfOrder, st.restarts], [9, 3, 2, 0]);
  assert.deepEqual(st.gaps, []);
});

test('true duplicates in one batch and across batches are left out, however late they come', () => {
  const tr = new SequenceTracker();
  const a = run(tr, [1, 1, 2, 3, 3, 3]);
  assert.deepEqual(
    a.keep.map((x) => x.seq),
    [1, 2, 3],
  );
  for (let s = 4; s <= 300; s += 2) run(tr, [s]); // every other seq: many separate seen runs
  const b = run(tr, [2, 100, 298, 101, 101]);
  assert.deepEqual(
    b.keep.map((x) => x.seq),
    [101],
    'only the never-seen 101 (inside a gap) is new',
  );
  const st = tr.state('d1')!;
  assert.equal(st.duplicates, 3 + 4);
  assert.equal(st.outOfOrder, 1);
});

test('restart (seq reset with newer device time) starts a new epoch; its low seqs are not duplicates of the old ones', () => {
  const tr = new SequenceTracker();
  run(tr, [1, 2, 3, 4, 5]);
  const a = run(tr, [m(1, T0 + 600_000), m(2, T0 + 601_000), m(2, T0 + 601_000), m(3, T0 + 602_000)]);
  assert.deepEqual(
    a.keep.map((x) => x.seq),
    [1, 2, 3],
  );
  let st = tr.state('d1')!;
  assert.deepEqual([st.restarts, st.epoch, st.maxSeq, st.duplicates, st.received], [1, 1, 3, 1, 8]);
  // The next boot's first frame seen is its seq 2; its seq 1 (older device time) comes after it.
  run(tr, [m(2, T0 + 700_000)]);
  st = tr.state('d1')!;
  assert.deepEqual([st.restarts, st.epoch, st.maxSeq], [2, 2, 2]);
  const late = run(tr, [m(1, T0 + 699_000)]);
  assert.equal(late.keep.length, 1, 'an older frame of the new boot never seen is kept');
  assert.equal(tr.state('d1')!.outOfOrder, 1);
});

test('state saved before seen seqs were kept still calls a resend below the highest seq a duplicate', () => {
  const tr = new SequenceTracker();
  tr.load([
    {
      device: 'd1',
      epoch: 0,
      maxSeq: 10,
      lastTs: T0 + 10_000,
      received: 10,
      duplicates: 0,
      outOfOrder: 0,
      restarts: 0,
      gaps: [{ epoch: 0, fromSeq: 5, toSeq: 5, fromTs: T0 + 4000, toTs: T0 + 6000 }],
    },
  ]);
  const a = run(tr, [9, 5, 11, 10]);
  assert.deepEqual(
    a.keep.map((x) => x.seq),
    [5, 11],
  );
  assert.equal(tr.state('d1')!.duplicates, 2);
});

test('rollback of a refused batch leaves alone a device whose state was loaded afresh meanwhile (cluster: its partition was taken again)', () => {
  const tr = new SequenceTracker();
  const at = (seq: number): Message => ({ device: 'd', seq, ts: 1000 * seq, values: { v: seq }, source: 'mqtt', receivedAt: 1000 * seq });
  tr.account([1, 2, 3].map(at)).commit();
  const inFlight = tr.account([4, 5].map(at));
  // The store's state, newer than this batch (another owner committed up to 20), loaded while the batch was in flight.
  const stored = { ...tr.state('d')!, maxSeq: 20, received: 20, seen: [[1, 20]] as [number, number][] };
  tr.load([stored]);
  inFlight.rollback();
  assert.equal(tr.state('d')?.maxSeq, 20);
  assert.equal(tr.state('d')?.received, 20);
  // Without a reload, a rollback still undoes the batch.
  const again = tr.account([21, 22].map(at));
  again.rollback();
  assert.equal(tr.state('d')?.maxSeq, 20);
});

test('a batch handed to the store keeps its state while later batches account (copy on write), and a rollback restores the state before it', () => {
  const tr = new SequenceTracker();
  const first = run(tr, [1, 2, 3, m(1, T0 + 1000, 'd2')]);
  const d1 = first.update.devices.find((d) => d.device === 'd1')!;
  const snapshot = structuredClone(first.update);
  // The next batches change d1 (a gap, a late fill, more seen seqs) and d2 (a restart's new epoch).
  run(tr, [6, 7, 5, m(1, T0 + 999_000, 'd2')]);
  const refused = tr.account([9, 10, 8].map((s) => m(s)));
  assert.deepEqual(first.update, snapshot, "an earlier batch's state (persisted or spooled) never changes afterwards");
  assert.equal(d1.maxSeq, 3);
  refused.rollback();
  const st = tr.state('d1')!;
  assert.equal(st.maxSeq, 7);
  assert.equal(st.received, 6);
  assert.deepEqual(
    st.gaps.map((g) => [g.fromSeq, g.toSeq]),
    [[4, 4]],
  );
  // The resend after the rollback is new, not a duplicate.
  assert.equal(run(tr, [8, 9, 10]).keep.length, 3);
});

test("per-minute buckets count each device's messages by minute when devices interleave across minutes", () => {
  const tr = new SequenceTracker();
  const at = (seq: number, sec: number, device: string) => m(seq, T0 + sec * 1000, device);
  const a = run(tr, [at(1, 10, 'a'), at(1, 10, 'b'), at(2, 59, 'a'), at(3, 61, 'a'), at(2, 62, 'b'), at(4, 62, 'a'), at(4, 62, 'a')]);
  const rows = a.update.buckets.map((b) => [b.device, (b.bucket - T0) / 60_000, b.received, b.duplicates]).sort();
  assert.deepEqual(rows, [
    ['a', 0, 2, 0],
    ['a', 1, 2, 1],
    ['b', 0, 1, 0],
    ['b', 1, 1, 0],
  ]);
});
