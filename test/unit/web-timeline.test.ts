import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesBuffer } from '../../web/src/state/series-buffer.js';
import { type HistoryPage, bucketStart, mergeHistoryAndLive, panRange, zoomRange } from '../../web/src/state/timeline.js';
import { AlarmStore, ToastQueue, alarmQuery } from '../../web/src/state/alarms.js';
import { filterDevices } from '../../web/src/state/filter.js';
import type { Alarm } from '../../src/model/alarm.js';

/** History of metric v: one bucket per `bucketMs` from `from`, avg = bucket index, min/max ±1. */
function history(from: number, n: number, bucketMs: number, to = from + n * bucketMs): HistoryPage {
  const ts = Array.from({ length: n }, (_, i) => from + i * bucketMs);
  return {
    from,
    to,
    resolution: '1m',
    bucketMs,
    series: { v: { ts, avg: ts.map((_, i) => i), min: ts.map((_, i) => i - 1), max: ts.map((_, i) => i + 1), count: ts.map(() => 60) } },
  };
}

test('live alone: raw rows pass through within the range', () => {
  const b = new SeriesBuffer(100);
  for (let t = 0; t < 10_000; t += 1000) b.push(t, { v: t / 1000 });
  const m = mergeHistoryAndLive(null, b, ['v'], { from: 3000, to: 6000 });
  assert.deepEqual(m.x, [3000, 4000, 5000, 6000]);
  assert.deepEqual(m.avg[0], [3, 4, 5, 6]);
  assert.deepEqual(m.min[0], m.avg[0]);
  assert.ok(Number.isNaN(m.seam));
});

test('history and live make one ascending series: live wins from the first bucket it fully covers', () => {
  const minute = 60_000;
  const h = history(0, 10, minute); // buckets 0..9 min, to = 10 min
  const b = new SeriesBuffer(1000);
  // Live from 8.5 min to 11 min, one reading every 10 s, value 100.
  for (let t = 8.5 * minute; t <= 11 * minute; t += 10_000) b.push(t, { v: 100 });
  const m = mergeHistoryAndLive(h, b, ['v'], { from: 0, to: 11 * minute });
  assert.equal(m.seam, 9 * minute);
  // History buckets 0..8 (the 8-min bucket is only partly live: history keeps it), then live buckets 9, 10, 11.
  assert.deepEqual(
    m.x,
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => i * minute),
  );
  assert.deepEqual(m.avg[0].slice(0, 9), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(m.avg[0].slice(9), [100, 100, 100]);
  assert.ok(
    m.x.every((t, i) => i === 0 || t > m.x[i - 1]),
    'strictly ascending, no duplicate x',
  );
});

test('live rows fold into buckets of the history width with their min, max and mean', () => {
  const bucket = 60_000;
  const h = history(0, 2, bucket, 2 * bucket);
  const b = new SeriesBuffer(100);
  b.push(2 * bucket, { v: 1 });
  b.push(2 * bucket + 1000, { v: 5 });
  b.push(2 * bucket + 2000, { v: 3 });
  b.push(3 * bucket + 500, { v: 7, a: 2 });
  const m = mergeHistoryAndLive(h, b, ['v', 'a'], { from: 0, to: 4 * bucket });
  assert.deepEqual(m.x, [0, bucket, 2 * bucket, 3 * bucket]);
  assert.deepEqual(m.avg[0].slice(2), [3, 7]);
  assert.deepEqual(m.min[0].slice(2), [1, 7]);
  assert.deepEqual(m.max[0].slice(2), [5, 7]);
  // A metric only live has nothing in the history part, and a bucket without it is null.
  assert.deepEqual(m.avg[1], [null, null, null, 2]);
});

test('history that stops short of the live buffer is kept whole; the gap stays a gap', () => {
  const minute = 60_000;
  const h = history(0, 3, minute, 3 * minute);
  const b = new SeriesBuffer(10);
  b.push(10 * minute, { v: 9 });
  const m = mergeHistoryAndLive(h, b, ['v'], { from: 0, to: 11 * minute });
  assert.deepEqual(m.x, [0, minute, 2 * minute, 10 * minute]);
});

