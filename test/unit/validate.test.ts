import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateMessage } from '../../src/pipeline/validate.js';
import type { Message } from '../../src/model/reading.js';
import type { Profile } from '../../src/model/device.js';

const ina219: Profile = {
  name: 'ina219',
  metrics: { v: { min: 0, max: 32 }, a: { min: -3.2, max: 3.2 }, w: {} },
  outOfRange: 'reject',
  unknownMetrics: 'flag',
};
const msg = (values: Record<string, number>): Message => ({ device: 'd1', ts: 1, values, source: 'mqtt', receivedAt: 1 });

test('an out-of-range reading is refused with field and rule, the rest of the message kept', () => {
  const v = validateMessage(msg({ v: 5, a: 9.9, w: 1 }), ina219);
  assert.deepEqual(v.message?.values, { v: 5, w: 1 });
  assert.equal(v.rejections.length, 1);
  assert.equal(v.rejections[0].field, 'a');
  assert.equal(v.rejections[0].rule, 'range');
  assert.match(v.rejections[0].message, /outside \[-3.2, 3.2\]/);
});

test('unknown metrics are flagged (kept) or refused as the profile says', () => {
  const flagged = validateMessage(msg({ v: 5, extra: 1 }), ina219);
  assert.deepEqual(flagged.message?.values, { v: 5, extra: 1 });
  assert.deepEqual(
    flagged.flags.map((f) => [f.field, f.rule]),
    [['extra', 'unknown_metric']],
  );
  const strict = validateMessage(msg({ v: 5, extra: 1 }), { ...ina219, unknownMetrics: 'reject' });
  assert.deepEqual(strict.message?.values, { v: 5 });
  assert.deepEqual(
    strict.rejections.map((f) => [f.field, f.rule]),
    [['extra', 'unknown_metric']],
  );
  const open = validateMessage(msg({ v: 5, extra: 1 }), { ...ina219, unknownMetrics: 'accept' });
  assert.equal(open.flags.length + open.rejections.length, 0);
});

test('outOfRange: flag keeps the value and says why', () => {
  const v = validateMessage(msg({ v: 40 }), { ...ina219, outOfRange: 'flag' });
  assert.deepEqual(v.message?.values, { v: 40 });
  assert.deepEqual(
    v.flags.map((f) => [f.field, f.rule]),
    [['v', 'range']],
  );
});

test('a message whose every reading is refused yields no message; no profile means no checks', () => {
  const v = validateMessage(msg({ a: -10 }), ina219);
  assert.equal(v.message, null);
  assert.equal(v.rejections.length, 1);
  const none = validateMessage(msg({ a: -10 }), undefined);
  assert.deepEqual(none.message?.values, { a: -10 });
});

test('a metric named like an Object prototype key is still unknown', () => {
  const v = validateMessage(msg({ constructor: 1, v: 1 }), { ...ina219, unknownMetrics: 'reject' });
  assert.deepEqual(
    v.rejections.map((r) => r.field),
    ['constructor'],
  );
});
