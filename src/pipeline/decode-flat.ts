import type { Message } from '../model/reading.js';
import { MAX_ABS_VALUE, TEXT_ATTRIBUTES, isValidDeviceId, parseTimestamp, type DecodeContext } from './decode.js';

/**
 * The fast decoder for the payload devices send millions of times: one flat JSON object of metric ->
 * number (with seq, ts, a device id, a profile, text attributes), ASCII keys and strings without
 * escapes. It reads the bytes straight into the message, without `payload.toString()`,
 * `JSON.parse`'s object or a string per key (keys are interned in a small table, with what kind of
 * field each is worked out once).
 *
 * It only ever says yes: for anything it does not fully understand, or any message the generic
 * path would refuse, it returns undefined and the caller decodes the payload the generic way
 * (decode.ts), so refusals, their messages and dead letters are the generic path's by construction.
 * It takes no side effect before it is sure (the server clock's stamp comes last, as there).
 */

const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const MAX_MEMBERS = 64;
/** Longest key interned (metric names are at most 64 characters). */
const MAX_KEY = 64;

// What a key is, decided once per distinct key.
const K_BAD = 0; // not a usable metric name: the generic path decides (it refuses it)
const K_METRIC = 1;
const K_TEXT = 2; // a text attribute when its value is a string, else a metric
const K_SKIP = 3; // consumed elsewhere (crc)
const K_DEVICE_ID = 4;
const K_DEVICE_ID2 = 5;
const K_DEVICE = 6;
const K_TS = 7;
const K_TIMESTAMP = 8;
const K_TIME = 9;
const K_SEQ = 10;
const K_PROFILE = 11;
const SPECIALS = 12;

const SPECIAL: Record<string, number> = {
  device_id: K_DEVICE_ID,
  deviceId: K_DEVICE_ID2,
  device: K_DEVICE,
  ts: K_TS,
  timestamp: K_TIMESTAMP,
  time: K_TIME,
  seq: K_SEQ,
  profile: K_PROFILE,
  crc: K_SKIP,
};

function kindOf(key: string): number {
  if (Object.prototype.hasOwnProperty.call(SPECIAL, key)) return SPECIAL[key];
  if (TEXT_ATTRIBUTES.has(key)) return K_TEXT;
  if (METRIC_NAME.test(key) && !(key in Object.prototype)) return K_METRIC;
  return K_BAD;
}

// Interned keys: open table by hash of the bytes; a collision replaces the slot (bounded memory).
const SLOTS = 1024;
const slotKey: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
const slotKind = new Uint8Array(SLOTS);

