import type { ExportQuery, GroupRow } from '../store.js';
import { exportLine, IsoMicros, type ExportFormat } from '../export-format.js';
import { US_PER_MS } from '../../model/time.js';
import type { ReadRunner } from './worker-pool.js';

/** Where an export stands: the index of the series in the (device, metric) order and the last (ts, us, seq) sent of it. */
export interface ExportCursor {
  i: number;
  after: [number, number, number] | null;
}

/** Lines of an export as UTF-8 bytes (their own ArrayBuffer: handed to the sending thread, not copied), how many, and where the next chunk starts. */
export interface ExportChunk {
  bytes: Uint8Array;
  rows: number;
  next: ExportCursor | null;
}

/**
 * Rows in one export chunk at most, and the time spent making one beyond which it ends at the next
 * page. A chunk is one task on a bulk read worker: with a page (5,000 rows) per task, an hour of 20
 * devices x 4 metrics was 58 tasks, each queueing again behind backtests and other exports for the
 * one bulk worker (issue 15's mixed load: 244 ms waited per page, 17 s per export).
 */
export const EXPORT_CHUNK_ROWS = 50_000;
export const EXPORT_CHUNK_MS = 200;

export interface ExportPage {
  rows: GroupRow[];
  next: ExportCursor | null;
}

/** An export page by page from the read runner; each page is a short read with its own time limit. */
export async function* exportRowsVia(reads: ReadRunner, q: ExportQuery): AsyncGenerator<GroupRow> {
  let cursor: ExportCursor | null = null;
  // One stream: once started, the export's pages keep their place in the pool (worker-pool.ts).
  const stream = {};
  do {
    const page: ExportPage = await reads.run('exportPage', [q, cursor], { stream });
    yield* page.rows;
    cursor = page.next;
  } while (cursor);
}

/**
 * The export as chunks of bytes formatted where it was read: the sending thread only passes them on.
 * The next chunk is asked for as soon as one arrives, so it is made while this one is sent (two at
 * most held: the pull of the response still paces the export).
 */
export async function* exportTextVia(reads: ReadRunner, q: ExportQuery, format: ExportFormat): AsyncGenerator<Uint8Array> {
  // One stream: once started, the export's chunks keep their place in the pool (worker-pool.ts), so its wait for a worker is not one per chunk.
  const stream = {};
  const ask = (cursor: ExportCursor | null) => {
    const p = reads.run<ExportChunk>('exportChunk', [q, format, cursor], { stream });
    // Failing while this generator waits at a yield (or after the client went) is not unhandled: the await below rethrows it.
    p.catch(() => {});
    return p;
  };
  let pending: Promise<ExportChunk> | null = ask(null);
  while (pending) {
    const chunk: ExportChunk = await pending;
    pending = chunk.next ? ask(chunk.next) : null;
    if (chunk.bytes.length) yield chunk.bytes;
  }
}

export interface ExportSeries {
  id: number;
  device: string;
  metric: string;
}

/**
 * Up to `want` readings of one series as [ts, us, seq, value] (ts the whole ms, us the µs within
 * it), in key order: from the export's start, or after a (ts, us, seq).
 */
export type SeriesPageReader = (s: ExportSeries, after: [number, number, number] | null, want: number) => Promise<[number, number, number, number][]>;

/**
 * One page of an export: up to `size` readings by device, metric, time from the cursor. Keyset pages
 * on (ts, us, seq), the readings' key: two readings of one time are never split or skipped.
 */
export async function exportPageOf(series: ExportSeries[], cursor: ExportCursor | null, size: number, read: SeriesPageReader): Promise<ExportPage> {
  const rows: GroupRow[] = [];
  let i = cursor?.i ?? 0;
  let after = cursor?.after ?? null;
  while (i < series.length && rows.length < size) {
    const s = series[i];
    const want = size - rows.length;
    const got = await read(s, after, want);
    for (const [ts, us, , value] of got) rows.push({ device: s.device, metric: s.metric, ts: ts + us / US_PER_MS, value });
    if (got.length < want) {
      i++;
      after = null;
    } else {
      const end = got[got.length - 1];
      after = [end[0], end[1], end[2]];
    }
  }
  return { rows, next: i < series.length ? { i, after } : null };
}

/**
 * Pages from `cursor` as one chunk of CSV or NDJSON lines, up to EXPORT_CHUNK_ROWS rows or
 * EXPORT_CHUNK_MS of work, so the thread that sends it only passes bytes on.
 */
export async function exportChunkOf(
  page: (cursor: ExportCursor | null) => Promise<ExportPage>,
  cursor: ExportCursor | null,
  format: ExportFormat,
  unit: 'ms' | 'us' = 'ms',
): Promise<ExportChunk> {
  const started = performance.now();
  const iso = new IsoMicros();
  const encoder = new TextEncoder();
  // Each page's text is encoded into one buffer as it comes: one string of the whole chunk (megabytes
  // of concatenations) cost more in flattening and garbage collection than formatting it.
  let buf = new Uint8Array(1 << 20);
  let at = 0;
  let rows = 0;
  let next = cursor;
  do {
    const p = await page(next);
    let text = '';
    for (const r of p.rows) text += exportLine(r, format, unit, iso);
    rows += p.rows.length;
    next = p.next;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (buf.length - at < text.length * 3) {
      const grown = new Uint8Array(Math.max(buf.length * 2, at + text.length * 3));
      grown.set(buf.subarray(0, at));
      buf = grown;
    }
    at += encoder.encodeInto(text, buf.subarray(at)).written;
  } while (next && rows < EXPORT_CHUNK_ROWS && performance.now() - started < EXPORT_CHUNK_MS);
  // A copy of exactly the chunk's length: its buffer is then whole, so it is transferred, not copied, to the sending thread.
  return { bytes: buf.slice(0, at), rows, next };
}
