import type { Sql, TransactionSql } from 'postgres';
import { FencedError, type PartitionFence } from '../store.js';

/**
 * Cluster mode only (docs/scale-out.md, "Fencing"): one row per partition holding the newest lease
 * token that claimed it. A single node never writes it.
 */
export async function partitionFenceMigration(sql: Sql): Promise<void> {
  await sql`CREATE TABLE partition_fence (partition int4 PRIMARY KEY, token int8 NOT NULL)`;
}

/**
 * Claims the partitions for the given tokens unless a newer token did: returns the partitions that
 * passed. Whatever passes stays row-locked until the caller's transaction ends, so a newer owner's
 * claim waits for a commit in flight under the older token, and the state it then reads includes it.
 * Rows are locked in partition order: two writers claiming several partitions cannot deadlock.
 */
async function claim(tx: Sql | TransactionSql, fences: PartitionFence[]): Promise<Set<number>> {
  const sorted = [...fences].sort((a, b) => a.partition - b.partition);
  const rows = await tx<{ partition: number }[]>`
    INSERT INTO partition_fence AS f (partition, token)
    SELECT * FROM unnest(${tx.array(
      sorted.map((f) => f.partition),
      23,
    )}::int4[], ${tx.array(
      sorted.map((f) => f.token),
      20,
    )}::int8[])
    ON CONFLICT (partition) DO UPDATE SET token = excluded.token WHERE f.token <= excluded.token
    RETURNING partition`;
  return new Set(rows.map((r) => r.partition));
}

/** First thing in a batch's transaction: throws FencedError (the transaction rolls back) when a newer lease owns a partition of the batch. */
export async function checkFencesInTx(tx: TransactionSql, fences: PartitionFence[] | undefined): Promise<void> {
  if (!fences?.length) return;
  const passed = await claim(tx, fences);
  const refused = [...new Set(fences.map((f) => f.partition))].filter((p) => !passed.has(p)).sort((a, b) => a - b);
  if (refused.length) throw new FencedError(refused);
}

/** A new lease holder's claim, committed on its own before it reads the partition's state. */
export async function advancePartitionFence(sql: Sql, partition: number, token: number): Promise<boolean> {
  return (await claim(sql, [{ partition, token }])).has(partition);
}
