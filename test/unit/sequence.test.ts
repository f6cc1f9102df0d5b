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
  assert.deepEqual(a.keep.map((x) => x.seq), [1, 2, 6, 7, 4]);
  const st = tr.state('d1')!;
  assert.equal(st.duplicates, 2);
  assert.equal(st.outOfOrder, 1);
  assert.deepEqual(st.gaps.map((g) => [g.fromSeq, g.toSeq]), [[3, 3], [5, 5]]);
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
  assert.deepEqual(st.gaps.map((g) => [g.epoch, g.fromSeq, g.toSeq]), [[0, 4, 499]]);
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
  assert.deepEqual(a.update.buckets.map((b) => [b.bucket - T0, b.received, b.duplicates]), [[0, 1, 0], [60_000, 1, 1]]);
  assert.equal(a.update.devices.length, 1);
  assert.equal(a.update.devices[0].maxSeq, 2);
});
