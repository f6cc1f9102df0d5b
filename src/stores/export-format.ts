import type { GroupRow } from './store.js';
import { msToMicros } from '../model/time.js';

export type ExportFormat = 'csv' | 'ndjson';

export const CSV_HEADER = 'ts,ts_ms,device,metric,value\n';
/** The header with tsUnit=us: the second column is whole epoch microseconds. */
export const CSV_HEADER_US = 'ts,ts_us,device,metric,value\n';

/** ISO-8601 UTC with six fractional digits: Date's own toISOString stops at the millisecond. */
export function isoMicros(ts: number): string {
  const us = msToMicros(ts);
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().slice(0, -1) + String(us - ms * 1000).padStart(3, '0') + 'Z';
}

const pad3 = (n: number) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

/**
 * isoMicros for many times in a row, byte for byte: an export's readings are in time order, so the
 * date and time up to the second (Date's toISOString, the costly part) is made once per second and
 * the milliseconds and µs appended as digits.
 */
export class IsoMicros {
  private second = NaN;
  private prefix = '';

  format(ts: number): string {
    const us = msToMicros(ts);
    const ms = Math.floor(us / 1000);
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      // Through toISOString: years past 9999 and before 0 keep its form (and its RangeError past Date's range).
      this.prefix = new Date(second * 1000).toISOString().slice(0, -4);
      this.second = second;
    }
    return this.prefix + pad3(ms - second * 1000) + pad3(us - ms * 1000) + 'Z';
  }
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One exported reading as a line: CSV (ts ISO-8601 UTC to the µs, ts_ms with a fraction for µs or,
 * unit us, whole ts_us, device, metric, value) or NDJSON (ts in the unit).
 */
export function exportLine(r: GroupRow, format: ExportFormat, unit: 'ms' | 'us' = 'ms', iso?: IsoMicros): string {
  const ts = unit === 'us' ? msToMicros(r.ts) : r.ts;
  return format === 'csv'
    ? `${iso ? iso.format(r.ts) : isoMicros(r.ts)},${ts},${csvField(r.device)},${csvField(r.metric)},${r.value}\n`
    : JSON.stringify({ device: r.device, metric: r.metric, ts, value: r.value }) + '\n';
}
