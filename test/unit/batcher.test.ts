// The batcher on its own, over a real SQLite store: group commit, one Committed event per commit with
// what sequence accounting kept, and the spool while the store refuses writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINGER_FROM } from '../../src/pipeline/batcher.js';
import { StoreUnavailableError } from '../../src/pipeline/spool.js';
import type { Message } from '../../src/model/reading.js';
import type { RejectedRecord } from '../../src/stores/store.js';
import { T0, batcherRig } from '../helpers/batcher-rig.js';

const msg = (device: string, seq: number, value = seq): Message => ({
  device,
  seq,
  ts: T0 + seq * 1000,
  values: { v: value },
  source: 'http',
  receivedAt: T0 + seq * 1000,
});

test('batcher: what arrives in one turn is one commit; each sender is answered after it', async (t) => {
  const r = await batcherRig(t);
  const sent = [r.batcher.add([msg('a', 1)]), r.batcher.add([msg('a', 2)]), r.batcher.add([msg('b', 1)])];
  await Promise.all(sent);
  assert.equal(r.state.writes, 1, 'one transaction');
  assert.equal(r.events.length, 1, 'one event');
  assert.deepEqual(
    r.events[0].messages.map((m) => `${m.device}:${m.seq}`),
    ['a:1', 'a:2', 'b:1'],
  );
  assert.deepEqual(r.events[0].newDevices.map((d) => d.id).sort(), ['a', 'b']);
  assert.equal(r.events[0].historical, false);
  assert.equal(await r.stored('a'), 2);
});

test('batcher: a backlog over maxReadings is committed as bounded transactions, in order, each sender whole', async (t) => {
  const r = await batcherRig(t, { maxReadings: 10 });
  const three = (device: string, seq: number): Message => ({ ...msg(device, seq), values: { v: seq, w: seq, x: seq } });
  // Ten senders of 3 readings in one turn (30 readings), then one sender of 12 (over the limit on its own).
  const sent = Array.from({ length: 10 }, (_, i) => r.batcher.add([three('m', i + 1)]));
  sent.push(r.batcher.add(Array.from({ length: 4 }, (_, i) => three('big', i + 1))));
  await Promise.all(sent);
  assert.deepEqual(
    r.events.map((e) => e.readings.length),
    [9, 9, 9, 3, 12],
  );
  assert.deepEqual(
    r.events.flatMap((e) => e.messages.map((m) => `${m.device}:${m.seq}`)),
    [...Array.from({ length: 10 }, (_, i) => `m:${i + 1}`), 'big:1', 'big:2', 'big:3', 'big:4'],
  );
  assert.equal(r.state.writes, 5);
  assert.equal(await r.stored('m'), 10);
  assert.equal(await r.stored('big'), 4);
});

test('batcher: taking a bounded transaction off a backlog does not walk the rest of the backlog', async (t) => {
  const r = await batcherRig(t, { maxReadings: 10 });
  // Each message counts how often its readings are enumerated. Taking each batch used to re-add every
  // sender still waiting, reading by reading: a message at the back of a backlog of n transactions was
  // walked about n times (quadratic in the backlog, the store's batches slower the longer the queue).
  const walks = new Map<number, number>();
  const counted = (seq: number): Message => ({
    ...msg('q', seq),
    values: new Proxy(
      { v: seq },
      {
        ownKeys: (target) => {
          walks.set(seq, (walks.get(seq) ?? 0) + 1);
          return Reflect.ownKeys(target);
        },
      },
    ),
  });
  const sent = Array.from({ length: 400 }, (_, i) => r.batcher.add([counted(i + 1)]));
  await Promise.all(sent);
  assert.equal(r.events.length, 40, 'forty transactions of ten');
  assert.equal(await r.stored('q'), 400);
  const most = Math.max(...walks.values());
  assert.ok(most <= 8, `a message's readings were walked ${most} times (the last one: ${walks.get(400)})`);
});

test('batcher: followers hear what sequence accounting kept, not the duplicates sent', async (t) => {
  const r = await batcherRig(t);
  await r.batcher.add([msg('d', 1)]);
  await r.batcher.add([msg('d', 1), msg('d', 2)]);
  await r.batcher.add([msg('d', 2)]);
  assert.deepEqual(
    r.events.map((e) => e.messages.map((m) => m.seq)),
    [[1], [2], []],
  );
  assert.deepEqual(
    r.events.map((e) => e.newDevices.length),
    [1, 0, 0],
    'a device is new once',
  );
  assert.equal(await r.stored('d'), 2);
});

test('batcher: while the store refuses, batches are spooled and announced live; once back, replayed as history', async (t) => {
  const r = await batcherRig(t, { spool: true });
  r.state.down = true;
  await r.batcher.add([msg('s', 1)]);
  assert.equal(r.spool!.pending, 1);
  assert.deepEqual(
    r.events.map((e) => [e.historical, e.messages.length]),
    [[false, 1]],
    'live followers do not wait for the store',
  );
  assert.equal(await r.stored('s'), 0);
  r.state.down = false;
  await r.batcher.add([msg('s', 2)]);
  assert.equal(r.spool!.pending, 0);
  assert.deepEqual(
    r.events.map((e) => [e.historical, e.messages.map((m) => m.seq)]),
    [
      [false, [1]],
      [true, []],
      [false, [2]],
    ],
  );
  assert.equal(r.events[1].readings.length, 1, 'the replayed batch carries its readings');
  assert.equal(await r.stored('s'), 2);
});

