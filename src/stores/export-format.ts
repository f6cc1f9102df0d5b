import type { GroupRow } from './store.js';

export type ExportFormat = 'csv' | 'ndjson';

export const CSV_HEADER = 'ts,ts_ms,device,metric,value\n';

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One exported reading as a line: CSV (ts ISO-8601 UTC, ts_ms, device, metric, value) or NDJSON. */
export function exportLine(r: GroupRow, format: ExportFormat): string {
  return format === 'csv'
    ? `${new Date(r.ts).toISOString()},${r.ts},${csvField(r.device)},${csvField(r.metric)},${r.value}\n`
    : JSON.stringify({ device: r.device, metric: r.metric, ts: r.ts, value: r.value }) + '\n';
}
