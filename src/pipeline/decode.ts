import type { Message, Rejection, SourceKind } from '../model/reading.js';
import { microsToMs, US_PER_MS } from '../model/time.js';
import { decodeFlat } from './decode-flat.js';

/** Where a payload came from and what the transport already knows about it. */
export interface DecodeContext {
  source: SourceKind;
  /** Device id from the topic or URL; the payload may carry one only if it agrees. */
  device?: string;
  receivedAt: number;
  maxBytes: number;
  /**
   * Gives a message without a time of its own a unique one for its device (ServerClock.stamp);
   * without it such a message is stamped with receivedAt.
   */
  stamp?: (device: string, receivedAt: number) => number;
  /** Says whether a profile a message names exists; without it any well-formed name is taken. */
  knownProfile?: (name: string) => boolean;
}

export type Decoded = { ok: true; message: Message } | { ok: false; rejection: Rejection; device?: string };

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const MAX_METRICS = 256;
/**
 * Largest magnitude a reading may have: rollups keep sums of squares, and a square past ~1.8e308
 * is Infinity (NaN statistics; PostgreSQL refuses the write). 1e150 leaves room for 1e8 readings a bucket.
 */
export const MAX_ABS_VALUE = 1e150;
/**
 * Names every plain object already has (constructor, toString, __proto__, ...): as metric keys they
 * would vanish into or clash with the prototype wherever readings are keyed by name, so they are refused.
 */
function isReservedName(name: string): boolean {
  return name in Object.prototype;
}
/** Before this, a timestamp is a broken clock, not history. */
const EARLIEST_TS = Date.UTC(1990, 0, 1);
/** Devices with drifting clocks are tolerated this far ahead of the server. */
const MAX_FUTURE_MS = 24 * 3600_000;

const TIME_KEYS = ['ts', 'timestamp', 'time'];
const DEVICE_KEYS = ['device_id', 'deviceId', 'device'];
/** Text fields devices send beside their numbers; kept as attributes, never as readings. */
export const TEXT_ATTRIBUTES = new Set([
  'status',
  'state',
  'message',
  'fw',
  'firmware',
  'fw_version',
  'version',
  'location',
  'machine',
  'sensor',
  'unit',
  'name',
  'type',
]);
/** Fields consumed by the transport layer (the serial link's frame check). */
const TRANSPORT_KEYS = ['crc'];
/** Every field that is never a reading: one set lookup per key instead of five checks. */
const NOT_READINGS = new Set([...TIME_KEYS, ...DEVICE_KEYS, 'seq', 'profile', ...TRANSPORT_KEYS]);
/**
 * Metric names already found well-formed (and not reserved): a fleet uses a few, sent millions of
 * times, so the name's regular expression runs once per name instead of once per reading. Bounded,
 * so a sender of ever new names costs memory no longer than this.
 */
const goodNames = new Set<string>();
const GOOD_NAMES_MAX = 4096;

export function reject(field: string, rule: string, message: string): Rejection {
  return { field, rule, message };
}

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID.test(id);
}

/**
 * ISO-8601 as devices and files write it: a date, optionally a time (T or a space) with optional
 * fractional seconds, optionally a zone. Nothing else: Date.parse's own fallbacks read "Mar 5" or
 * "x 1" as dates of 2001, and a reading must never be filed under a time nobody sent.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function parseIso(s: string): number | null {
  const m = ISO_8601.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +sec > 59) return null;
  const base = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec);
  // Date.UTC rolls 31 February over into March: a day the month does not have is refused instead.
  if (new Date(base).getUTCDate() !== +d) return null;
  // The fraction to the microsecond (digits past the sixth are rounded): a 2 kHz file's 0.0005 s steps survive.
  const us = frac ? Math.round(Number(frac) * 1e6) : 0;
  let offset = 0;
  // A date without a zone is read as UTC: devices rarely know their zone, servers should not guess.
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /([+-])(\d{2}):?(\d{2})/.exec(zone)!;
    offset = (z[1] === '-' ? -1 : 1) * (+z[2] * 60 + +z[3]) * 60_000;
  }
  return microsToMs((base - offset) * US_PER_MS + us);
}

/**
 * Turns a timestamp in any of the documented shapes into epoch ms (with a fraction down to the µs):
 * epoch seconds, ms, µs or ns as a number or numeric string, or ISO-8601 text. Anything else is null.
 */