function internKey(buf: Buffer, start: number, end: number, hash: number): number {
  const slot = hash & (SLOTS - 1);
  const k = slotKey[slot];
  const len = end - start;
  if (k !== undefined && k.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (k.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return slot;
  }
  const key = buf.toString('latin1', start, end);
  slotKey[slot] = key;
  slotKind[slot] = kindOf(key);
  return slot;
}

// One message's members, reused: key, kind, value type and value.
const V_NUM = 0;
const V_STR = 1;
const V_TRUE = 2;
const V_FALSE = 3;
const V_NULL = 4;
const mKey: string[] = new Array<string>(MAX_MEMBERS).fill('');
const mKind = new Uint8Array(MAX_MEMBERS);
const mType = new Uint8Array(MAX_MEMBERS);
const mNum = new Float64Array(MAX_MEMBERS);
const mStr: (string | undefined)[] = new Array<string | undefined>(MAX_MEMBERS).fill(undefined);
/** Member index of each special key, -1 when absent. */
const specialAt = new Int32Array(SPECIALS);

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

let pos = 0;

function skipWs(buf: Buffer, i: number): number {
  for (let c = buf[i]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = buf[++i]);
  return i;
}

/** A JSON number at `pos` into mNum[m]; false when it is not one (or not one this reader takes). */
function readNumber(buf: Buffer, m: number): boolean {
  const start = pos;
  let i = pos;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let exp = 0;
  let c = buf[i];
  if (c === 0x30) {
    c = buf[++i];
    // JSON has no leading zeros.
    if (c >= 0x30 && c <= 0x39) return false;
  } else if (c >= 0x31 && c <= 0x39) {
    for (; c >= 0x30 && c <= 0x39; c = buf[++i]) {
      mant = mant * 10 + (c - 0x30);
      digits++;
    }
  } else return false;
  if (c === 0x2e) {
    c = buf[++i];
    if (!(c >= 0x30 && c <= 0x39)) return false;
    for (; c >= 0x30 && c <= 0x39; c = buf[++i]) {
      mant = mant * 10 + (c - 0x30);
      // Leading zeros of a fraction (0.001) add no significant digit.
      if (mant !== 0) digits++;
      exp--;
    }
  }
  let slow = false;
  if (c === 0x65 || c === 0x45) {
    c = buf[++i];
    let eneg = false;
    if (c === 0x2b || c === 0x2d) {
      eneg = c === 0x2d;
      c = buf[++i];
    }
    if (!(c >= 0x30 && c <= 0x39)) return false;
    let e = 0;
    for (; c >= 0x30 && c <= 0x39; c = buf[++i]) if (e < 100_000) e = e * 10 + (c - 0x30);
    exp += eneg ? -e : e;
    slow = true;
  }
  pos = i;
  // Exact: an integer below 2^53 times or over an exact power of ten is one correctly rounded
  // operation, the double JSON.parse gives; anything else is read by the engine's own conversion.
  if (!slow && digits <= 15 && exp >= -22) {
    const v = exp < 0 ? mant / POW10[-exp] : mant;
    mNum[m] = neg ? -v : v;
  } else mNum[m] = Number(buf.toString('latin1', start, i));
  return true;
}

/** A string of printable ASCII without escapes at `pos` (after its quote) into mStr[m]; false otherwise. */
function readString(buf: Buffer, m: number): boolean {
  const start = pos;
  let i = pos;
  for (let c = buf[i]; c !== 0x22; c = buf[++i]) {
    if (c === undefined || c < 0x20 || c > 0x7e || c === 0x5c) return false;
  }
  mStr[m] = buf.toString('latin1', start, i);
  pos = i + 1;
  return true;
}

/** Reads the members into the m* arrays; their count, or -1 when the payload is not the flat shape. */
function scan(buf: Buffer): number {
  const n = buf.length;
  let i = skipWs(buf, 0);
  if (buf[i] !== 0x7b) return -1;
  i = skipWs(buf, i + 1);
  specialAt.fill(-1);
  let m = 0;
  if (buf[i] === 0x7d) return skipWs(buf, i + 1) === n ? 0 : -1;
  for (;;) {
    if (buf[i] !== 0x22 || m === MAX_MEMBERS) return -1;
    const ks = ++i;
    let hash = 0x811c9dc5;
    for (let c = buf[i]; c !== 0x22; c = buf[++i]) {
      if (c === undefined || c < 0x20 || c > 0x7e || c === 0x5c) return -1;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    const len = i - ks;
    // Empty, long and array-index-like keys ("1": enumerated first by for..in) go the generic way.
    if (len === 0 || len > MAX_KEY || (buf[ks] >= 0x30 && buf[ks] <= 0x39)) return -1;
    const slot = internKey(buf, ks, i, hash);
    const key = slotKey[slot]!;
    // A key twice: JSON.parse keeps the last value at the first place; the generic path decides.
    for (let j = 0; j < m; j++) if (mKey[j] === key) return -1;
    const kind = slotKind[slot];
    mKey[m] = key;
    mKind[m] = kind;
    if (kind >= K_DEVICE_ID) specialAt[kind] = m;
    i = skipWs(buf, i + 1);
    if (buf[i] !== 0x3a) return -1;
    i = skipWs(buf, i + 1);
    const c = buf[i];
    if (c === 0x22) {
      pos = i + 1;
      if (!readString(buf, m)) return -1;
      mType[m] = V_STR;
      i = pos;
    } else if (c === 0x74) {
      if (buf[i + 1] !== 0x72 || buf[i + 2] !== 0x75 || buf[i + 3] !== 0x65) return -1;
      mType[m] = V_TRUE;
      i += 4;
    } else if (c === 0x66) {
      if (buf[i + 1] !== 0x61 || buf[i + 2] !== 0x6c || buf[i + 3] !== 0x73 || buf[i + 4] !== 0x65) return -1;
      mType[m] = V_FALSE;
      i += 5;
    } else if (c === 0x6e) {
      if (buf[i + 1] !== 0x75 || buf[i + 2] !== 0x6c || buf[i + 3] !== 0x6c) return -1;
      mType[m] = V_NULL;
      i += 4;
    } else {
      pos = i;
      if (!readNumber(buf, m)) return -1;
      mType[m] = V_NUM;
      i = pos;
    }
    m++;
    i = skipWs(buf, i);
    const d = buf[i];
    if (d === 0x2c) {
      i = skipWs(buf, i + 1);
      continue;
    }
    if (d === 0x7d) return skipWs(buf, i + 1) === n ? m : -1;
    return -1;
  }
}

const DEVICE_KINDS = [K_DEVICE_ID, K_DEVICE_ID2, K_DEVICE];
const TIME_KINDS = [K_TS, K_TIMESTAMP, K_TIME];
const EARLIEST_TS = Date.UTC(1990, 0, 1);
const MAX_FUTURE_MS = 24 * 3600_000;

/**
 * The message the generic decoder would make of `buf` in `ctx`, or undefined when the payload is not
 * the flat shape or would be refused (then decode it the generic way, which says why).
 */
export function decodeFlat(buf: Buffer, ctx: DecodeContext): Message | undefined {
  if (buf.length === 0 || buf.length > ctx.maxBytes) return undefined;
  const n = scan(buf);
  if (n <= 0) return undefined;

  let device = ctx.device;
  for (const k of DEVICE_KINDS) {
    const at = specialAt[k];
    if (at < 0) continue;
    if (mType[at] !== V_STR) return undefined;
    const v = mStr[at]!;
    if (!isValidDeviceId(v) || (device !== undefined && v !== device)) return undefined;
    device = v;
  }
  if (device === undefined || !isValidDeviceId(device)) return undefined;

  let ts: number | undefined;
  for (const k of TIME_KINDS) {
    const at = specialAt[k];
    if (at < 0 || mType[at] === V_NULL) continue;
    const t = mType[at];
    const parsed = t === V_NUM ? parseTimestamp(mNum[at]) : t === V_STR ? parseTimestamp(mStr[at]) : null;
    if (parsed === null || parsed < EARLIEST_TS || parsed > ctx.receivedAt + MAX_FUTURE_MS) return undefined;
    ts = parsed;
    break;
  }

  let seq: number | undefined;
  const sa = specialAt[K_SEQ];
  if (sa >= 0 && mType[sa] !== V_NULL) {
    const s = mNum[sa];
    if (mType[sa] !== V_NUM || !Number.isSafeInteger(s) || s < 0) return undefined;
    seq = s;
  }

  let profile: string | undefined;
  const pa = specialAt[K_PROFILE];
  if (pa >= 0) {
    const p = mStr[pa];
    if (mType[pa] !== V_STR || !METRIC_NAME.test(p!) || (ctx.knownProfile && !ctx.knownProfile(p!))) return undefined;
    profile = p;
  }

  // Checked before anything is built: a refusal is the generic path's to name.
  let count = 0;
  let attrs = 0;
  for (let m = 0; m < n; m++) {
    const kind = mKind[m];
    if (kind >= K_SKIP) continue;
    const t = mType[m];
    if (kind === K_TEXT && t === V_STR) {
      attrs++;
      continue;
    }
    if (kind === K_BAD || t === V_STR || t === V_NULL) return undefined;
    if (t === V_NUM) {
      const v = mNum[m];
      if (!Number.isFinite(v) || Math.abs(v) > MAX_ABS_VALUE) return undefined;
    }
    count++;
  }
  if (count === 0 && attrs === 0) return undefined;

  const values: Record<string, number> = {};
  let attributes: Record<string, string | boolean> | undefined;
  for (let m = 0; m < n; m++) {
    const kind = mKind[m];
    if (kind >= K_SKIP) continue;
    const t = mType[m];
    if (kind === K_TEXT && t === V_STR) (attributes ??= {})[mKey[m]] = mStr[m]!.slice(0, 256);
    else values[mKey[m]] = t === V_NUM ? mNum[m] : t === V_TRUE ? 1 : 0;
  }
  for (let m = 0; m < n; m++) mStr[m] = undefined;

  ts ??= ctx.stamp ? ctx.stamp(device, ctx.receivedAt) : ctx.receivedAt;
  const message: Message = { device, ts, values, source: ctx.source, receivedAt: ctx.receivedAt };
  if (seq !== undefined) message.seq = seq;
  if (profile !== undefined) message.profile = profile;
  if (attributes) message.attributes = attributes;
  return message;
}
