// Benchmark 4: bulk import of a 1.5M-row wide CSV (MES vibration shape, 4 metrics a row) through
// Fieldscope's importer (parse, validate against the profile, rollups, checkpoint) against a raw
// better-sqlite3 loop that splits the same lines and inserts the same readings into a bare
// readings(series, ts, value) WITHOUT ROWID table, one transaction per 50k rows. Same run, same disk.
import Database from 'better-sqlite3';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { median, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';
import { writeMesCsv } from '../test/helpers/mes-csv.js';
import { importCommand } from '../src/import/import-command.js';

const START = Date.UTC(2025, 0, 1);

/** The baseline: what a hand-written loader does with the same file, and nothing more. */
async function rawLoad(file: string, dbPath: string): Promise<number> {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE readings (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO readings (series, ts, value) VALUES (?, ?, ?)');
  const series = new Map<string, number>();
  let rows: string[][] = [];
  let count = 0;
  const tx = db.transaction((batch: string[][]) => {
    for (const f of batch) {
      const dev = f[5] + '-' + f[6];
      let base = series.get(dev);
      if (base === undefined) series.set(dev, (base = series.size * 4));
      const ts = START + Math.round(Number(f[0]) * 1000);
      for (let m = 0; m < 4; m++) insert.run(base + m, ts, Number(f[1 + m]));
    }
  });
  let carry = '';
  let header = true;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carry + chunk;
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      if (line) rows.push(line.split(','));
    }
    if (rows.length >= 50_000) {
      tx(rows);
      count += rows.length;
      rows = [];
    }
  }
  if (carry) rows.push(carry.split(','));
  tx(rows);
  count += rows.length;
  db.close();
  return count;
}

export async function benchImport(o: { runs: number; rows: number }): Promise<Figure> {
  const tmp = tempDir('fs-bench-import-');
  const file = join(tmp.dir, 'vibration.csv');
  writeMesCsv(file, o.rows);
  const ours: number[] = [];
  const base: number[] = [];
  let exact = true;
  try {
    for (let i = 0; i < o.runs; i++) {
      let t = performance.now();
      const n = await rawLoad(file, join(tmp.dir, `raw-${i}.db`));
      const rawRate = n / ((performance.now() - t) / 1000);
      base.push(rawRate);
      t = performance.now();
      const s = await importCommand([file, '--start', new Date(START).toISOString(), '--data', join(tmp.dir, `fs-${i}`)], { stderr: { write: () => true } });
      const rate = s.rowsRead / ((performance.now() - t) / 1000);
      ours.push(rate);
      if (s.readingsStored !== o.rows * 4 || s.rejected !== 0 || n !== o.rows) exact = false;
      process.stderr.write(
        `  import run ${i + 1}: fieldscope ${Math.round(rate)} rows/s (stored ${s.readingsStored}), raw better-sqlite3 ${Math.round(rawRate)} rows/s\n`,
      );
    }
  } finally {
    tmp.remove();
  }
  const value = median(ours);
  const baseline = median(base);
  const ratio = value / baseline;
  return {
    id: 'import',
    name: `5. CSV import, ${o.rows.toLocaleString('en-US')} wide rows x 4 metrics`,
    value,
    unit: 'rows/s',
    runs: ours,
    baseline: { name: 'raw better-sqlite3 loop, same rows', value: baseline, runs: base },
    ratio,
    target: '>= 0.5x raw',
    met: ratio >= 0.5 && exact,
    notes: exact ? 'every run stored rows x 4 readings, none rejected' : 'COUNT MISMATCH in some run',
  };
}
