import { parseTimestamp } from '../pipeline/decode.js';
import { DomainError } from './errors.js';

/**
 * Reads a from/to query value: epoch ms, epoch s or ISO-8601. Bounds select whole milliseconds (the
 * stores index readings by their millisecond; the µs within it is the next key column), so a
 * fraction is dropped: from=…000.5 and to=…000.5 both take in every reading of that millisecond.
 */
export function queryTime(raw: string | undefined, field: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const t = parseTimestamp(raw);
  if (t === null) throw new DomainError(400, `${field} must be epoch ms, epoch s or ISO-8601`, field, 'timestamp');
  return Math.floor(t);
}

export function timeRange(q: { from?: string; to?: string }, defaultSpanMs: number): { from: number; to: number } {
  const to = queryTime(q.to, 'to', Date.now());
  const from = queryTime(q.from, 'from', to - defaultSpanMs);
  if (from > to) throw new DomainError(400, 'from must not be after to', 'from', 'order');
  return { from, to };
}

export function csvList(raw: string | undefined): string[] | undefined {
  if (!raw) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}
