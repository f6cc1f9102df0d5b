// The device page's and the OTA screen's own checks (web/src/tasks/registry-checks.ts) say what the
// API's schemas say: a list or tags refused in the browser are refused by the API under the same
// rule, and what the browser lets through the schema takes. The device store takes a device as a
// change's answer gives it (a profile unbound stays unbound) and forgets a removed one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { RolloutInputSchema } from '../../src/model/schemas/fleet.js';
import { atListInput, deviceListErrors, splitDevices, splitTags, tagErrors } from '../../web/src/tasks/registry-checks.js';
import { DeviceStore } from '../../web/src/state/devices.js';
import type { DeviceInfo } from '../../src/model/device.js';

test('a device list is checked as the rollout schema checks it', () => {
  const lists: Record<string, string[]> = {
    good: splitDevices('rack-01, rack-02\n rack-03:a'),
    twice: splitDevices('rack-01 rack-02 rack-01'),
    badId: splitDevices('rack-01, -bad'),
    tooLong: [`r${'x'.repeat(128)}`],
    empty: splitDevices(' , '),
    tooMany: Array.from({ length: 10_001 }, (_, i) => `d${i}`),
    justEnough: Array.from({ length: 10_000 }, (_, i) => `d${i}`),
  };
  assert.deepEqual(lists.good, ['rack-01', 'rack-02', 'rack-03:a']);
  const expected: Record<string, string | undefined> = {
    good: undefined,
    twice: 'uniqueItems',
    badId: 'pattern',
    tooLong: 'pattern',
    empty: 'required',
    tooMany: 'maxItems',
    justEnough: undefined,
  };
  for (const [name, devices] of Object.entries(lists)) {
    const browser = deviceListErrors(devices).devices?.rule;
    assert.equal(browser, expected[name], name);
    const schemaTakes = Value.Check(RolloutInputSchema, { devices, concurrency: 2 });
    // An empty list is not sent at all (the input is required); the schema refuses it as minItems.
    assert.equal(schemaTakes, browser === undefined, `${name}: the schema ${schemaTakes ? 'takes' : 'refuses'} it`);
  }
});

test('tags: split on commas, at most 64 of at most 64 characters', () => {
  assert.deepEqual(splitTags(' line 2, critical ,, '), ['line 2', 'critical']);
  assert.deepEqual(tagErrors(Array.from({ length: 64 }, (_, i) => `t${i}`)), {});
  assert.equal(tagErrors(Array.from({ length: 65 }, (_, i) => `t${i}`)).tags?.rule, 'maxItems');
  assert.equal(tagErrors(['x'.repeat(65)]).tags?.rule, 'maxLength');
  assert.deepEqual(tagErrors(['x'.repeat(64)]), {});
});

test("a refusal at one item of a list is shown at the list's input", () => {
  const moved = atListInput({ fields: { 'devices.3': { rule: 'pattern', message: 'm' }, concurrency: { rule: 'minimum' } }, form: null }, 'devices');
  assert.deepEqual(moved.fields, { devices: { rule: 'pattern', message: 'm' }, concurrency: { rule: 'minimum' } });
});

test('the device store takes a changed device whole and forgets a removed one', () => {
  const d: DeviceInfo = { id: 'pm-1', profile: 'ina219', firstSeen: 1, lastSeen: 5, online: true, latest: { v: { ts: 5, value: 5 } }, name: null };
  const s = new DeviceStore();
  let told = 0;
  s.subscribe(() => told++);
  s.upsert([d]);
  // A list snapshot never unbinds a profile (a live message may know better); the answer to a change does.
  s.upsert([{ ...d, profile: null }]);
  assert.equal(s.get('pm-1')?.profile, 'ina219');
  s.apply({ type: 'readings', device: 'pm-1', ts: 9, seq: 2, values: { v: 6 } }, 9);
  s.put({ ...d, profile: null, name: 'Pump 3' });
  assert.deepEqual([s.get('pm-1')?.profile, s.get('pm-1')?.name, s.get('pm-1')?.latest.v], [null, 'Pump 3', { ts: 9, value: 6 }], 'newer live value kept');
  s.upsert([{ ...d, id: 'pm-2' }]);
  s.remove('pm-1');
  assert.equal(s.get('pm-1'), undefined);
  assert.deepEqual(
    s.list().map((x) => x.id),
    ['pm-2'],
  );
  assert.equal(s.size, 1);
  assert.ok(told >= 5);
});
