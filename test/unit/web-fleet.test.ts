import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceStatus, groupDevices, primaryMetric, sortDevices } from '../../web/src/state/fleet.js';
import type { DeviceRow } from '../../web/src/state/filter.js';
import type { Profile } from '../../src/model/device.js';

const profile: Profile = { name: 'battery', metrics: { fault: { labels: { '0': 'ok' } }, voltage: { min: 0, max: 3, warnLow: 1.9, warnHigh: 2.35 } } };
const dev = (id: string, v: number, online = true, extra: Partial<DeviceRow> = {}): DeviceRow => ({
  id,
  profile: 'battery',
  online,
  firstSeen: 0,
  lastSeen: 0,
  latest: { voltage: { ts: 1, value: v } },
  ...extra,
});

test('deviceStatus: open alarms and out-of-range values first, then warnings, offline, normal', () => {
  assert.equal(deviceStatus(dev('a', 2.1), profile, 1), 'alarm');
  assert.equal(deviceStatus(dev('a', 3.5), profile, 0), 'alarm');
  assert.equal(deviceStatus(dev('a', 2.4), profile, 0), 'warning');
  assert.equal(deviceStatus(dev('a', 2.1, false), profile, 0), 'offline');
  assert.equal(deviceStatus(dev('a', 2.1), profile, 0), 'normal');
});

test('primaryMetric skips enum metrics', () => {
  assert.equal(primaryMetric(dev('a', 2), profile), 'voltage');
  assert.equal(primaryMetric({ ...dev('a', 2), latest: {} }, undefined), null);
});

test('sortDevices by status, alarms and completeness (unknown last), ties by id', () => {
  const rows = [dev('c', 2.1), dev('a', 2.4), dev('b', 3.5), dev('d', 2.1, false)];
  const alarms: Record<string, number> = { c: 2, a: 0, b: 1, d: 0 };
  const comp: Record<string, number> = { a: 0.5, b: 1, c: NaN, d: 0.9 };
  const ctx = { status: (d: DeviceRow) => deviceStatus(d, profile, 0), alarms: (id: string) => alarms[id], completeness: (id: string) => comp[id] };
  assert.deepEqual(
    sortDevices(rows, { key: 'status', dir: -1 }, ctx).map((d) => d.id),
    ['b', 'a', 'd', 'c'],
  );
  assert.deepEqual(
    sortDevices(rows, { key: 'alarms', dir: -1 }, ctx).map((d) => d.id),
    ['c', 'b', 'a', 'd'],
  );
  assert.deepEqual(
    sortDevices(rows, { key: 'completeness', dir: 1 }, ctx).map((d) => d.id),
    ['a', 'd', 'b', 'c'],
  );
  assert.deepEqual(
    sortDevices(rows, { key: 'completeness', dir: -1 }, ctx).map((d) => d.id),
    ['b', 'd', 'a', 'c'],
  );
});

test('groupDevices rolls the worst status up and puts the unassigned last', () => {
  const rows = [
    dev('a', 2.1, true, { attributes: { site: 'Seoul' } }),
    dev('b', 3.5, true, { attributes: { site: 'Seoul' } }),
    dev('c', 2.1, false, { location: 'Busan' }),
    dev('d', 2.1, true, { equipment: 'rack-1' }),
  ];
  const g = groupDevices(
    rows,
    'site',
    (d) => deviceStatus(d, profile, 0),
    () => 0,
  );
  assert.deepEqual(
    g.map((x) => [x.key, x.status, x.online, x.devices.length]),
    [
      ['Busan', 'offline', 0, 1],
      ['Seoul', 'alarm', 2, 2],
      ['', 'normal', 1, 1],
    ],
  );
  const e = groupDevices(
    rows,
    'equipment',
    (d) => deviceStatus(d, profile, 0),
    (id) => (id === 'd' ? 3 : 0),
  );
  assert.equal(e[0].key, 'rack-1');
  assert.equal(e[0].alarms, 3);
});

test('FleetHistory: rows that come into view together cost one request, and their answers one notice per scheduled frame', async () => {
  const { FleetHistory } = await import('../../web/src/state/fleet-history.js');
  const asked: { ids: string[]; metrics: string[]; completeness?: boolean }[] = [];
  const api = {
    getBucketsMany: async (ids: string[], q: { metrics: string[]; completeness?: boolean }) => {
      asked.push({ ids, metrics: q.metrics, completeness: q.completeness });
      return {
        devices: Object.fromEntries(
          ids.map((id) => [
            id,
            { series: { [q.metrics[0]]: { ts: [1, 2], avg: [3, 4] } }, completeness: { expected: 60, received: 30, missing: 30, ratio: 0.5 } },
          ]),
        ),
      };
    },
  };
  const frames: (() => void)[] = [];
  const h = new FleetHistory(
    api as never,
    () => 10_000_000,
    2,
    60_000,
    (flush) => frames.push(flush),
  );
  let notices = 0;
  h.subscribe(() => notices++);
  for (let i = 0; i < 12; i++) h.want(`rack-${i}`, 'voltage');
  h.want('rack-3', 'voltage');
  for (let i = 0; i < 500 && h.get('rack-11') === undefined; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(asked.length, 1, 'one request for the twelve rows');
  assert.deepEqual(
    asked[0].ids,
    Array.from({ length: 12 }, (_, i) => `rack-${i}`),
  );
  assert.deepEqual(asked[0].metrics, ['voltage']);
  assert.equal(asked[0].completeness, true);
  assert.equal(h.get('rack-11')?.completeness, 0.5);
  assert.deepEqual(h.get('rack-0')?.spark, { ts: [1, 2], values: [3, 4] });
  assert.equal(notices, 0, 'nothing told before the frame');
  assert.equal(frames.length, 1, 'one frame asked for all twelve answers');
  frames.shift()!();
  assert.equal(notices, 1);
  assert.equal(h.version, 12);
  // Fresh: not asked again.
  h.want('rack-5', 'voltage');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(asked.length, 1);
});

test('FleetHistory: a row that leaves the screen before its turn is not asked for; at most maxEntries devices are kept', async () => {
  const { FleetHistory } = await import('../../web/src/state/fleet-history.js');
  const asked: string[][] = [];
  const release: (() => void)[] = [];
  const api = {
    getBucketsMany: async (ids: string[]) => {
      asked.push(ids);
      await new Promise<void>((r) => release.push(r));
      return { devices: Object.fromEntries(ids.map((id) => [id, { series: {} }])) };
    },
  };
  const h = new FleetHistory(
    api as never,
    () => 10_000_000,
    1,
    60_000,
    (f) => f(),
    5,
  );
  h.want('a', 'v');
  for (let i = 0; i < 500 && asked.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  // While the first request is in flight, three rows come and one of them goes.
  for (const id of ['b', 'c', 'd']) h.want(id, 'v');
  h.forget('c');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(asked, [['a']]);
  release.shift()!();
  for (let i = 0; i < 500 && asked.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(asked[1], ['b', 'd'], 'the rows left waiting go in one request, the one gone is not asked for');
  release.shift()!();
  for (let i = 0; i < 500 && h.get('d') === undefined; i++) await new Promise((r) => setTimeout(r, 5));
  for (const id of ['e', 'f', 'g', 'h']) h.want(id, 'v');
  for (let i = 0; i < 500 && release.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  release.shift()!();
  for (let i = 0; i < 500 && h.get('h') === undefined; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(h.size, 5, 'at most five kept');
  assert.equal(h.get('a'), undefined, 'the oldest dropped first');
  assert.ok(h.get('h'));
});