test('batcher: with no spool a refused write fails its senders and nobody hears of it', async (t) => {
  const r = await batcherRig(t);
  r.state.down = true;
  await assert.rejects(r.batcher.add([msg('x', 1)]), /SQLITE_FULL/);
  assert.equal(r.events.length, 0);
  r.state.down = false;
  // The refused batch was rolled back in sequence accounting: sent again, it is not a duplicate.
  await r.batcher.add([msg('x', 1)]);
  assert.deepEqual(
    r.events.map((e) => e.messages.map((m) => m.seq)),
    [[1]],
  );
  assert.equal(await r.stored('x'), 1);
});

test('batcher: a spool that is full refuses the senders with StoreUnavailableError', async (t) => {
  const r = await batcherRig(t, { spool: true });
  r.state.down = true;
  const big = Array.from({ length: 20_000 }, (_, i) => msg('big', i + 1));
  await assert.rejects(r.batcher.add(big), (err: unknown) => err instanceof StoreUnavailableError);
  assert.equal(r.events.length, 0);
});

test('batcher: a SQLite writer thread that dies mid-commit is a store error: the batch is spooled, then replayed by the next thread', async (t) => {
  const r = await batcherRig(t, { spool: true });
  const { default: Database } = await import('better-sqlite3');
  // Another connection holds the write lock, so the batch is surely in the writer thread's hands when it dies.
  const other = new Database(r.path);
  other.exec('BEGIN IMMEDIATE');
  const sent = r.batcher.add([msg('w', 1)]);
  while (!r.db.writer!.pending) await new Promise((done) => setImmediate(done));
  await r.db.writer!.threadForTests!.terminate();
  await sent;
  assert.equal(r.spool!.pending, 1, 'acknowledged because spooled, not because stored');
  assert.equal(r.db.writer!.crashes, 1);
  other.exec('COMMIT');
  other.close();
  await r.batcher.add([msg('w', 2)]);
  assert.equal(r.spool!.pending, 0);
  assert.equal(await r.stored('w'), 2);
});

test('batcher: a batch committed whose answer was lost is replayed without recording its dead letters and sequence counters twice', async (t) => {
  const r = await batcherRig(t, { spool: true });
  const bad: RejectedRecord = { at: T0, source: 'http', device: 'x', field: 'values.v', rule: 'number', error: 'not a number', payload: '{"v":"a"}' };
  r.state.loseAnswers = 1;
  await r.batcher.add([msg('x', 1), msg('x', 2)], [bad]);
  assert.equal(r.spool!.pending, 1, 'the lost answer made it a store error: spooled');
  await r.batcher.add([msg('x', 3)]);
  assert.equal(r.spool!.pending, 0, 'replayed');
  assert.equal(await r.stored('x'), 3);
  assert.equal((await r.db.telemetry.listRejected({ limit: 100 })).length, 1, 'one dead letter, not two');
  const { default: Database } = await import('better-sqlite3');
  const other = new Database(r.path, { readonly: true });
  const received = other.prepare("SELECT sum(received) FROM seq_stats WHERE device = 'x'").pluck().get();
  other.close();
  assert.equal(received, 3, 'each message counted once');
});

test('batcher: a spooled batch that never committed is written on replay (its id is not taken for committed)', async (t) => {
  const r = await batcherRig(t, { spool: true });
  const bad: RejectedRecord = { at: T0, source: 'http', device: 'y', field: 'values.v', rule: 'number', error: 'not a number', payload: '{"v":"a"}' };
  r.state.down = true;
  await r.batcher.add([msg('y', 1)], [bad]);
  assert.equal(r.spool!.pending, 1);
  r.state.down = false;
  await r.batcher.add([msg('y', 2)]);
  assert.equal(r.spool!.pending, 0);
  assert.equal(await r.stored('y'), 2);
  assert.equal((await r.db.telemetry.listRejected({ limit: 100 })).length, 1);
});

test('batcher: with lingerMs, after a commit under load the next one waits to fill: messages of several turns in one commit', async (t) => {
  // A linger far longer than the test: only a full batch (maxReadings) or drain() may end it.
  const r = await batcherRig(t, { maxReadings: LINGER_FROM * 2, lingerMs: 600_000 });
  await r.batcher.add(Array.from({ length: LINGER_FROM }, (_, i) => msg('load', i + 1)));
  assert.equal(r.state.writes, 1);
  const next: Promise<void>[] = [];
  for (let turn = 0; turn < 3; turn++) {
    next.push(r.batcher.add([msg('load', LINGER_FROM + 1 + turn)]));
    await new Promise((done) => setImmediate(done));
    await new Promise((done) => setTimeout(done, 5));
  }
  assert.equal(r.state.writes, 1, 'the next commit waits to fill');
  // Filling to maxReadings ends the wait at once.
  next.push(r.batcher.add(Array.from({ length: LINGER_FROM * 2 - 3 }, (_, i) => msg('load', LINGER_FROM + 4 + i))));
  await Promise.all(next);
  assert.equal(r.state.writes, 2, 'one commit for all four senders');
  assert.equal(await r.stored('load'), LINGER_FROM * 3);
});

