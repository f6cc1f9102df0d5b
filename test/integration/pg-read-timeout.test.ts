/**
 * Issue 15 on PostgreSQL: a read past its time limit is cancelled by the server (statement_timeout on
 * the read worker's session), answers 503 naming the rule read_time_limit, and leaves its worker and
 * session in service; a device publishing meanwhile is acknowledged and every reading stored.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import postgres from 'postgres';
import { startTestApp, until } from '../helpers/app.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import type { RunningApp } from '../../src/app.js';
import type { Reading } from '../../src/model/reading.js';

const { skip } = requirePostgres('PostgreSQL read time limit');
const T0 = Date.now() - 6 * 3600_000;
/** Short enough that percentiles over 600,000 readings (a sort of all of them) cannot finish in it on any machine. */
const LIMIT_MS = 50;

/** The value of one sample line of a /metrics text (0 when absent). */
function metric(text: string, line: string): number {
  const m = text.split('\n').find((l) => l.startsWith(line + ' '));
  return m ? Number(m.slice(line.length + 1)) : 0;
}

describe('PostgreSQL read time limit', { skip }, () => {
  let pg: TestPostgres;
  let app: RunningApp;
  let url: string;

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    app = await startTestApp({ store: url, readTimeoutMs: LIMIT_MS, readRowsPerSec: 0, readConcurrency: 16, readConcurrencyPerCaller: 16 });
    for (let c = 0; c < 6; c++) {
      const big: Reading[] = [];
      for (let i = c * 100_000; i < (c + 1) * 100_000; i++) big.push({ device: 'big', metric: 'v', ts: T0 + i * 10, value: Math.sin(i / 100) });
      await app.store.telemetry.write({ readings: big, devices: [{ id: 'big', seen: T0 }], rejected: [] });
    }
  });
  after(async () => {
    await app?.stop();
    await pg?.destroy();
  });

  it('cancels a read past its limit in the server and answers 503 read_time_limit, while a device keeps publishing and every reading is stored', async () => {
    const dev = await mqtt.connectAsync(app.mqttUrl, { clientId: 'steady-pg' });
    let acked = 0;
    let publishing = true;
    const publisher = (async () => {
      for (let seq = 0; publishing || seq < 20; seq++) {
        await dev.publishAsync('devices/steady-pg/telemetry', JSON.stringify({ seq, ts: T0 + seq * 1000, temperature: seq }), { qos: 1 });
        acked++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const ackedBefore = acked;
      const res = await fetch(`${app.httpUrl}/api/v1/devices/big/stats?metric=v&from=${T0}&to=${T0 + 10_000_000}`);
      const body = (await res.json()) as { error: string; rule?: string };
      assert.equal(res.status, 503, JSON.stringify(body));
      assert.equal(body.rule, 'read_time_limit');
      assert.match(body.error, new RegExp(`limit of ${LIMIT_MS} ms`));
      assert.ok(res.headers.get('retry-after'));
      // Cancelled by the server (its log says why), and nothing of it still runs there.
      await until(
        async () =>
          pg.log().includes('canceling statement due to statement timeout') &&
          (await admin`SELECT 1 FROM pg_stat_activity WHERE query LIKE '%percentile_cont%' AND pid <> pg_backend_pid() AND state = 'active'`).length === 0,
        { what: 'the server to cancel the statement', timeoutMs: 60_000 },
      );
      const text = await (await fetch(`${app.httpUrl}/metrics`)).text();
      assert.equal(metric(text, 'fieldscope_reads_refused_total{rule="read_time_limit"}'), 1);
      assert.equal(metric(text, 'fieldscope_read_workers_replaced_total'), 0, "the server's cancel left the worker and its session in service");
      await until(() => acked > ackedBefore + 10, { what: 'the device to be acknowledged after the cancelled read', timeoutMs: 60_000 });
    } finally {
      publishing = false;
      await publisher;
      await dev.endAsync();
      await admin.end({ timeout: 1 });
    }
    // Counted in the database: through the API, this read would have the same 50 ms limit.
    const check = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [{ n }] = await check<{ n: number }[]>`
        SELECT count(*)::int AS n FROM readings r JOIN series s ON s.id = r.series WHERE s.device = 'steady-pg' AND s.metric = 'temperature'`;
      assert.equal(n, acked, 'every acknowledged reading is stored');
    } finally {
      await check.end({ timeout: 1 });
    }
  });
});
