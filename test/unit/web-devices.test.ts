import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceStore } from '../../web/src/state/devices.js';
import type { DeviceInfo } from '../../src/model/device.js';

const info = (over: Partial<DeviceInfo> = {}): DeviceInfo => ({
  id: 'pm-1',
  profile: 'ina219',
  firstSeen: 1000,
  lastSeen: 5000,
  online: true,
  latest: { v: { ts: 5000, value: 5 } },
  ...over,
});

test('live readings update latest values and create unknown devices', () => {
  const s = new DeviceStore();
  let calls = 0;
  s.subscribe(() => calls++);
  assert.equal(s.apply({ type: 'readings', device: 'new-1', ts: 100, seq: 1, values: { v: 5, a: 1 } }, 200), true);
  const d = s.get('new-1')!;
  assert.equal(d.online, true);
  assert.equal(d.lastSeen, 200);
  assert.deepEqual(d.latest, { v: { ts: 100, value: 5 }, a: { ts: 100, value: 1 } });
  assert.equal(calls, 1);
});

test('an older reading does not replace a newer latest value', () => {
  const s = new DeviceStore();
  s.upsert([info()]);
  s.apply({ type: 'readings', device: 'pm-1', ts: 4000, seq: null, values: { v: 4, a: 1 } }, 6000);
  assert.deepEqual(s.get('pm-1')!.latest, { v: { ts: 5000, value: 5 }, a: { ts: 4000, value: 1 } });
});

test('device messages set online state and profile', () => {
  const s = new DeviceStore();
  s.upsert([info()]);
  s.apply({ type: 'device', device: 'pm-1', online: false, lastSeen: 5000, profile: 'ina219' }, 9000);
  assert.equal(s.get('pm-1')!.online, false);
  s.apply({ type: 'device', device: 'other', online: true, lastSeen: 7000, profile: 'battery', created: true }, 9000);
  assert.equal(s.get('other')!.profile, 'battery');
  assert.deepEqual(
    s.list().map((d) => d.id),
    ['other', 'pm-1'],
  );
});

test('unknown message types are ignored', () => {
  const s = new DeviceStore();
  let calls = 0;
  s.subscribe(() => calls++);
  assert.equal(s.apply({ type: 'alarm' }, 1), false);
  assert.equal(s.apply({ type: 'hello' }, 1), false);
  assert.equal(calls, 0);
});

test('a REST snapshot older than live knowledge does not roll values back', () => {
  const s = new DeviceStore();
  s.apply({ type: 'readings', device: 'pm-1', ts: 8000, seq: 3, values: { v: 5.2 } }, 8000);
  s.upsert([info({ lastSeen: 5000, online: false })]);
  const d = s.get('pm-1')!;
  assert.deepEqual(d.latest.v, { ts: 8000, value: 5.2 });
  assert.equal(d.online, true);
  assert.equal(d.lastSeen, 8000);
  assert.equal(d.profile, 'ina219');
});

test('unchanged devices keep their object identity (cheap re-render)', () => {
  const s = new DeviceStore();
  s.upsert([info(), info({ id: 'pm-2' })]);
  const before = s.get('pm-2');
  const list = s.list();
  s.upsert([info({ id: 'pm-2' })]);
  assert.equal(s.get('pm-2'), before);
  assert.equal(s.list(), list);
  s.apply({ type: 'readings', device: 'pm-1', ts: 9000, seq: 4, values: { v: 5.1 } }, 9000);
  assert.equal(s.get('pm-2'), before);
  assert.notEqual(s.list(), list);
});

test('with a frame schedule, a burst of live readings is one notice, and the store is current at once', () => {
  const flushes: (() => void)[] = [];
  const s = new DeviceStore((flush) => flushes.push(flush));
  let calls = 0;
  s.subscribe(() => calls++);
  for (let i = 0; i < 1000; i++) s.apply({ type: 'readings', device: `rack-${i % 100}`, ts: 100 + i, seq: i, values: { v: i } }, 200 + i);
  assert.equal(calls, 0, 'nobody is told before the frame');
  assert.equal(flushes.length, 1, 'one frame asked for, however many readings');
  assert.equal(s.size, 100);
  assert.deepEqual(s.get('rack-7')!.latest.v, { ts: 1007, value: 907 }, 'reads see every reading at once');
  const version = s.version;
  flushes.shift()!();
  assert.equal(calls, 1);
  s.apply({ type: 'readings', device: 'rack-1', ts: 5000, seq: 1, values: { v: 1 } }, 5000);
  assert.equal(flushes.length, 1, 'the next change asks for the next frame');
  assert.ok(s.version > version);
});
