/**
 * The PostgreSQL driver survives its server going away mid-transaction (scripts/patch-postgres.js):
 * a statement sent in a transaction whose connection has closed is rejected, not written to a null
 * socket from a setImmediate (which no try/catch can reach, and which took the whole process down
 * while readings were spooling: app-postgres.test.ts saw it in CI).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { until } from '../helpers/app.js';

const { skip } = requirePostgres('postgres driver');

describe('postgres.js when the server ends a connection', { skip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => pg?.destroy());

  it('a statement sent in a transaction after its connection closed is rejected, and the process lives on', async () => {
    const url = await pg.createDatabase();
    let closes = 0;
    const sql = postgres(url, { max: 1, onnotice: () => {}, onclose: () => void closes++ });
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    try {
      // The transaction's own promise rejects as the connection closes; its body goes on regardless.
      let sent: (s: { late: Promise<unknown> }) => void = () => {};
      const lateSent = new Promise<{ late: Promise<unknown> }>((r) => (sent = r));
      const tx = sql.begin(async (t) => {
        const [{ pid }] = await t<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await admin`SELECT pg_terminate_backend(${pid})`;
        await until(() => closes > 0, { what: 'the transaction connection closed' });
        // What a write path does after a pipelined statement failed: it sends the next one.
        const late = t`SELECT 1`;
        late.catch(() => {});
        sent({ late });
        await late;
      });
      await assert.rejects(tx, 'the transaction fails');
      await assert.rejects((await lateSent).late, (err: { code?: string }) => err.code === 'CONNECTION_CLOSED');
      // Past every pending immediate: nothing thrown where no caller could catch it.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(uncaught, []);
      // The pool opens a new connection for the next query.
      assert.deepEqual([...(await sql`SELECT 2 AS n`)], [{ n: 2 }]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await sql.end({ timeout: 5 });
      await admin.end({ timeout: 5 });
    }
  });
});
