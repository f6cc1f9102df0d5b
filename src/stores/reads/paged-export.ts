import type { ExportQuery, GroupRow } from '../store.js';
import type { ExportFormat } from '../export-format.js';
import type { ReadRunner } from './worker-pool.js';

/** Where an export stands: the index of the series in the (device, metric) order and the last (ts, seq) sent of it. */
export interface ExportCursor {
  i: number;
  after: [number, number] | null;
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