test('a 48 h range at 1 Hz stays one point per bucket however much live data there is', () => {
  const hour = 3_600_000;
  const bucketMs = 5 * 60_000;
  const points = (48 * hour) / bucketMs;
  const h = history(0, points, bucketMs);
  const b = new SeriesBuffer(8192);
  const end = 48 * hour;
  for (let t = end - 120_000; t < end + 60_000; t += 100) b.push(t, { v: 1 }); // 10 Hz live
  const m = mergeHistoryAndLive(h, b, ['v'], { from: 0, to: end + 60_000 });
  assert.ok(m.x.length <= points + 2, `${m.x.length} points`);
});

test('bucketStart, zoom and pan', () => {
  assert.equal(bucketStart(125_000, 60_000), 120_000);
  assert.equal(bucketStart(125_000, 0), 125_000);
  // Zooming in around the middle keeps the middle where it was.
  assert.deepEqual(zoomRange({ from: 0, to: 100_000 }, 50_000, 0.5, 1000, 1e9), { from: 25_000, to: 75_000 });
  // Never narrower than the minimum, never past maxTo.
  assert.deepEqual(zoomRange({ from: 0, to: 100_000 }, 50_000, 0.001, 10_000, 1e9), { from: 45_000, to: 55_000 });
  assert.deepEqual(zoomRange({ from: 0, to: 100_000 }, 100_000, 2, 1000, 100_000), { from: -100_000, to: 100_000 });
  assert.deepEqual(panRange({ from: 0, to: 100 }, -0.5, 1000), { from: -50, to: 50 });
  assert.deepEqual(panRange({ from: 0, to: 100 }, 0.5, 120), { from: 20, to: 120 });
});

function alarm(id: number, over: Partial<Alarm> = {}): Alarm {
  return {
    id,
    ruleId: 'r1',
    ruleName: 'hot',
    kind: 'threshold',
    device: 'd1',
    metric: 'v',
    severity: 'major',
    status: 'active_unacked',
    raisedAt: 1000,
    lastAt: 1000,
    count: 1,
    firstValue: 9,
    lastValue: 9,
    clearedAt: null,
    clearedBy: null,
    ackedAt: null,
    ackedBy: null,
    message: 'm',
    ...over,
  };
}

test('AlarmStore: open counts per device with the worst severity; a stale copy does not undo an ack', () => {
  const s = new AlarmStore();
  s.setOpen([alarm(1), alarm(2, { severity: 'critical' }), alarm(3, { device: 'd2', severity: 'minor' })]);
  assert.deepEqual(s.openByDevice().get('d1'), { count: 2, worst: 'critical' });
  assert.deepEqual(s.openByDevice().get('d2'), { count: 1, worst: 'minor' });
  assert.equal(s.upsert([alarm(1, { status: 'active_acked', ackedAt: 5000, ackedBy: 'op' })]), true);
  assert.equal(s.upsert([alarm(1)]), false, 'older copy ignored');
  assert.equal(s.get(1)?.status, 'active_acked');
  s.upsert([alarm(2, { status: 'cleared_unacked', clearedAt: 6000 })]);
  assert.deepEqual(s.openByDevice().get('d1'), { count: 1, worst: 'major' });
  // Markers: alarms whose open time touches the range.
  assert.deepEqual(
    s.forDevice('d1', 5500, 7000).map((a) => a.id),
    [1, 2],
  );
  assert.deepEqual(
    s.forDevice('d1', 6500, 7000).map((a) => a.id),
    [1],
  );
  // A snapshot without an alarm that was open closes it out of the open set.
  s.setOpen([]);
  assert.equal(s.openByDevice().size, 0);
});

test('AlarmStore: a system alarm stored after the outage replaces its provisional copy; origin filter in the query', () => {
  const s = new AlarmStore();
  const sys = { ruleId: 'system:store', device: 'system', kind: 'system' as const, severity: 'critical' as const, raisedAt: 7000, lastAt: 7000 };
  s.upsert([alarm(-1, sys)]);
  assert.deepEqual(s.openByDevice().get('system'), { count: 1, worst: 'critical' });
  s.upsert([alarm(9, { ...sys, status: 'cleared_unacked', clearedAt: 8000 })]);
  assert.equal(s.get(-1), undefined, 'the provisional copy is gone');
  assert.equal(s.openByDevice().get('system'), undefined);
  assert.equal(alarmQuery({ status: 'all', severity: 'all', device: '', from: NaN, to: NaN, origin: 'system' }), 'origin=system&limit=500');
});

