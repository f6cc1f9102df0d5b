import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, type DecodeContext } from '../../src/pipeline/decode.js';
import { decodeFlat } from '../../src/pipeline/decode-flat.js';

// The fast decoder reads bytes (Buffer); a string payload always goes the generic way (JSON.parse),
// so decoding the same payload as text and as bytes must give the same result, refusals included.
const receivedAt = Date.UTC(2026, 10, 28, 9, 0, 0);
function ctxFor(device: string | undefined, extra: Partial<DecodeContext> = {}): DecodeContext {
  return { source: 'mqtt', device, receivedAt, maxBytes: 4096, ...extra };
}

function same(text: string, ctx: DecodeContext = ctxFor('dev-1')): ReturnType<typeof decodeMessage> {
  const generic = decodeMessage(text, { ...ctx });
  const fast = decodeMessage(Buffer.from(text, 'utf8'), { ...ctx });
  assert.deepEqual(fast, generic, `payload ${JSON.stringify(text)}`);
  // deepEqual sees no difference between -0 and 0, nor key order: compare both.
  if (fast.ok && generic.ok) {
    assert.deepEqual(Object.keys(fast.message), Object.keys(generic.message));
    assert.deepEqual(Object.keys(fast.message.values), Object.keys(generic.message.values));
    for (const k in fast.message.values) assert.ok(Object.is(fast.message.values[k], generic.message.values[k]), `${k} in ${text}`);
    if (fast.message.attributes) assert.deepEqual(Object.keys(fast.message.attributes), Object.keys(generic.message.attributes!));
  }
  return fast;
}

/** The shapes devices send (bench publisher, simulator, seeds' examples): the fast path must take them. */
const COMMON = [
  '{"seq":12,"ts":1764320400000,"v":5.012,"a":0.2450,"w":1.210}',
  '{"ts":1764320400,"temperature":21.5,"humidity":40}',
  '{"ts":"2026-11-28T08:59:59.5Z","rpm":1450,"vib_x":-0.0031,"status":"running"}',
  '{"device_id":"dev-1","v":1,"on":true,"alarm":false}',
  ' { "seq" : 0 , "v" : -0 , "big" : 123456789012345 , "e" : 1.5e-7 } \n',
  '{"v":0.1,"w":0.30000000000000004,"x":1e21,"y":-1.7976931348623157e+149,"z":123456789.123456789}',
  '{"profile":"pump","fw":"1.2.3","pressure":3.25}',
  '{"status":"ok"}',
  '{"ts":null,"time":1764320400000,"v":1,"crc":42}',
];

test('common payloads: the fast path decodes them, to what JSON.parse and the generic path give', () => {
  for (const text of COMMON) {
    const ctx = ctxFor('dev-1', { knownProfile: (p) => p === 'pump' });
    assert.ok(decodeFlat(Buffer.from(text), { ...ctx }), `fast path takes ${text}`);
    const d = same(text, ctx);
    assert.equal(d.ok, true, text);
  }
});

test('numbers: the same doubles as JSON.parse, exact and rounded ones alike', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e150, max: 1e150 }), fc.integer({ min: 0, max: 17 }), (x, digits) => {
      for (const lit of [String(x), x.toFixed(Math.min(digits, 100)), x.toPrecision(Math.max(1, digits + 1)), x.toExponential(digits)]) {
        if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(lit)) continue;
        same(`{"v":${lit}}`);
      }
    }),
    { numRuns: 3000 },
  );
  for (const lit of [
    '0.1',
    '0.000001',
    '1.000000000000001',
    '9007199254740993',
    '123456789012345678901234567890',
    '4.35',
    '2.675',
    '1e22',
    '1e23',
    '5e-324',
    '0.0000000000000000000000001',
  ])
    same(`{"v":${lit}}`);
});

