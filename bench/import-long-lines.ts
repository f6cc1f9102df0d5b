// Benchmark: an NDJSON import body whose lines are nearly 1 MiB (the line limit), fed in 64 KiB
// chunks as an HTTP upload arrives, through Fieldscope's importer (SQLite store on disk), beside a
// baseline that only finds the same line breaks with Buffer.indexOf and JSON.parses each line.
// Before the fix the carried text was copied again with every chunk: 60 MB on one line took 69 s.
import { join } from 'node:path';
import { median, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { importStream } from '../src/import/importer.js';

const CHUNK = 64 * 1024;
const LINE_BYTES = 1_000_000;

function body(mb: number): Buffer[] {
  const lines = Math.round((mb * 1024 * 1024) / LINE_BYTES);
  const t0 = Date.UTC(2025, 0, 1);
  const parts: Buffer[] = [];
  for (let i = 0; i < lines; i++) {
    const head = `{"ts":${t0 + i * 1000},"v":${i},"status":"`;
    parts.push(Buffer.from(head + 'x'.repeat(LINE_BYTES - head.length - 3) + '"}\n'));
  }
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length; o += CHUNK) chunks.push(all.subarray(o, o + CHUNK));
  return chunks;
}

function baselineParse(chunks: Buffer[]): number {
  let pending: Buffer[] = [];
  let n = 0;
  for (const c of chunks) {
    let from = 0;
    for (let nl = c.indexOf(10); nl !== -1; nl = c.indexOf(10, from)) {
      pending.push(c.subarray(from, nl));
      JSON.parse(Buffer.concat(pending).toString('utf8'));
      n++;
      pending = [];
      from = nl + 1;
    }
    if (from < c.length) pending.push(c.subarray(from));
  }
  return n;
}

export async function benchImportLongLines(o: { runs: number; mb: number }): Promise<Figure> {
  const chunks = body(o.mb);
  const bytes = chunks.reduce((a, c) => a + c.length, 0);
  const ours: number[] = [];
  const base: number[] = [];
  let exact = true;
  const tmp = tempDir('fs-bench-longlines-');
  try {
    for (let i = 0; i < o.runs; i++) {
      let t = performance.now();
      const lines = baselineParse(chunks);
      base.push(bytes / 2 ** 20 / ((performance.now() - t) / 1000));
      const store = new SqliteStore({ path: join(tmp.dir, `run-${i}.db`) });
      await store.open();
      t = performance.now();
      const s = await importStream(store, chunks, { format: 'ndjson', device: 'long-lines' });
      const seconds = (performance.now() - t) / 1000;
      ours.push(bytes / 2 ** 20 / seconds);
      await store.close();
      if (s.rowsRead !== lines || s.readingsStored !== lines || s.rejected !== 0) exact = false;
      process.stderr.write(
        `  run ${i + 1}: ${(bytes / 2 ** 20).toFixed(0)} MB in ${lines} lines imported in ${seconds.toFixed(2)} s (stored ${s.readingsStored})\n`,
      );
    }
  } finally {
    tmp.remove();
  }
  const value = median(ours);
  const baseline = median(base);
  return {
    id: 'import-long-lines',
    name: `Import, ${o.mb} MB NDJSON in ~1 MB lines, 64 KiB chunks`,
    value,
    unit: 'MB/s',
    runs: ours,
    baseline: { name: 'Buffer.indexOf + JSON.parse of the same lines', value: baseline, runs: base },
    ratio: value / baseline,
    notes: exact ? 'every run stored one reading per line' : 'COUNT MISMATCH in some run',
  };
}