test('alarmQuery and ToastQueue', () => {
  assert.equal(
    alarmQuery({ status: 'attention', severity: 'all', device: ' d1 ', from: NaN, to: NaN }),
    'status=active_unacked%2Cactive_acked%2Ccleared_unacked&device=d1&limit=500',
  );
  assert.equal(alarmQuery({ status: 'all', severity: 'critical', device: '', from: 5, to: 9 }, 10), 'severity=critical&from=5&to=9&limit=10');
  const q = new ToastQueue(2, 1000);
  q.push({ severity: 'major', event: 'raised', title: 'a', text: '', alarmId: 1, device: 'd', at: 0 });
  q.push({ severity: 'critical', event: 'raised', title: 'b', text: '', alarmId: 2, device: 'd', at: 0 });
  q.push({ severity: 'minor', event: 'raised', title: 'c', text: '', alarmId: 3, device: 'd', at: 500 });
  assert.deepEqual(
    q.list().map((t) => t.title),
    ['c', 'b'],
  );
  assert.equal(q.collapsed, 1, 'the third is counted, not shown');
  q.expire(1200);
  assert.deepEqual(
    q.list().map((t) => t.title),
    ['c', 'b'],
    'c is young, critical b stays',
  );
  // The pointer moving over the page: nothing leaves by itself (the page would move under it).
  q.expire(2000, true);
  assert.deepEqual(
    q.list().map((t) => t.title),
    ['c', 'b'],
    'held while the pointer moves',
  );
  q.expire(2000);
  assert.deepEqual(
    q.list().map((t) => t.title),
    ['b'],
  );
  assert.equal(q.collapsed, 0);
});

test('ToastQueue: a cleared critical alarm leaves by itself; only a raised critical one stays; the rest collapse into a count', () => {
  const q = new ToastQueue(3, 1000);
  q.push({ severity: 'critical', event: 'raised', title: 'raised', text: '', alarmId: 1, device: 'd', at: 0 });
  q.push({ severity: 'critical', event: 'cleared', title: 'cleared', text: '', alarmId: 1, device: 'd', at: 0 });
  q.push({ severity: 'critical', event: 'auto_cleared', title: 'auto', text: '', alarmId: 2, device: 'd', at: 0 });
  q.push({ severity: 'critical', event: 'acked', title: 'acked', text: '', alarmId: 2, device: 'd', at: 0 });
  assert.equal(q.list().length, 3);
  assert.equal(q.collapsed, 1);
  q.expire(5000);
  assert.deepEqual(
    q.list().map((t) => t.title),
    ['raised'],
  );
  for (let i = 0; i < 10; i++) q.push({ severity: 'critical', event: 'raised', title: `r${i}`, text: '', alarmId: 10 + i, device: 'd', at: 6000 });
  assert.equal(q.list().length, 3, 'at most three on screen');
  assert.equal(q.collapsed, 8);
  q.dismissAll();
  assert.equal(q.list().length + q.collapsed, 0);
});

test('filterDevices: type, location, name and the alarm state', () => {
  const d = (id: string, profile: string, location: string | null, name: string | null) => ({
    id,
    profile,
    location,
    name,
    firstSeen: 0,
    lastSeen: 0,
    online: true,
    latest: {},
  });
  const list = [d('a', 'ina219', 'line 1', 'Pump A'), d('b', 'battery', 'line 2', null), d('c', 'ina219', 'line 2', 'Press')];
  assert.deepEqual(
    filterDevices(list, { query: '', online: 'all', type: 'ina219' }).map((x) => x.id),
    ['a', 'c'],
  );
  assert.deepEqual(
    filterDevices(list, { query: '', online: 'all', location: 'line 2' }).map((x) => x.id),
    ['b', 'c'],
  );
  assert.deepEqual(
    filterDevices(list, { query: 'pump', online: 'all' }).map((x) => x.id),
    ['a'],
  );
  assert.deepEqual(
    filterDevices(list, { query: '', online: 'alarm' }, (id) => (id === 'b' ? 1 : 0)).map((x) => x.id),
    ['b'],
  );
});
