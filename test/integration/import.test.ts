import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir, startTestApp } from '../helpers/app.js';
import { writeMesCsv } from '../helpers/mes-csv.js';
import { importCommand } from '../../src/import/import-command.js';

const START = '2025-01-01T00:00:00Z';
const quiet = { write: () => true, isTTY: false };

/** Counts straight from the database file, not from what the importer says it did. */
function countReadings(dataDir: string): { readings: number; series: number; minuteN: number } {
  const db = new Database(join(dataDir, 'fieldscope.db'), { readonly: true });
  try {
    const readings = db.prepare('SELECT count(*) FROM readings').pluck().get() as number;
    const series = db.prepare('SELECT count(*) FROM series').pluck().get() as number;
    const minuteN = db.prepare('SELECT coalesce(sum(n), 0) FROM rollup_1m').pluck().get() as number;
    return { readings, series, minuteN };
  } finally {
    db.close();
  }
}

// The size; FIELDSCOPE_IMPORT_TEST_ROWS shrinks it on a slow machine.
const BIG_ROWS = Number(process.env.FIELDSCOPE_IMPORT_TEST_ROWS ?? 1_500_000);

test(`import: a ${BIG_ROWS.toLocaleString('en-US')}-row MES vibration CSV loads exactly; importing it again adds nothing`, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const file = join(tmp.dir, 'vibration.csv');
  const rows = BIG_ROWS;
  writeMesCsv(file, rows);
  const data = join(tmp.dir, 'data');

  const first = await importCommand([file, '--start', START, '--data', data], { stderr: quiet });
  assert.equal(first.rowsRead, rows);
  assert.equal(first.rejected, 0, JSON.stringify(first.rejectedLines.slice(0, 3)));
  assert.equal(first.readingsStored, rows * 4);
  assert.equal(first.duplicates, 0);
  const stored = countReadings(data);
  assert.equal(stored.readings, rows * 4);
  assert.equal(stored.series, 20 * 4);
  assert.equal(stored.minuteN, rows * 4, 'the 1-minute rollups count every stored reading once');

  const again = await importCommand([file, '--start', START, '--data', data], { stderr: quiet });
  assert.equal(again.rowsRead, rows);
  assert.equal(again.readingsStored, 0);
  assert.equal(again.duplicates, rows * 4);
  assert.deepEqual(countReadings(data), stored, 'nothing added, rollups not summed twice');
});

test('import: a crashed import resumes from its last commit, nothing lost and nothing doubled', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const file = join(tmp.dir, 'g1_sensor1.csv');
  const rows = 120_000;
  writeMesCsv(file, rows);
  const data = join(tmp.dir, 'data');

  // Abort after the second commit: the batch being read is lost, as in a crash.
  const ac = new AbortController();
  let commits = 0;
  let aborted = false;
  await importCommand([file, '--start', START, '--data', data], {
    stderr: { write: () => true, isTTY: false },
    signal: ac.signal,
    batchRows: 10_000,
    onCommit: () => {
      if (++commits === 2) ac.abort(new Error('simulated crash'));
    },
  }).catch((err: Error) => {
    aborted = err.message === 'simulated crash';
  });
  assert.ok(aborted, 'the first run stopped mid-way');
  const partial = countReadings(data).readings;
  assert.ok(partial > 0 && partial < rows * 4, `part of the file was committed (${partial})`);

  const resumed = await importCommand([file, '--start', START, '--data', data], { stderr: quiet, batchRows: 10_000 });
  assert.ok(resumed.resumedFromLine !== undefined && resumed.resumedFromLine > 2, 'picked up after the last commit');
  assert.equal(resumed.duplicates, 0, 'no committed row read twice');
  assert.equal(resumed.readingsStored + partial, rows * 4);
  const c = countReadings(data);
  assert.equal(c.readings, rows * 4);
  assert.equal(c.minuteN, rows * 4);
});

test('POST /api/v1/import: a streamed CSV upload, summary back, duplicates on the second upload', async (t) => {
  const tmp = tempDir();
  const app = await startTestApp({ simulator: false, dataDir: tmp.dir });
  t.after(async () => {
    await app.stop();
    tmp.remove();
  });
  const csv = 'ts,temp,rpm,status\n2025-01-01T00:00:00Z,21.5,1500,ok\n2025-01-01T00:00:01Z,21.6,oops,ok\n2025-01-01T00:00:02Z,21.7,1510,ok\n';
  const post = () => fetch(`${app.httpUrl}/api/v1/import?device=press-9`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
  const res = await post();
  const body = (await res.json()) as {
    rowsRead: number;
    readingsStored: number;
    duplicates: number;
    rejected: number;
    rejectedLines: { line: number; field: string; rule: string }[];
    ignoredColumns: string[];
  };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.rowsRead, 3);
  assert.equal(body.readingsStored, 4, JSON.stringify(body));
  assert.deepEqual(
    body.rejectedLines.map((r) => [r.line, r.field, r.rule]),
    [[3, 'rpm', 'number']],
  );
  assert.deepEqual(body.ignoredColumns, ['status']);
  const series = await app.store.telemetry.queryRange({ device: 'press-9', from: Date.parse(START), to: Date.parse(START) + 10_000, limit: 10 });
  assert.deepEqual(series.temp.value, [21.5, 21.7]);
  const second = (await (await post()).json()) as { readingsStored: number; duplicates: number };
  assert.deepEqual([second.readingsStored, second.duplicates], [0, 4]);

  const bad = await fetch(`${app.httpUrl}/api/v1/import`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { rule: string }).rule, 'time_column');
});

test('POST telemetry with NDJSON: read from the stream in pieces, lines split across chunks, an oversized line refused alone', async (t) => {
  const tmp = tempDir();
  const app = await startTestApp({ simulator: false, dataDir: tmp.dir });
  t.after(async () => {
    await app.stop();
    tmp.remove();
  });
  const base = Date.now() - 60_000;
  const lines: string[] = [];
  for (let i = 0; i < 2500; i++) lines.push(JSON.stringify({ ts: base + i, seq: i, v: i }));
  lines.splice(1000, 0, '{"v": "not a number"}');
  lines.splice(2000, 0, JSON.stringify({ ts: base, v: 1, pad: 'x'.repeat(app.config.maxPayloadBytes + 10) }));
  const text = lines.join('\n') + '\n';
  const enc = new TextEncoder();
  // Odd-sized pieces so that lines straddle chunk boundaries.
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      const bytes = enc.encode(text);
      for (let i = 0; i < bytes.length; i += 777) c.enqueue(bytes.subarray(i, i + 777));
      c.close();
    },
  });
  const res = await fetch(`${app.httpUrl}/api/v1/devices/nd-1/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
    duplex: 'half',
  } as RequestInit);
  const out = (await res.json()) as { accepted: number; readings: number; rejected: { index: number; field: string; rule: string }[] };
  assert.equal(res.status, 200, JSON.stringify(out).slice(0, 300));
  assert.equal(out.accepted, 2500);
  assert.deepEqual(
    out.rejected.map((r) => [r.index, r.field, r.rule]),
    [
      [1000, 'v', 'number'],
      [2000, 'payload', 'max_size'],
    ],
  );
  const series = await app.store.telemetry.queryRange({ device: 'nd-1', metrics: ['v'], from: base, to: base + 3000, limit: 10_000 });
  assert.equal(series.v.ts.length, 2500);
});
