/**
 * The answer to a COMMIT lost on PostgreSQL (the connection dropped after the server committed): the
 * batch is committed with its id (write_batches, in the same transaction), so the spool's replay of it
 * is answered as already stored and adds no dead letter, sequence count or rollup a second time; and
 * the table of ids stays bounded.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import mqtt from 'mqtt';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startCommitCutter, type CommitCutter } from '../helpers/pg-commit-cutter.js';
import { startTestApp, until } from '../helpers/app.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { PG_BATCH_IDS_KEPT } from '../../src/stores/postgres/batch-ids.js';
import type { WriteBatch } from '../../src/stores/store.js';

const { skip } = requirePostgres('PostgreSQL: a lost answer to COMMIT');
const T0 = Date.now() - 3600_000;
const MINUTE = 60_000;

/** `n` readings of device `device` from its `from`-th on, one dead letter, and the sequence accounting of them, named `id`. */
function batchOf(id: string, device: string, from: number, n: number): WriteBatch {
  const bucket = T0 - (T0 % MINUTE);
  return {
    id,
    readings: Array.from({ length: n }, (_, i) => ({ device, metric: 'v', ts: T0 + (from + i) * 10, value: from + i, seq: from + i })),
    devices: [{ id: device, seen: T0 }],
    rejected: [{ at: T0, source: 'mqtt', device, field: 'v', rule: 'type', error: 'v must be a number', payload: `{"v":"x${from}"}` }],
    sequence: {
      devices: [
        { device, epoch: 0, maxSeq: from + n - 1, lastTs: T0 + (from + n - 1) * 10, received: from + n, duplicates: 0, outOfOrder: 0, restarts: 0, gaps: [] },
      ],
      buckets: [{ device, bucket, received: n, duplicates: 0, outOfOrder: 0, restarts: 0 }],
    },
  };
}