export function parseTimestamp(raw: unknown): number | null {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') {
    const s = raw.trim();
    // Epoch ns as text has more digits than a double holds: divided exactly, as an integer.
    if (/^\d{18,19}$/.test(s)) return microsToMs(Number((BigInt(s) + 500n) / 1000n));
    if (/^-?\d+(\.\d+)?$/.test(s)) n = Number(s);
    else return parseIso(s);
  } else return null;
  // 0 is a time (the epoch, a query's "from the beginning"); devices' times are range-checked after.
  if (!Number.isFinite(n) || n < 0) return null;
  // Kept to the microsecond, the finest time a reading holds (src/model/time.ts).
  if (n < 1e11) return microsToMs(Math.round(n * 1e6)); // seconds
  if (n < 1e14) return microsToMs(Math.round(n * 1e3)); // milliseconds
  if (n < 1e17) return microsToMs(Math.round(n)); // microseconds
  return microsToMs(Math.round(n / 1e3)); // nanoseconds
}

/** A payload refused before it was parsed (size, empty, not JSON); otherwise undefined and `parsedValue` holds the value. */
function parseJson(payload: Buffer | string, maxBytes: number): Rejection | undefined {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > maxBytes) return reject('payload', 'max_size', `payload is ${size} bytes; the limit is ${maxBytes}`);
  if (size === 0) return reject('payload', 'json', 'payload is empty');
  try {
    parsedValue = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
    return undefined;
  } catch (err) {
    return reject('payload', 'json', `payload is not valid JSON: ${(err as Error).message}`);
  }
}
/**
 * parseJson's value, handed over outside a result object: one thread, read at once by the caller
 * (a { ok, value } per message was garbage on the ingest hot path).
 */
let parsedValue: unknown;

/** Decodes one message: bytes (MQTT, serial) or an already parsed JSON value (HTTP arrays, NDJSON). */
export function decodeMessage(payload: Buffer | string | unknown, ctx: DecodeContext): Decoded {
  let value: unknown = payload;
  if (Buffer.isBuffer(payload)) {
    // The common flat payload, read from its bytes; anything else (and every refusal) the generic way.
    const message = decodeFlat(payload, ctx);
    if (message) return { ok: true, message };
  }
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const refused = parseJson(payload, ctx.maxBytes);
    if (refused) return { ok: false, rejection: refused, device: ctx.device };
    value = parsedValue;
    parsedValue = undefined;
  }
  return decodeObject(value, ctx);
}

/** A refusal, naming the device when it is known. A plain function: a closure per decoded message was garbage. */
function fail(r: Rejection, device: string | undefined): Decoded {
  return { ok: false, rejection: r, device };
}

