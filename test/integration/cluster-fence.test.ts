// Issue 19: commits fenced by the partition lease, on a real PostgreSQL. Two nodes' commit paths
// (store, sequence tracker, batcher) share one database; one partition passes from an old lease
// (token 5) to a new one (token 9) while the old owner still has a batch to commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type postgres from 'postgres';
import { checkFencesInTx } from '../../src/stores/postgres/partition-fence.js';
import { FencedError, type PartitionFence } from '../../src/stores/store.js';
import { completeness } from '../../src/pipeline/sequence.js';
import { requirePostgres } from '../helpers/postgres.js';
import { T0, commitNode, seqMessages as msgs, sharedDatabase } from '../helpers/fenced-commit.js';

const pgSvc = requirePostgres('cluster fence');

async function storedSeqs(sql: postgres.Sql, device: string): Promise<Map<number, number>> {
  const rows = await sql<{ seq: number; n: number }[]>`
    SELECT r.seq::int AS seq, count(*)::int AS n FROM readings r JOIN series s ON s.id = r.series WHERE s.device = ${device} GROUP BY r.seq`;
  return new Map(rows.map((r) => [r.seq, r.n]));
}

test(
  'a stale partition owner commits nothing (readings nor sequence state) once a newer lease claimed the partition; the new owner counts each message once',
  { skip: pgSvc.skip, timeout: 120_000 },
  async (t) => {
    const { url, sql } = await sharedDatabase(t);
    const a = await commitNode(t, url); // migrates
    const b = await commitNode(t, url);
    const P = 3;
    const Q = 4;
    const old: PartitionFence = { partition: P, token: 5 };
    const newer: PartitionFence = { partition: P, token: 9 };

    // Node A owns P (token 5) and commits seq 1..10.
    assert.equal(await a.claim(old, ['d1']), true);
    assert.equal(await a.claim({ partition: Q, token: 6 }, ['d2']), true);
    await a.batcher.add(msgs('d1', 1, 10), [], old);

    // A's lease expires; node B takes P with a newer lease, and loads d1's state as committed.
    assert.equal(await b.claim(newer, ['d1']), true);

    // A still had seq 11..20 of d1 in flight, in the same group commit as a batch of Q it still owns.
    const stale = a.batcher.add(msgs('d1', 11, 20), [], old);
    const other = a.batcher.add(msgs('d2', 1, 5), [], { partition: Q, token: 6 });
    await assert.rejects(stale, (err: Error) => err instanceof FencedError && err.partitions.join() === String(P));
    await other; // Q's batch is not held hostage by P's refusal
    assert.deepEqual(
      [...(await storedSeqs(sql, 'd2')).keys()].sort((x, y) => x - y),
      [1, 2, 3, 4, 5],
    );
    // Nothing of the refused batch landed: no reading, no sequence state, no counter.
    assert.deepEqual(
      [...(await storedSeqs(sql, 'd1')).keys()].sort((x, y) => x - y),
      [...Array(10).keys()].map((i) => i + 1),
    );
    assert.equal((await b.store.catalog.sequenceStateOf!('d1'))?.maxSeq, 10);
    assert.equal((await b.store.catalog.sequenceStats('d1', T0, T0 + 100_000)).received, 10);
    // A's tracker is back where the store is (its accounting of the refused batch undone).
    assert.equal(a.sequence.state('d1')?.maxSeq, 10);
    // And A can never claim P again with its old token.
    assert.equal(await a.store.catalog.advancePartitionFence!(P, old.token), false);

    // B gets the unacknowledged 11..20 redelivered, and 21..30: each counted once, no gap.
    await b.batcher.add(msgs('d1', 11, 20), [], newer);
    await b.batcher.add(msgs('d1', 21, 30), [], newer);
    const stored = await storedSeqs(sql, 'd1');
    assert.equal(stored.size, 30);
    assert.ok(
      [...stored.values()].every((n) => n === 1),
      'each reading stored once',
    );
    const stats = await b.store.catalog.sequenceStats('d1', T0, T0 + 100_000);
    const c = completeness('d1', T0, T0 + 100_000, stats, await b.store.catalog.sequenceStateOf!('d1'));
    assert.deepEqual(
      { expected: c.expected, received: c.received, missing: c.missing, duplicates: c.duplicates },
      { expected: 30, received: 30, missing: 0, duplicates: 0 },
    );
  },
);

test(
  "a newer owner's claim waits for a commit in flight under the older lease, so the state it then reads includes that commit",
  { skip: pgSvc.skip, timeout: 120_000 },
  async (t) => {
    const { url, sql: raw } = await sharedDatabase(t);
    const b = await commitNode(t, url);
    const P = 0;
    assert.equal(await b.store.catalog.advancePartitionFence!(P, 1), true);

    // The old owner (token 1) is inside its commit: fence passed, state written, not yet committed.
    let inside!: () => void;
    const fencePassed = new Promise<void>((r) => (inside = r));
    const oldCommit = raw.begin(async (tx) => {
      await checkFencesInTx(tx, [{ partition: P, token: 1 }]);
      await tx`INSERT INTO seq_state (device, state) VALUES ('d9', ${JSON.stringify({ device: 'd9', epoch: 0, maxSeq: 42, lastTs: T0, received: 42, duplicates: 0, outOfOrder: 0, restarts: 0, gaps: [] })})`;
      inside();
      // Long beside a claim that does not wait; the claim below must wait for it whatever the load.
      await new Promise((r) => setTimeout(r, 500));
    });
    await fencePassed;
    // Causality, not timing: B reads d9's state right after its claim returns; it holds the old owner's commit only if the claim waited for it.
    assert.equal(await b.claim({ partition: P, token: 2 }, ['d9']), true);
    assert.equal(b.sequence.state('d9')?.maxSeq, 42, "the new owner's state includes the commit that was in flight when it claimed the partition");
    await oldCommit;
  },
);
