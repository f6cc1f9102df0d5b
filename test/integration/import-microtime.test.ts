import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tempDir, startTestApp } from '../helpers/app.js';
import { importCommand } from '../../src/import/import-command.js';

// Seed 004's vibration files as they are: one file per machine and sensor (g1_sensor1.csv), columns
// Time (seconds since the start of the measurement, float), Normal, Type 1, Type 2, Type 3 (floats),
// sampled at 2 kHz: Time steps by 0.0005 s. Every row must be stored at its own microsecond.

const quiet = { write: () => true, isTTY: false };
/** 10 s of one sensor at 2 kHz: bounded, and 10 x more rows than whole milliseconds can tell apart in 1 s. */
const ROWS = 20_000;
/** Recent (raw retention keeps it) and on a whole second, as `--start` is given. */
const START = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;

/** Time as a float column writes it: 0, 0.0005, 0.001, 0.0015, ... (shortest form, as pandas and spreadsheets print). */
const timeText = (i: number) => String(Number((i * 0.0005).toFixed(4)));
const valueOf = (i: number, k: number) => Number((Math.sin(i / 7 + k) * (k + 1) * 0.05).toFixed(6));

function seed004File(path: string, rows: number, extra: (lines: string[]) => void = () => {}): void {
  const lines = ['Time,Normal,Type 1,Type 2,Type 3'];
  for (let i = 0; i < rows; i++) lines.push(`${timeText(i)},${valueOf(i, 0)},${valueOf(i, 1)},${valueOf(i, 2)},${valueOf(i, 3)}`);
  extra(lines);
  writeFileSync(path, lines.join('\n') + '\n');
}

/** (ts, us) of every stored reading of one metric, from the database file itself. */
function storedTimes(dataDir: string, device: string, metric: string): { ts: number; us: number; value: number }[] {
  const db = new Database(join(dataDir, 'fieldscope.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT r.ts, r.us, r.value FROM readings r JOIN series s ON s.id = r.series WHERE s.device = ? AND s.metric = ? ORDER BY r.ts, r.us')
      .all(device, metric) as { ts: number; us: number; value: number }[];
  } finally {
    db.close();
  }
}

test('fieldscope import: a seed 004 2 kHz file stores every row at its microsecond; re-importing it adds nothing and says "already stored"', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const file = join(tmp.dir, 'g1_sensor1.csv');
  seed004File(file, ROWS);
  const data = join(tmp.dir, 'data');

  const first = await importCommand([file, '--start', new Date(START).toISOString(), '--data', data], { stderr: quiet });
  assert.equal(first.rowsRead, ROWS);
  assert.equal(first.rejected, 0, JSON.stringify(first.rejectedLines.slice(0, 3)));
  assert.equal(first.readingsStored, ROWS * 4);
  assert.deepEqual([first.duplicates, first.alreadyStored, first.sameTimeInFile], [0, 0, 0]);

  const rows = storedTimes(data, 'g1_sensor1', 'normal');
  assert.equal(rows.length, ROWS);
  rows.forEach((r, i) => {
    const us = START * 1000 + i * 500;
    if (r.ts * 1000 + r.us !== us || r.value !== valueOf(i, 0))
      assert.fail(`row ${i}: stored ${r.ts}+${r.us}µs = ${r.value}, expected ${us}µs = ${valueOf(i, 0)}`);
  });

  const again = await importCommand([file, '--start', new Date(START).toISOString(), '--data', data], { stderr: quiet });
  assert.equal(again.readingsStored, 0);
  assert.deepEqual([again.duplicates, again.alreadyStored, again.sameTimeInFile], [ROWS * 4, ROWS * 4, 0]);
});

test('import: a row repeating an earlier row\'s time in the same file is "same time in this file", not "already stored"', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.remove());
  const file = join(tmp.dir, 'g2_sensor3.csv');
  // The 101st row written again at the end (a real duplicate), and row 51's time with other values.
  seed004File(file, 1000, (lines) => lines.push(lines[101], `${timeText(50)},9,9,9,9`));
  const data = join(tmp.dir, 'data');
  const s = await importCommand([file, '--start', new Date(START).toISOString(), '--data', data], { stderr: quiet });
  assert.equal(s.rowsRead, 1002);
  assert.equal(s.readingsStored, 1000 * 4);
  assert.deepEqual([s.duplicates, s.alreadyStored, s.sameTimeInFile], [8, 0, 8]);
  // The first of each time is the one kept.
  assert.equal(storedTimes(data, 'g2_sensor3', 'normal')[50].value, valueOf(50, 0));
});