test('batcher: with lingerMs, what waited behind the commit in flight for the linger already is committed next without waiting again (issue 15)', async (t) => {
  // A linger far longer than the test, and a clock the test moves: only the waiting message's age
  // (not a timer) can start the next commit. The old code counted the linger from the commit's end.
  let clock = 0;
  const linger = 600_000;
  const r = await batcherRig(t, { maxReadings: LINGER_FROM * 10, lingerMs: linger, now: () => clock });
  let release!: () => void;
  r.state.hold = new Promise<void>((done) => (release = done));
  const first = r.batcher.add(Array.from({ length: LINGER_FROM }, (_, i) => msg('busy', i + 1)));
  for (let i = 0; i < 5 && r.state.writes < 1; i++) await new Promise((done) => setImmediate(done));
  assert.equal(r.state.writes, 1, 'the first commit is in flight');
  // Arrives during the commit, which then takes longer than the linger.
  const second = r.batcher.add([msg('busy', LINGER_FROM + 1)]);
  clock += linger + 1;
  r.state.hold = null;
  release();
  await first;
  for (let i = 0; i < 50 && r.state.writes < 2; i++) await new Promise((done) => setImmediate(done));
  assert.equal(r.state.writes, 2, 'the waiting message went to the store without a second wait');
  await second;
  assert.equal(await r.stored('busy'), LINGER_FROM + 1);
});

test('batcher: with lingerMs, what arrived during a commit shorter than the linger waits only the rest of it', async (t) => {
  let clock = 0;
  const linger = 600_000;
  const r = await batcherRig(t, { maxReadings: LINGER_FROM * 10, lingerMs: linger, now: () => clock });
  let release!: () => void;
  r.state.hold = new Promise<void>((done) => (release = done));
  const first = r.batcher.add(Array.from({ length: LINGER_FROM }, (_, i) => msg('short', i + 1)));
  for (let i = 0; i < 5 && r.state.writes < 1; i++) await new Promise((done) => setImmediate(done));
  assert.equal(r.state.writes, 1, 'the first commit is in flight');
  const second = r.batcher.add([msg('short', LINGER_FROM + 1)]);
  clock += 10;
  r.state.hold = null;
  release();
  await first;
  for (let i = 0; i < 20; i++) await new Promise((done) => setImmediate(done));
  assert.equal(r.state.writes, 1, 'the commit took 10 ms of a 600 s linger: the next still waits to fill');
  await r.batcher.drain();
  await second;
  assert.equal(r.state.writes, 2);
  assert.equal(await r.stored('short'), LINGER_FROM + 1);
});

test('batcher: with lingerMs, a small commit (light load) does not make the next one wait', { timeout: 120_000 }, async (t) => {
  const r = await batcherRig(t, { lingerMs: 600_000 });
  await r.batcher.add([msg('light', 1)]);
  await r.batcher.add([msg('light', 2)]);
  assert.equal(r.state.writes, 2);
});

test('batcher: a commit of many senders answers them a slice per turn, not in one go (issue 15)', async (t) => {
  const r = await batcherRig(t, { maxReadings: 100_000 });
  const n = 1000;
  let answered = 0;
  /** How many were answered when a turn of the event loop first came between the answers. */
  let atFirstTurn = -1;
  // All in one turn: one commit of n senders.
  const sent = Array.from({ length: n }, (_, i) =>
    r.batcher.add([msg(`s${i % 50}`, Math.floor(i / 50) + 1)]).then(() => {
      if (answered++ === 0) setImmediate(() => (atFirstTurn = answered));
    }),
  );
  await Promise.all(sent);
  assert.equal(r.state.writes, 1, 'one transaction');
  assert.equal(answered, n);
  // On the old code every sender was answered before any I/O, timer or /health request could run.
  assert.ok(atFirstTurn > 0 && atFirstTurn < n, `answered before the first turn came between: ${atFirstTurn} of ${n}`);
  await r.batcher.drain();
});

test('batcher: addThen answers by callback after the commit, and with the error when the store fails', async (t) => {
  const r = await batcherRig(t);
  const outcome = await new Promise<Error | undefined>((done) => r.batcher.addThen([msg('cb', 1)], [], done));
  assert.equal(outcome, undefined);
  assert.equal(await r.stored('cb'), 1);
  r.state.down = true;
  const failed = await new Promise<Error | undefined>((done) => r.batcher.addThen([msg('cb', 2)], [], done));
  assert.match(String(failed?.message), /SQLITE_FULL/);
  assert.equal(await r.stored('cb'), 1);
});
