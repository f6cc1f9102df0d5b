import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, parseTimestamp } from '../../src/pipeline/decode.js';

const ctx = { source: 'mqtt' as const, device: 'dev-1', receivedAt: Date.UTC(2026, 0, 1), maxBytes: 256 * 1024 };

test('accepts the INA219 seed shape with epoch-seconds ts and a text status', () => {
  const d = decodeMessage(Buffer.from('{"v":5.02,"a":0.245,"w":1.23,"ts":1712345678,"seq":123,"status":"ok"}'), ctx);
  assert.ok(d.ok);
  assert.deepEqual(d.message.values, { v: 5.02, a: 0.245, w: 1.23 });
  assert.equal(d.message.ts, 1712345678000);
  assert.equal(d.message.seq, 123);
  assert.deepEqual(d.message.attributes, { status: 'ok' });
});

test('accepts the factory seed shape with device_id and an ISO timestamp', () => {
  const d = decodeMessage('{"device_id":"sensor_001","temperature":25.3,"humidity":60.5,"timestamp":"2025-11-17T10:30:00Z"}', {
    ...ctx,
    device: undefined,
    source: 'http',
  });
  assert.ok(d.ok);
  assert.equal(d.message.device, 'sensor_001');
  assert.equal(d.message.ts, Date.UTC(2025, 10, 17, 10, 30));
  assert.deepEqual(d.message.values, { temperature: 25.3, humidity: 60.5 });
});

test('a message without ts gets the receive time', () => {
  const d = decodeMessage('{"temperature":41.5}', ctx);
  assert.ok(d.ok);
  assert.equal(d.message.ts, ctx.receivedAt);
});

test('timestamps: seconds, ms, µs, ns, ISO with offset, zone-less ISO as UTC', () => {
  assert.equal(parseTimestamp(1712345678), 1712345678000);
  assert.equal(parseTimestamp(1712345678.5), 1712345678500);
  assert.equal(parseTimestamp(1712345678901), 1712345678901);
  assert.equal(parseTimestamp(1712345678901000), 1712345678901);
  assert.equal(parseTimestamp(1712345678901000000), 1712345678901);
  assert.equal(parseTimestamp('2024-04-05T19:34:38+09:00'), Date.UTC(2024, 3, 5, 10, 34, 38));
  assert.equal(parseTimestamp('2024-04-05 10:34:38'), Date.UTC(2024, 3, 5, 10, 34, 38));
  assert.equal(parseTimestamp('1712345678'), 1712345678000);
  assert.equal(parseTimestamp('yesterday'), null);
  assert.equal(parseTimestamp(''), null);
  assert.equal(parseTimestamp(-5), null);
  // The epoch itself is a time (a query's from=0); a device's 1970 is refused later, by range.
  assert.equal(parseTimestamp(0), 0);
  assert.equal(parseTimestamp('0'), 0);
});

test('timestamps: only the documented formats, never Date.parse guesses', () => {
  for (const junk of [
    'x 1',
    'Mar 5',
    '1 2 3',
    '5 March 2025',
    'Tue, 05 Mar 2024 10:00:00 GMT',
    '2025-02-31',
    '2025-13-01',
    '2025-11-17T24:00:00Z',
    '2025/11/17',
  ]) {
    assert.equal(parseTimestamp(junk), null, junk);
  }
  assert.equal(parseTimestamp('2025-11-17'), Date.UTC(2025, 10, 17));
  assert.equal(parseTimestamp('2025-11-17T10:30'), Date.UTC(2025, 10, 17, 10, 30));
  assert.equal(parseTimestamp('2025-11-17T10:30:00.25Z'), Date.UTC(2025, 10, 17, 10, 30, 0, 250));
  assert.equal(parseTimestamp('2025-11-17T10:30:00-0130'), Date.UTC(2025, 10, 17, 12, 0));
  const d = decodeMessage('{"ts":"Mar 5","x":1}', { source: 'mqtt', device: 'd', receivedAt: Date.now(), maxBytes: 1024 });
  assert.ok(!d.ok && d.rejection.field === 'ts' && d.rejection.rule === 'timestamp');
});

const bad: [string, string, string][] = [
  ['not json', 'payload', 'json'],
  ['', 'payload', 'json'],
  ['[1,2]', 'payload', 'object'],
  ['42', 'payload', 'object'],
  ['null', 'payload', 'object'],
  ['{"temperature":"hot"}', 'temperature', 'number'],
  ['{"temperature":null}', 'temperature', 'number'],
  ['{"temperature":{"c":1}}', 'temperature', 'number'],
  ['{"temperature":1,"ts":"not a time"}', 'ts', 'timestamp'],
  ['{"temperature":1,"ts":1}', 'ts', 'range'],
  ['{"temperature":1,"seq":-1}', 'seq', 'integer'],
  ['{"temperature":1,"seq":1.5}', 'seq', 'integer'],
  ['{"temperature":1,"device_id":"other"}', 'device_id', 'matches_topic'],
  ['{"bad key":1}', 'bad key', 'metric_name'],
];
for (const [payload, field, rule] of bad) {
  test(`rejects ${JSON.stringify(payload)} naming field ${field} and rule ${rule}`, () => {
    const d = decodeMessage(payload, ctx);
    assert.equal(d.ok, false);
    if (!d.ok) {
      assert.equal(d.rejection.field, field);
      assert.equal(d.rejection.rule, rule);
      assert.ok(d.rejection.message.length > 0);
    }
  });
}

