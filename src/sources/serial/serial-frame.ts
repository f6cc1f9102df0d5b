/**
 * Framing of the serial link (docs/serial-protocol.md): one JSON object per line, its last member
 * `"crc":"xxxxxxxx"` = CRC-32 (IEEE 802.3) of the line's bytes before `,"crc":"` followed by `}`.
 * That is exactly what a firmware author has in hand: the JSON it built before adding the crc.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as zlib, Ethernet and PNG compute it (reflected, poly 0xEDB88320, init and xorout 0xFFFFFFFF). */
export function crc32(data: Uint8Array | string): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function crcHex(data: Uint8Array | string): string {
  return crc32(data).toString(16).padStart(8, '0');
}

const CRC_TAIL = /,"crc":"([0-9A-Fa-f]{8})"\}\s*$/;

/** Serialises an object and appends its crc member: the line a sender writes (without the newline). */
export function encodeFrame(obj: Record<string, unknown>): string {
  const body = JSON.stringify(obj);
  if (!body.startsWith('{') || body === '{}') throw new Error('a frame is a non-empty JSON object');
  return `${body.slice(0, -1)},"crc":"${crcHex(body)}"}`;
}

/**
 * What the link asks of a frame's CRC: `crc` requires it; `optional` checks it when present and
 * takes a frame without one as unverified (seed 001's meter writes plain JSON lines); `none`
 * checks nothing (a crc member is dropped unread).
 */
export type SerialIntegrity = 'crc' | 'optional' | 'none';
export const SERIAL_INTEGRITY: readonly SerialIntegrity[] = ['crc', 'optional', 'none'];

export type FrameCheck =
  | { ok: true; value: Record<string, unknown>; verified: boolean }
  /** seq: the frame's seq when it can still be read from the damaged text, so it can be NACKed by number. */
  | { ok: false; reason: 'crc' | 'json' | 'no_crc' | 'too_long'; seq: number | null; message: string };

/** Best effort: the seq of a damaged frame, read from its text. */
function seqOf(line: string): number | null {
  const m = /"seq":(\d{1,15})[,}]/.exec(line);
  return m ? Number(m[1]) : null;
}

/** Checks one received line (without its newline): crc first (as the integrity setting asks), then JSON. */
export function checkFrame(line: string, maxBytes = 4096, integrity: SerialIntegrity = 'crc'): FrameCheck {
  const text = line.replace(/\r$/, '');
  if (Buffer.byteLength(text) > maxBytes) return { ok: false, reason: 'too_long', seq: seqOf(text), message: `line is longer than ${maxBytes} bytes` };
  const m = CRC_TAIL.exec(text);
  let verified = false;
  if (!m) {
    // A crc member that is there but malformed is damage, not a device that sends none.
    if (integrity === 'crc' || (integrity === 'optional' && /"crc"\s*:/.test(text))) {
      return { ok: false, reason: 'no_crc', seq: seqOf(text), message: 'line does not end with ,"crc":"<8 hex digits>"}' };
    }
  } else if (integrity !== 'none') {
    const covered = text.slice(0, m.index) + '}';
    const want = crc32(covered);
    const got = parseInt(m[1], 16) >>> 0;
    if (want !== got) {
      return { ok: false, reason: 'crc', seq: seqOf(text), message: `crc ${m[1].toLowerCase()} does not match ${want.toString(16).padStart(8, '0')}` };
    }
    verified = true;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'json', seq: seqOf(text), message: `not valid JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'json', seq: seqOf(text), message: 'a frame must be a JSON object' };
  }
  const obj = value as Record<string, unknown>;
  delete obj.crc;
  return { ok: true, value: obj, verified };
}
