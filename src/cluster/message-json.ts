import type { Message, SourceKind } from '../model/reading.js';

const SOURCES: SourceKind[] = ['mqtt', 'http', 'serial', 'import', 'model'];

/**
 * A message another node judged (decoded and validated) and published into a partition stream,
 * read back. Checked again, shape only: what reaches the store is a well-formed Message whatever
 * was on the subject; otherwise the field and what is wrong with it.
 */
export function messageFromJson(data: Uint8Array, device: string): { message: Message } | { error: string; field: string } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return { error: 'not JSON', field: 'payload' };
  }
  if (!v || typeof v !== 'object') return { error: 'not an object', field: 'payload' };
  const m = v as Record<string, unknown>;
  if (m.device !== device) return { error: `device ${String(m.device)} published on the subject of ${device}`, field: 'device' };
  if (typeof m.ts !== 'number' || !Number.isFinite(m.ts)) return { error: 'ts must be a finite number', field: 'ts' };
  if (m.seq !== undefined && !Number.isSafeInteger(m.seq)) return { error: 'seq must be an integer', field: 'seq' };
  if (typeof m.receivedAt !== 'number' || !Number.isFinite(m.receivedAt)) return { error: 'receivedAt must be a finite number', field: 'receivedAt' };
  if (!SOURCES.includes(m.source as SourceKind)) return { error: `source must be one of ${SOURCES.join(', ')}`, field: 'source' };
  if (!m.values || typeof m.values !== 'object') return { error: 'values must be an object', field: 'values' };
  for (const [k, x] of Object.entries(m.values))
    if (typeof x !== 'number' || !Number.isFinite(x)) return { error: `values.${k} must be a finite number`, field: `values.${k}` };
  if (m.profile !== undefined && typeof m.profile !== 'string') return { error: 'profile must be a string', field: 'profile' };
  if (m.attributes !== undefined) {
    if (!m.attributes || typeof m.attributes !== 'object') return { error: 'attributes must be an object', field: 'attributes' };
    for (const [k, x] of Object.entries(m.attributes))
      if (typeof x !== 'string' && typeof x !== 'boolean') return { error: `attributes.${k} must be text or true/false`, field: `attributes.${k}` };
  }
  return { message: m as unknown as Message };
}
