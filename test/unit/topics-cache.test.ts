import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeviceTopic } from '../../src/model/topics.js';

test('parseDeviceTopic: the same answer from the cache as parsed, past the cache bound too', () => {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 25_000; i++) {
      const t = parseDeviceTopic(`devices/d-${i}/telemetry`);
      assert.equal(t?.device, `d-${i}`);
      assert.equal(t?.kind, 'telemetry');
    }
  }
  assert.deepEqual(parseDeviceTopic('devices/x/commands/ack'), { device: 'x', kind: 'commands/ack' });
  assert.equal(parseDeviceTopic('devices/x/other'), null);
  assert.equal(parseDeviceTopic('devices/x/other'), null);
  assert.equal(parseDeviceTopic('devices//telemetry'), null);
});

test('parseDeviceTopic: a shared answer cannot be changed by one caller for the next', () => {
  const a = parseDeviceTopic('devices/frozen-1/state')!;
  assert.throws(() => {
    (a as { device: string }).device = 'other';
  }, TypeError);
  assert.equal(parseDeviceTopic('devices/frozen-1/state')!.device, 'frozen-1');
});
