import type { ExportQuery, GroupRow } from '../store.js';
import { exportLine, type ExportFormat } from '../export-format.js';
import { US_PER_MS } from '../../model/time.js';
import type { ReadRunner } from './worker-pool.js';

/** Where an export stands: the index of the series in the (device, metric) order and the last (ts, us, seq) sent of it. */
export interface ExportCursor {
  i: number;
  after: [number, number, number] | null;
}

export interface ExportChunk {
  text: string;
  rows: number;
  next: ExportCursor | null;
}

export interface ExportPage {
  rows: GroupRow[];
  next: ExportCursor | null;
}

/** An export page by page from the read runner; each page is a short read with its own time limit. */
export async function* exportRowsVia(reads: ReadRunner, q: ExportQuery): AsyncGenerator<GroupRow> {
  let cursor: ExportCursor | null = null;
  do {
    const page: ExportPage = await reads.run('exportPage', [q, cursor]);
    yield* page.rows;
    cursor = page.next;
  } while (cursor);
}

/** The export as text chunks formatted where it was read: the sending thread only copies bytes. */
export async function* exportTextVia(reads: ReadRunner, q: ExportQuery, format: ExportFormat): AsyncGenerator<string> {
  let cursor: ExportCursor | null = null;
  do {
    const chunk: ExportChunk = await reads.run('exportChunk', [q, format, cursor]);
    if (chunk.text) yield chunk.text;
    cursor = chunk.next;
  } while (cursor);
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

/** A page as text (CSV or NDJSON lines), so the thread that sends it only copies bytes. */
export function exportChunkOf(page: ExportPage, format: ExportFormat, unit: 'ms' | 'us' = 'ms'): ExportChunk {
  let text = '';
  for (const r of page.rows) text += exportLine(r, format, unit);
  return { text, rows: page.rows.length, next: page.next };
}