export function decodeObject(value: unknown, ctx: DecodeContext): Decoded {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return fail(reject('payload', 'object', `payload must be a JSON object of metric -> number, got ${what}`), ctx.device);
  }
  const obj = value as Record<string, unknown>;

  let device = ctx.device;
  for (const key of DEVICE_KEYS) {
    const v = obj[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !isValidDeviceId(v)) {
      return fail(reject(key, 'device_id', `${key} must be 1-128 characters of letters, digits, . _ : - (got ${JSON.stringify(v)?.slice(0, 80)})`), ctx.device);
    }
    if (device !== undefined && v !== device) {
      return fail(reject(key, 'matches_topic', `${key} "${v}" does not match the device "${device}" it was sent for`), ctx.device);
    }
    device = v;
  }
  if (device === undefined) return fail(reject('device_id', 'required', 'no device id: send it in the topic/URL or as device_id'), ctx.device);
  if (!isValidDeviceId(device))
    return fail(reject('device_id', 'device_id', `device id "${device.slice(0, 80)}" must be 1-128 characters of letters, digits, . _ : -`), ctx.device);

  let ts: number | undefined;
  for (const key of TIME_KEYS) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    const parsed = parseTimestamp(v);
    if (parsed === null) return fail(reject(key, 'timestamp', `${key} must be epoch s/ms or ISO-8601, got ${JSON.stringify(v).slice(0, 80)}`), device);
    if (parsed < EARLIEST_TS || parsed > ctx.receivedAt + MAX_FUTURE_MS) {
      // Far-off times are outside what Date can print: name the number instead of throwing.
      const shown = Math.abs(parsed) < 8.64e15 ? new Date(parsed).toISOString() : String(v).slice(0, 40);
      return fail(reject(key, 'range', `${key} ${shown} is before 1990 or more than a day ahead of the server clock`), device);
    }
    ts = parsed;
    break;
  }

  let seq: number | undefined;
  if (obj.seq !== undefined && obj.seq !== null) {
    const s = obj.seq;
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) {
      return fail(reject('seq', 'integer', `seq must be a non-negative integer, got ${JSON.stringify(s).slice(0, 40)}`), device);
    }
    seq = s;
  }

  let profile: string | undefined;
  if (obj.profile !== undefined) {
    if (typeof obj.profile !== 'string' || !METRIC_NAME.test(obj.profile)) {
      return fail(reject('profile', 'name', 'profile must be a profile name (letters, digits, _ . -)'), device);
    }
    // Binding the device to a profile that does not exist would leave it checked against nothing while it looks bound.
    if (ctx.knownProfile && !ctx.knownProfile(obj.profile)) {
      return fail(reject('profile', 'unknown_profile', `profile "${obj.profile}" does not exist (GET /api/v1/profiles lists them)`), device);
    }
    profile = obj.profile;
  }

  const values: Record<string, number> = {};
  let attributes: Record<string, string | boolean> | undefined;
  let count = 0;
  for (const key in obj) {
    if (NOT_READINGS.has(key)) continue;
    const v = obj[key];
    if (typeof v === 'string' && TEXT_ATTRIBUTES.has(key)) {
      (attributes ??= {})[key] = v.slice(0, 256);
      continue;
    }
    const known = goodNames.has(key);
    if (!known && !METRIC_NAME.test(key)) {
      return fail(
        reject(
          key === '' ? '(empty key)' : key.slice(0, 64),
          'metric_name',
          'metric names start with a letter or _ and hold letters, digits, _ . - (at most 64)',
        ),
        device,
      );
    }
    if (!known && isReservedName(key)) {
      return fail(reject(key, 'reserved_name', `${key} is a reserved name (a property of every JavaScript object) and cannot be a metric name`), device);
    }
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'boolean') n = v ? 1 : 0;
    else return fail(reject(key, 'number', `${key} must be a number, got ${v === null ? 'null' : typeof v}`), device);
    if (!Number.isFinite(n)) return fail(reject(key, 'number', `${key} must be a finite number`), device);
    if (Math.abs(n) > MAX_ABS_VALUE)
      return fail(
        reject(key, 'range', `${key} = ${n} is beyond ±${MAX_ABS_VALUE}, the largest magnitude stored (its square must stay finite in the statistics)`),
        device,
      );
    if (++count > MAX_METRICS) return fail(reject('payload', 'max_metrics', `at most ${MAX_METRICS} metrics per message`), device);
    values[key] = n;
    if (!known && goodNames.size < GOOD_NAMES_MAX) goodNames.add(key);
  }

  // Nothing to store: it must not register a device or count as a sign of life.
  if (count === 0 && !attributes) return fail(reject('payload', 'empty', 'the message holds no readings (metric -> number) and no attributes'), device);

  // Stamped last, once the message is known to be good, so a refused message takes no stamp.
  ts ??= ctx.stamp ? ctx.stamp(device, ctx.receivedAt) : ctx.receivedAt;
  const message: Message = { device, ts, values, source: ctx.source, receivedAt: ctx.receivedAt };
  if (seq !== undefined) message.seq = seq;
  if (profile !== undefined) message.profile = profile;
  if (attributes) message.attributes = attributes;
  return { ok: true, message };
}