test('refusals: the same rejection (field, rule, message) and device as the generic path', () => {
  const bad = [
    '',
    ' ',
    '{',
    '[1,2]',
    'null',
    '"x"',
    '{}',
    '{"v":"high"}',
    '{"v":null}',
    '{"v":1e999}',
    '{"v":2e150}',
    '{"1":2}',
    '{"a":"x","1":2}',
    '{"__proto__":1}',
    '{"constructor":1}',
    '{"toString":1}',
    '{"bad name":1}',
    '{"":1}',
    '{"v":01}',
    '{"v":1.}',
    '{"v":+1}',
    '{"v":.5}',
    '{"v":1,"v":2}',
    '{"v":1,}',
    '{"v":1} x',
    '{"device_id":"other","v":1}',
    '{"device_id":5,"v":1}',
    '{"device_id":"bad id!","v":1}',
    '{"ts":"yesterday","v":1}',
    '{"ts":100,"v":1}',
    '{"ts":99999999999999999,"v":1}',
    '{"ts":true,"v":1}',
    '{"seq":-1,"v":1}',
    '{"seq":1.5,"v":1}',
    '{"seq":"3","v":1}',
    '{"profile":"nope","v":1}',
    '{"profile":null,"v":1}',
    '{"v":{"nested":1}}',
    '{"v":[1]}',
    '{"s\\u0074atus":"x"}',
    '{"status":"caf\u00e9"}',
    '{"seq":3}',
    '\ufeff{"v":1}',
    '{"v":1}\u0000',
  ];
  // Not flat-shaped for the fast path, yet good: the generic path takes them (a repeated key keeps the last value).
  const ACCEPTED = new Set(['{"s\\u0074atus":"x"}', '{"status":"caf\u00e9"}', '{"v":1,"v":2}']);
  for (const text of bad) {
    const d = same(text, ctxFor('dev-1', { knownProfile: (p) => p === 'pump' }));
    if (!ACCEPTED.has(text)) assert.equal(d.ok, false, text);
  }
  // Without a device from the topic: the payload's, or a refusal.
  same('{"v":1}', ctxFor(undefined));
  same('{"device":"d-2","v":1}', ctxFor(undefined));
  same('{"device_id":"d-2","deviceId":"d-3","v":1}', ctxFor(undefined));
  // Over the size limit: refused before parsing, on both paths.
  same('{"v":1}', ctxFor('dev-1', { maxBytes: 3 }));
});

test('any flat object of JSON values, as text: the same result either way', () => {
  const key = fc.oneof(
    fc.constantFrom(
      'v',
      'a',
      'seq',
      'ts',
      'time',
      'timestamp',
      'device',
      'device_id',
      'deviceId',
      'profile',
      'status',
      'name',
      'crc',
      'x.y',
      '_z',
      '9a',
      '',
      'valueOf',
      'hasOwnProperty',
    ),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.oneof(
    fc.double({ noNaN: true }).map((x) => (Number.isFinite(x) ? x : 1)),
    fc.integer(),
    fc.constantFrom(true, false, null, 'dev-1', 'pump', '2026-11-28T09:00:00Z', 1764320400000, 'café', 'a"b', ''),
    fc.string({ maxLength: 10 }),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(key, value), { maxLength: 10 }), fc.boolean(), (members, spaced) => {
      const sep = spaced ? ' , ' : ',';
      const text = '{' + members.map(([k, v]) => JSON.stringify(k) + (spaced ? ' : ' : ':') + JSON.stringify(v)).join(sep) + '}';
      same(text, ctxFor('dev-1', { knownProfile: (p) => p === 'pump' }));
      same(text, ctxFor(undefined));
    }),
    { numRuns: 4000 },
  );
});

test('any bytes near a good payload: the same result either way', () => {
  const base = Buffer.from('{"seq":12,"ts":1764320400000,"v":5.012,"status":"ok","a":-0.245}');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (edits) => {
      const b = Buffer.from(base);
      for (const [i, c] of edits) b[i] = c;
      const generic = decodeMessage(b.toString('utf8'), ctxFor('dev-1'));
      const fast = decodeMessage(b, ctxFor('dev-1'));
      assert.deepEqual(fast, generic, b.toString('latin1'));
    }),
    { numRuns: 4000 },
  );
});

test('the server clock stamps a message without a time once, on either path', () => {
  const stamped: string[] = [];
  const ctx = ctxFor('dev-1', { stamp: (d, at) => (stamped.push(d), at + 0.001) });
  const d = decodeMessage(Buffer.from('{"v":1}'), ctx);
  assert.equal(d.ok && d.message.ts, receivedAt + 0.001);
  assert.deepEqual(stamped, ['dev-1']);
  // A refused message takes no stamp.
  decodeMessage(Buffer.from('{"v":"x"}'), ctx);
  assert.deepEqual(stamped, ['dev-1']);
});