test('POST /api/v1/import: seed 004 files at 2 kHz, every row stored at the right µs, read back as fractional ms, tsUnit=us, export', async (t) => {
  const tmp = tempDir();
  const app = await startTestApp({ simulator: false, dataDir: tmp.dir });
  t.after(async () => {
    await app.stop();
    tmp.remove();
  });
  const files = ['g1_sensor1', 'g1_sensor2'];
  for (const name of files) {
    const path = join(tmp.dir, `${name}.csv`);
    seed004File(path, ROWS);
    const res = await fetch(`${app.httpUrl}/api/v1/import?device=${name}&start=${START}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: readFileSync(path),
    });
    const body = (await res.json()) as { rowsRead: number; readingsStored: number; duplicates: number; alreadyStored: number; sameTimeInFile: number };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(
      [body.rowsRead, body.readingsStored, body.duplicates, body.alreadyStored, body.sameTimeInFile],
      [ROWS, ROWS * 4, 0, 0, 0],
      JSON.stringify(body),
    );
  }

  // Default: epoch ms with a fraction.
  const q = `devices=g1_sensor1&metric=normal&from=${START}&to=${START + 10_000}&order=asc&n=4`;
  const ms = (await (await fetch(`${app.httpUrl}/api/v1/telemetry/range?${q}`)).json()) as { rows: { ts: number; value: number }[] };
  assert.deepEqual(
    ms.rows.map((r) => r.ts),
    [START, START + 0.5, START + 1, START + 1.5],
  );
  // tsUnit=us: integers.
  const us = (await (await fetch(`${app.httpUrl}/api/v1/telemetry/range?${q}&tsUnit=us`)).json()) as { rows: { ts: number }[] };
  assert.deepEqual(
    us.rows.map((r) => r.ts),
    [0, 500, 1000, 1500].map((d) => START * 1000 + d),
  );
  // The device history: every one of the 20,000 rows, 500 µs apart.
  const hist = (await (
    await fetch(`${app.httpUrl}/api/v1/devices/g1_sensor2/telemetry?metric=unbalance&from=${START}&to=${START + 10_000}&tsUnit=us`)
  ).json()) as { from: number; series: { unbalance: { ts: number[]; value: number[] } } };
  assert.equal(hist.from, START * 1000);
  const ts = hist.series.unbalance.ts;
  assert.equal(ts.length, ROWS);
  assert.ok(
    ts.every((x, i) => x === START * 1000 + i * 500),
    'every row at its own µs',
  );
  const latest = (await (await fetch(`${app.httpUrl}/api/v1/devices/g1_sensor2/latest?tsUnit=us`)).json()) as { latest: Record<string, { ts: number }> };
  assert.equal(latest.latest.normal.ts, START * 1000 + (ROWS - 1) * 500);

  // Export: ISO to the µs, ts_ms with the fraction; with tsUnit=us, ts_us.
  const csv = await (await fetch(`${app.httpUrl}/api/v1/export?devices=g1_sensor1&metrics=normal&from=${START}&to=${START + 2}`)).text();
  const iso = new Date(START).toISOString().slice(0, -1);
  assert.deepEqual(csv.trim().split('\n'), [
    'ts,ts_ms,device,metric,value',
    `${iso}000Z,${START},g1_sensor1,normal,${valueOf(0, 0)}`,
    `${iso}500Z,${START + 0.5},g1_sensor1,normal,${valueOf(1, 0)}`,
    `${iso.slice(0, -3)}${String((START % 1000) + 1).padStart(3, '0')}000Z,${START + 1},g1_sensor1,normal,${valueOf(2, 0)}`,
    `${iso.slice(0, -3)}${String((START % 1000) + 1).padStart(3, '0')}500Z,${START + 1.5},g1_sensor1,normal,${valueOf(3, 0)}`,
  ]);
  const csvUs = await (await fetch(`${app.httpUrl}/api/v1/export?devices=g1_sensor1&metrics=normal&from=${START}&to=${START + 1}&tsUnit=us`)).text();
  assert.deepEqual(csvUs.trim().split('\n').slice(0, 3), [
    'ts,ts_us,device,metric,value',
    `${iso}000Z,${START * 1000},g1_sensor1,normal,${valueOf(0, 0)}`,
    `${iso}500Z,${START * 1000 + 500},g1_sensor1,normal,${valueOf(1, 0)}`,
  ]);
  const nd = await (await fetch(`${app.httpUrl}/api/v1/export?devices=g1_sensor1&metrics=normal&from=${START}&to=${START + 1}&format=ndjson&tsUnit=us`)).text();
  assert.deepEqual(
    nd
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { ts: number }).ts),
    [START * 1000, START * 1000 + 500],
  );
});
