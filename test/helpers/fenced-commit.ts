// Two or more Fieldscope nodes' commit paths sharing one PostgreSQL database, fenced by partition
// leases, as the cluster fence and judgement tests start them (in process: what they test is the
// store's fence and the commit path, not NATS or the node processes).
import type { TestContext } from 'node:test';
import postgres from 'postgres';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { PartitionFence } from '../../src/stores/store.js';
import { CommitWriter } from '../../src/pipeline/commit.js';
import { Batcher } from '../../src/pipeline/batcher.js';
import { SequenceTracker } from '../../src/pipeline/sequence.js';
import { createMetrics } from '../../src/metrics.js';
import type { Message } from '../../src/model/reading.js';
import { startPostgres } from './postgres.js';

/** The readings' epoch in these tests. */
export const T0 = Date.UTC(2026, 0, 1);

/** seq from..to of one device over MQTT, a second apart from T0, v = seq. */
export const seqMessages = (device: string, from: number, to: number): Message[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    device,
    seq: from + i,
    ts: T0 + (from + i) * 1000,
    values: { v: from + i },
    source: 'mqtt' as const,
    receivedAt: T0 + (from + i) * 1000,
  }));

/** A fresh database on a PostgreSQL of the test's own, and a connection of the test to it; all gone after the test. */
export async function sharedDatabase(t: TestContext): Promise<{ url: string; sql: postgres.Sql }> {
  const pg = await startPostgres();
  t.after(() => pg.destroy());
  const url = await pg.createDatabase();
  // Connects on its first query: the first node has migrated the database by then.
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.after(() => sql.end({ timeout: 1 }));
  return { url, sql };
}

/** One node's commit path on its own connection pool, as a Fieldscope process has it (the first one opened migrates); closed after the test. */
export async function commitNode(t: TestContext, url: string) {
  const store = new PostgresStore({ url });
  await store.open();
  t.after(() => store.close());
  const sequence = new SequenceTracker();
  const writer = new CommitWriter(store.telemetry);
  const batcher = new Batcher(writer, { maxReadings: 10_000, sequence }, createMetrics());
  return {
    store,
    sequence,
    writer,
    batcher,
    /** What ClusterNode does on acquiring a partition: the fence first, then the devices' sequence state as committed. */
    async claim(fence: PartitionFence, devices: string[]): Promise<boolean> {
      if (!(await store.catalog.advancePartitionFence!(fence.partition, fence.token))) return false;
      sequence.load((await store.catalog.loadSequenceState()).filter((s) => devices.includes(s.device)));
      return true;
    },
  };
}
