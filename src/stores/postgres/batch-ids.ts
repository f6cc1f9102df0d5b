import type { Sql, TransactionSql } from 'postgres';

/**
 * Batch ids kept in write_batches (as the SQLite store's, telemetry-writer.ts). A batch whose answer
 * was lost is spooled at once and new batches queue behind the spool until it is replayed, so only
 * the few batches already in flight commit in between: far fewer than this, even with several nodes
 * of a cluster sharing the table.
 */
export const PG_BATCH_IDS_KEPT = 10_000;
/** The table is cut back to PG_BATCH_IDS_KEPT about once every this many commits (per writer). */
export const PG_BATCH_IDS_PRUNE_EVERY = 500;

/** The ids of committed batches, in commit order (n), so the oldest can be cut. */
export async function writeBatchesMigration(sql: Sql): Promise<void> {
  await sql`CREATE TABLE write_batches (n int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text NOT NULL UNIQUE)`;
}

/** Thrown inside a batch's transaction to roll it back: that batch id committed before. */
export class BatchCommittedBefore extends Error {
  constructor(readonly id: string) {
    super(`batch ${id} committed before`);
    this.name = 'BatchCommittedBefore';
  }
}

/**
 * Records the batch id in the batch's transaction; resolves false when it was committed before (the
 * replay of a batch whose answer was lost). Sent at once and pipelined ahead of the batch's other
 * statements, so it costs no round trip of its own; the caller awaits it before the commit, and rolls
 * back if it resolved false. A replay racing its original (not committed yet) waits on the unique
 * index for the original's end, then sees it.
 */
export function recordBatchInTx(tx: TransactionSql, id: string): Promise<boolean> {
  return tx`INSERT INTO write_batches (id) VALUES (${id}) ON CONFLICT (id) DO NOTHING`.execute().then((r) => r.count === 1);
}

/** Cuts the table back to the newest PG_BATCH_IDS_KEPT ids (pipelined in a batch's transaction: no round trip). */
export function pruneBatchIdsInTx(tx: TransactionSql): Promise<unknown> {
  return tx`DELETE FROM write_batches WHERE n <= (SELECT max(n) FROM write_batches) - ${PG_BATCH_IDS_KEPT}`.execute();
}