test('rejects a payload over the size limit before parsing it', () => {
  const big = JSON.stringify({ v: 1, pad: 'x'.repeat(300 * 1024) });
  const d = decodeMessage(Buffer.from(big), ctx);
  assert.equal(d.ok, false);
  if (!d.ok) assert.deepEqual([d.rejection.field, d.rejection.rule], ['payload', 'max_size']);
});

test('booleans become 0/1 readings (digital inputs)', () => {
  const d = decodeMessage('{"door_open":true,"pump":false}', ctx);
  assert.ok(d.ok);
  assert.deepEqual(d.message.values, { door_open: 1, pump: 0 });
});

test('timestamps keep their microseconds in every shape a device or file writes them', () => {
  const ms = Date.UTC(2025, 3, 26, 9, 0, 0, 123);
  // ISO with six fractional digits, with a zone, and with more digits than µs (rounded to the µs).
  assert.equal(parseTimestamp('2025-04-26T09:00:00.123456Z'), ms + 0.456);
  assert.equal(parseTimestamp('2025-04-26T18:00:00.123456+09:00'), ms + 0.456);
  assert.equal(parseTimestamp('2025-04-26T09:00:00.1234565Z'), ms + 0.457);
  assert.equal(parseTimestamp('2025-04-26T09:00:00.000500Z'), ms - 123 + 0.5);
  // Epoch seconds and ms with a fraction, as numbers and as text.
  assert.equal(parseTimestamp(ms / 1000 + 0.000456), ms + 0.456);
  assert.equal(parseTimestamp(String(ms / 1000) + '456'), ms + 0.456);
  assert.equal(parseTimestamp(ms + 0.5), ms + 0.5);
  assert.equal(parseTimestamp(`${ms}.25`), ms + 0.25);
  // Epoch µs and ns: the ns text has more digits than a double holds and is still exact to the µs.
  assert.equal(parseTimestamp(ms * 1000 + 456), ms + 0.456);
  assert.equal(parseTimestamp(`${ms}456789`), ms + 0.457);
  // 2 kHz: 2,000 consecutive samples of one second are 2,000 different times.
  const times = new Set(Array.from({ length: 2000 }, (_, i) => parseTimestamp(`2025-04-26T09:00:00.${String(i * 500).padStart(6, '0')}Z`)));
  assert.equal(times.size, 2000);
});

test('a decoded message carries its µs time to its readings', () => {
  const d = decodeMessage('{"device_id":"vib-1","ts":"2025-04-26T09:00:00.000500Z","x":1}', {
    source: 'http',
    receivedAt: Date.UTC(2025, 3, 26, 10),
    maxBytes: 4096,
  });
  assert.ok(d.ok);
  assert.equal(d.message.ts, Date.UTC(2025, 3, 26, 9) + 0.5);
});

test('a metric name seen well-formed before is still checked for its value, and bad names stay refused however often sent (issue 21 name cache)', () => {
  for (let i = 0; i < 3; i++) {
    const good = decodeMessage(`{"temp_${i % 2}":${i}}`, ctx);
    assert.ok(good.ok);
    const bad = decodeMessage(`{"temp_${i % 2}":"hot"}`, ctx);
    assert.ok(!bad.ok);
    assert.equal(bad.rejection.field, `temp_${i % 2}`);
    assert.equal(bad.rejection.rule, 'number');
    const reserved = decodeMessage('{"constructor":1}', ctx);
    assert.ok(!reserved.ok);
    assert.equal(reserved.rejection.rule, 'reserved_name');
    const ill = decodeMessage('{"9lives":1}', ctx);
    assert.ok(!ill.ok);
    assert.equal(ill.rejection.rule, 'metric_name');
  }
});

test('a refusal before the device id is read names the topic device; after, the payload device (issue 21: no closure per message)', () => {
  const noObject = decodeMessage('[1,2]', ctx);
  assert.ok(!noObject.ok);
  assert.equal(noObject.device, 'dev-1');
  const named = decodeMessage('{"device_id":"sensor_9","temperature":"x"}', { ...ctx, device: undefined });
  assert.ok(!named.ok);
  assert.equal(named.device, 'sensor_9');
  const notJson = decodeMessage('{"a":', ctx);
  assert.ok(!notJson.ok);
  assert.equal(notJson.rejection.rule, 'json');
  assert.equal(notJson.device, 'dev-1');
});
