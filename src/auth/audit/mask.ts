/** Field names whose values are secrets: never written to the audit log. */
const SECRET = /pass(word)?|secret|token|hash|^key$|apikey|api_key|authorization|credential|private/i;

export const MASK = '***';

/** A copy of a JSON value with every secret-named field's value replaced by ***, cut to a bounded size. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return MASK;
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => maskSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = SECRET.test(k) && v !== null && v !== undefined ? MASK : maskSecrets(v, depth + 1);
    return out;
  }
  // A bare string that looks like one of our tokens (fsk_, fsd_, a JWT) is masked wherever it sits.
  if (typeof value === 'string' && /^(fsk_|fsd_|eyJ)[A-Za-z0-9._-]{16,}/.test(value)) return MASK;
  return value;
}

const MAX_TEXT = 16 * 1024;

/** JSON text of a masked value, or null; cut (and marked so) past MAX_TEXT characters. */
export function auditText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(maskSecrets(value));
  if (text === undefined) return null;
  return text.length > MAX_TEXT ? JSON.stringify({ truncated: true, length: text.length, head: text.slice(0, MAX_TEXT) }) : text;
}
