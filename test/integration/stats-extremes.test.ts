/**
 * /stats with extreme values on both stores: values past the ingest limit are refused with a clear
 * rule (they used to be stored and answer 500 with a NaN stddev); values at the limit give finite,
 * exact statistics.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, tempDir } from '../helpers/app.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import type { RunningApp } from '../../src/app.js';

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function check(app: RunningApp): Promise<void> {
  const u = app.httpUrl;
  const now = Date.now();
  for (const x of [1e155, -1e200, 1.7e308]) {
    const res = await post(`${u}/api/v1/devices/ext-1/telemetry`, { x, ts: now - 5000 });
    const body = (await res.json()) as { field: string; rule: string; error: string };
    assert.equal(res.status, 400, `${x}: ${JSON.stringify(body)}`);
    assert.deepEqual([body.field, body.rule], ['x', 'range']);
    assert.match(body.error, /1e\+150/);
  }
  const values = [1e150, -1e150, 5e149, 7.5e149];
  const sent = await post(
    `${u}/api/v1/devices/ext-1/telemetry`,
    values.map((x, i) => ({ x, ts: now - 4000 + i * 1000 })),
  );
  assert.equal(sent.status, 200, await sent.text());
  const res = await fetch(`${u}/api/v1/devices/ext-1/stats?from=${now - 60_000}&to=${now}`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const s = (JSON.parse(text) as { stats: { x: { count: number; avg: number; stddev: number } } }).stats.x;
  const units = values.map((v) => v / 1e149);
  const mean = units.reduce((a, b) => a + b, 0) / units.length;
  const sd = Math.sqrt(units.reduce((a, b) => a + (b - mean) ** 2, 0) / (units.length - 1));
  assert.equal(s.count, 4);
  assert.ok(Math.abs(s.avg / 1e149 - mean) < 1e-9, `avg ${s.avg}`);
  assert.ok(Math.abs(s.stddev / 1e149 - sd) < 1e-9, `stddev ${s.stddev}`);
}

describe('stats with extreme values: SQLite', () => {
  it('refuses values past ±1e150 with field and rule; finite stats at the limit', async () => {
    const app = await startTestApp();
    try {
      await check(app);
    } finally {
      await app.stop();
    }
  });
});

const { skip } = requirePostgres('stats with extreme values on PostgreSQL');
describe('stats with extreme values: PostgreSQL', { skip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => pg?.destroy());
  it('refuses values past ±1e150 with field and rule; finite stats at the limit', async (t) => {
    const d = tempDir();
    t.after(() => d.remove());
    const app = await startTestApp({ dataDir: d.dir, store: await pg.createDatabase() });
    t.after(() => app.stop());
    await check(app);
  });
});