describe('PostgreSQL: a lost answer to COMMIT', { skip }, () => {
  let pg: TestPostgres;
  let cutter: CommitCutter;
  before(async () => {
    pg = await startPostgres();
    cutter = await startCommitCutter({ port: pg.port });
  });
  after(async () => {
    await cutter?.close();
    await pg?.destroy();
  });

  /** A fresh database: the store's URL goes through the cutter, `direct` straight to the server. */
  async function database(): Promise<{ viaCutter: string; direct: postgres.Sql }> {
    const url = await pg.createDatabase();
    const db = new URL(url).pathname.slice(1);
    return { viaCutter: cutter.url(db), direct: postgres(url, { max: 1, onnotice: () => {} }) };
  }

  it('answers the replay of a batch committed before as already stored, and counts nothing twice', async () => {
    const { viaCutter, direct } = await database();
    const store = new PostgresStore({ url: viaCutter, readWorkers: 0 });
    await store.open();
    try {
      const b = batchOf('run-a.1', 'd1', 0, 500);
      const cut = cutter.cutNextCommits(1);
      await assert.rejects(store.telemetry.write(b), 'the writer never heard of the commit');
      await cut;
      const [{ n: committed }] = await direct<{ n: number }[]>`SELECT count(*)::int AS n FROM readings`;
      assert.equal(committed, 500, 'the server committed the batch');

      // The spool's replay: the same batch, the same id.
      assert.deepEqual(await store.telemetry.write(b), { inserted: 0, duplicates: 500 });
      // A later batch is written as usual.
      assert.deepEqual(await store.telemetry.write(batchOf('run-a.2', 'd1', 500, 500)), { inserted: 500, duplicates: 0 });

      const [r] = await direct<{ n: number; rollup: number; sum: number; rejected: number }[]>`
        SELECT (SELECT count(*)::int FROM readings) AS n, (SELECT sum(n)::int FROM rollup_1m) AS rollup,
          (SELECT sum(v_sum)::float8 FROM rollup_1h) AS sum, (SELECT count(*)::int FROM rejected) AS rejected`;
      assert.deepEqual({ ...r }, { n: 1000, rollup: 1000, sum: (999 * 1000) / 2, rejected: 2 });
      const stats = await store.catalog.sequenceStats('d1', T0 - MINUTE, T0 + MINUTE);
      assert.equal(stats.received, 1000, 'each batch counted once in the sequence accounting');
      const ids = await direct<{ id: string }[]>`SELECT id FROM write_batches ORDER BY n`;
      assert.deepEqual(
        ids.map((x) => x.id),
        ['run-a.1', 'run-a.2'],
      );
    } finally {
      await store.close();
      await direct.end({ timeout: 1 });
    }
  });

  it('keeps the newest batch ids only', async () => {
    const { viaCutter, direct } = await database();
    const store = new PostgresStore({ url: viaCutter, readWorkers: 0 });
    await store.open();
    try {
      await direct`INSERT INTO write_batches (id) SELECT 'old.' || i FROM generate_series(1, ${PG_BATCH_IDS_KEPT + 100}) i`;
      await store.telemetry.write(batchOf('new.1', 'd2', 0, 10));
      const [r] = await direct<{ n: number; newest: string; oldest: string }[]>`
        SELECT count(*)::int AS n, (SELECT id FROM write_batches ORDER BY n DESC LIMIT 1) AS newest,
          (SELECT id FROM write_batches ORDER BY n LIMIT 1) AS oldest FROM write_batches`;
      assert.deepEqual({ ...r }, { n: PG_BATCH_IDS_KEPT, newest: 'new.1', oldest: `old.${102}` });
    } finally {
      await store.close();
      await direct.end({ timeout: 1 });
    }
  });

  it('end to end: a device publishing QoS1 through a lost COMMIT answer has every reading stored once and counted once', async () => {
    const { viaCutter, direct } = await database();
    const app = await startTestApp({ store: viaCutter, readWorkers: 0 });
    const dev = await mqtt.connectAsync(app.mqttUrl, { clientId: 'lost-1' });
    const N = 120;
    try {
      let cut: Promise<void> | undefined;
      for (let seq = 0; seq < N; seq++) {
        if (seq === N / 2) cut = cutter.cutNextCommits(1);
        await dev.publishAsync('devices/lost-1/telemetry', JSON.stringify({ seq, ts: T0 + seq * 1000, temperature: seq }), { qos: 1 });
      }
      await cut;
      const metric = async (name: string) => {
        const line = (await (await fetch(`${app.httpUrl}/metrics`)).text()).split('\n').find((l) => l.startsWith(name + ' '));
        return line ? Number(line.slice(name.length + 1)) : 0;
      };
      // Every publish was acknowledged: the batch whose answer was lost went to the spool, and is replayed before the next one.
      await dev.publishAsync('devices/lost-1/telemetry', JSON.stringify({ seq: N, ts: T0 + N * 1000, temperature: N }), { qos: 1 });
      await until(async () => (await metric('fieldscope_spool_replayed_total')) >= 1, { what: 'the spooled batch to be replayed', timeoutMs: 60_000 });
      assert.equal(await metric('fieldscope_spool_batches_total'), 1, 'one batch went to the spool');
      const [r] = await direct<{ n: number; distinct: number }[]>`
        SELECT count(*)::int AS n, count(DISTINCT ts)::int AS distinct FROM readings r JOIN series s ON s.id = r.series WHERE s.device = 'lost-1'`;
      assert.deepEqual({ ...r }, { n: N + 1, distinct: N + 1 }, 'every acknowledged reading stored, once');
      const stats = await app.store.catalog.sequenceStats('lost-1', T0 - MINUTE, T0 + (N + 1) * 1000 + MINUTE);
      assert.deepEqual({ received: stats.received, duplicates: stats.duplicates }, { received: N + 1, duplicates: 0 }, 'each message counted once');
      const [roll] = await direct<{ n: number }[]>`SELECT sum(n)::int AS n FROM rollup_1m r JOIN series s ON s.id = r.series WHERE s.device = 'lost-1'`;
      assert.equal(roll.n, N + 1, 'each reading in the rollups once');
    } finally {
      await dev.endAsync();
      await app.stop();
      await direct.end({ timeout: 1 });
    }
  });
});
