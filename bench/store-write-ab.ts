// SQLite Store.write before/after one change, back to back (figure S1's rows and batches): each round
// runs, one process each, the raw better-sqlite3 insert, the store of another checkout's src/
// (--before) and this checkout's store, so all three see the same load. Open is not timed (nor is the
// raw baseline's), the writes are. Prints each round with the load average and the medians.
//   node --import tsx bench/store-write-ab.ts --before=/path/to/old/src [--rounds=5] [--readings=1000000]
import { spawnSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Reading } from '../src/model/reading.js';
import { rawSqliteInsertMs } from './lib/raw-sqlite-insert.js';
import type { Store } from '../src/stores/store.js';

const BATCH = 5000;
const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const readings = Number(arg('readings') ?? 1_000_000);

/** As bench/store-write.ts: 10 devices x 3 metrics at 1 Hz, ending now, 5,000 per batch. */
function batches(n: number): Reading[][] {
  const out: Reading[][] = [];
  const now = Date.now();
  let cur: Reading[] = [];
  for (let i = 0; i < n; i++) {
    const metric = ['v', 'a', 'w'][Math.floor(i / 10) % 3];
    cur.push({ device: `w-${i % 10}`, metric, ts: now - Math.floor(n / 30) * 1000 + Math.floor(i / 30) * 1000, value: Math.random() });
    if (cur.length === BATCH) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

async function throughStore(src: string, path: string, data: Reading[][]): Promise<number> {
  const { SqliteStore } = (await import(pathToFileURL(join(src, 'stores/sqlite/sqlite-store.ts')).href)) as {
    SqliteStore: new (o: { path: string; readWorkers: number }) => Store & { open(): Promise<void>; close(): Promise<void> };
  };
  const store = new SqliteStore({ path, readWorkers: 0 });
  await store.open();
  const devices = Array.from({ length: 10 }, (_, i) => ({ id: `w-${i}`, seen: Date.now() }));
  let k = 0;
  const t0 = performance.now();
  for (const rows of data) await store.telemetry.write({ readings: rows, devices, rejected: [], id: `bench.${++k}` });
  const ms = performance.now() - t0;
  await store.close();
  return ms;
}

const side = arg('side');
if (side) {
  // One side of one round, in a process of its own.
  const dir = mkdtempSync(join(tmpdir(), 'fs-store-ab-'));
  const data = batches(readings);
  const ms = side === 'raw' ? rawSqliteInsertMs(join(dir, 'raw.db'), data) : await throughStore(side, join(dir, 'store.db'), data);
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ rate: (data.length * BATCH) / (ms / 1000) }) + '\n');
} else {
  const before = arg('before');
  if (!before) {
    process.stderr.write('usage: bench/store-write-ab.ts --before=PATH/src [--rounds=N] [--readings=N]\n');
    process.exit(2);
  }
  const after = resolve(fileURLToPath(new URL('../src', import.meta.url)));
  const rounds = Number(arg('rounds') ?? 5);
  const sides = { raw: 'raw', before: resolve(before), after } as const;
  const rates: Record<keyof typeof sides, number[]> = { raw: [], before: [], after: [] };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (let r = 1; r <= rounds; r++) {
    const line: string[] = [];
    for (const name of ['raw', 'before', 'after'] as const) {
      const load = loadavg()[0].toFixed(1);
      const p = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), `--side=${sides[name]}`, `--readings=${readings}`], {
        encoding: 'utf8',
      });
      if (p.status !== 0) throw new Error(`${name}: ${p.stderr}`);
      const rate = (JSON.parse(p.stdout.trim().split('\n').pop()!) as { rate: number }).rate;
      rates[name].push(rate);
      line.push(`${name} ${Math.round(rate)}/s (load ${load})`);
    }
    const n = rates.raw.length - 1;
    process.stdout.write(
      `round ${r}: ${line.join(', ')}; before/raw ${(rates.before[n] / rates.raw[n]).toFixed(2)}, after/raw ${(rates.after[n] / rates.raw[n]).toFixed(2)}\n`,
    );
  }
  const ratio = (k: 'before' | 'after') => median(rates[k].map((v, i) => v / rates.raw[i]));
  process.stdout.write(
    `medians: raw ${Math.round(median(rates.raw))}/s, before ${Math.round(median(rates.before))}/s (${ratio('before').toFixed(2)}x raw), after ${Math.round(median(rates.after))}/s (${ratio('after').toFixed(2)}x raw)\n`,
  );
}
