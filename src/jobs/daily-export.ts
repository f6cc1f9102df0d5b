import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GroupRow, TelemetryStore } from '../stores/store.js';
import { DAY, HOUR } from '../stores/zoned-time.js';
import { CSV_HEADER } from '../stores/export-format.js';

/** CSV header and rows, the same columns the export API writes. */
async function* csv(rows: AsyncIterable<GroupRow>): AsyncGenerator<string> {
  yield 'ts,ts_ms,device,metric,value\n';
  let chunk = '';
  for await (const r of rows) {
    const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    chunk += `${new Date(r.ts).toISOString()},${r.ts},${q(r.device)},${q(r.metric)},${r.value}\n`;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

async function* withHeader(lines: AsyncIterable<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  yield CSV_HEADER;
  yield* lines;
}

export const dailyFileName = (day: number) => `fieldscope-${new Date(day).toISOString().slice(0, 10)}.csv`;

/**
 * Writes fieldscope-YYYY-MM-DD.csv for every finished UTC day still held as raw data and not yet
 * written. A file appears only complete (written aside, then renamed); existing files are kept.
 */
export async function exportFinishedDays(store: TelemetryStore, dir: string, now = Date.now()): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const today = Math.floor(now / DAY) * DAY;
  const oldest = Math.floor((now - store.retention.rawMs) / DAY) * DAY;
  const written: string[] = [];
  for (let day = Math.max(oldest, today - 7 * DAY); day < today; day += DAY) {
    const file = join(dir, dailyFileName(day));
    if (existsSync(file)) continue;
    const probe = store.exportRows({ from: day, to: day + DAY })[Symbol.asyncIterator]();
    const first = await probe.next();
    await probe.return?.();
    if (first.done) continue;
    const tmp = file + '.partial';
    try {
      const q = { from: day, to: day + DAY };
      // Formatted where the store reads (SQLite: on a read worker) when it can: this thread only writes bytes.
      const text = store.exportText ? withHeader(store.exportText(q, 'csv')) : csv(store.exportRows(q));
      await pipeline(Readable.from(text), createWriteStream(tmp));
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    written.push(file);
  }
  return written;
}

export interface DailyExportJob {
  stop(): Promise<void>;
}

/** Runs the export at start and every hour, so a day's file appears within an hour of midnight UTC. */
export function startDailyExport(
  store: TelemetryStore,
  dir: string,
  opts: { onError?: (err: Error) => void; onWritten?: (files: string[]) => void } = {},
): DailyExportJob {
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (stopped || running) return;
    running = exportFinishedDays(store, dir)
      .then(
        (files) => {
          if (files.length) opts.onWritten?.(files);
        },
        (err: Error) => opts.onError?.(err),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, HOUR);
  timer.unref();
  setImmediate(tick);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
