import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsoMicros, exportLine, isoMicros } from '../../src/stores/export-format.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Reading } from '../../src/model/reading.js';

it('IsoMicros writes the same text as isoMicros, in time order and out of it', () => {
  const iso = new IsoMicros();
  const times: number[] = [];
  // In order across second, minute, day and year boundaries, with µs; then scattered (years 0-9999 and past, before 1970).
  for (let t = Date.UTC(2023, 11, 31, 23, 59, 58); t < Date.UTC(2024, 0, 1, 0, 0, 2); t += 0.125) times.push(t);
  for (let i = 0; i < 20_000; i++) times.push(Math.round((Math.random() * 2 - 1) * 2e14) / 1000);
  times.push(0, -0.001, -1, -1000.5, 253402300799999 + 0.999, 253402300800000, -62167219200000, -62167219200000 - 0.001, 1.5, 999.999);
  for (const t of times) assert.equal(iso.format(t), isoMicros(t), `ts ${t}`);
});

it('a SQLite export in chunks from a read worker is byte for byte the rows formatted one by one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-export-chunks-'));
  const store = new SqliteStore({ path: join(dir, 'fieldscope.db'), readWorkers: 1 });
  await store.open();
  try {
    // 2 devices x 3 metrics x 22,000: several chunks of several pages, chunk and page ends inside series.
    const t0 = 1_700_000_000_000;
    for (const d of ['dev-a', 'dev,"b"']) {
      const readings: Reading[] = [];
      for (let i = 0; i < 22_000; i++)
        for (const m of ['p', 'q', 'r']) readings.push({ device: d, metric: m, ts: t0 + i * 250 + (i % 3) * 0.001, value: Math.sin(i) * 1e3, seq: i });
      await store.telemetry.write({ readings, devices: [{ id: d, seen: t0 }], rejected: [] });
    }
    for (const format of ['csv', 'ndjson'] as const) {
      for (const tsUnit of ['ms', 'us'] as const) {
        const q = { from: t0, to: t0 + 3 * 3_600_000, tsUnit };
        const chunks: Buffer[] = [];
        for await (const c of store.telemetry.exportText!(q, format)) chunks.push(Buffer.from(c));
        let expected = '';
        let rows = 0;
        for await (const r of store.telemetry.exportRows(q)) {
          expected += exportLine(r, format, tsUnit);
          rows++;
        }
        assert.equal(rows, 2 * 3 * 22_000);
        assert.ok(chunks.length >= 2, `expected several chunks, got ${chunks.length}`);
        assert.ok(Buffer.concat(chunks).equals(Buffer.from(expected)), `${format} ${tsUnit}: bytes differ`);
      }
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
