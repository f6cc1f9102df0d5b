// The alarm engine on its own, over a real SQLite store and real analytics: raise once, repeat,
// clear, ack, silence (nodata) on a clock the test moves, and a restart that picks up open alarms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { AlarmEngine, type AlarmChange, type DeviceDirectory } from '../../src/alarms/engine.js';
import { Analytics } from '../../src/analytics/live-stats.js';
import { silentLogger } from '../../src/logger.js';
import type { Message } from '../../src/model/reading.js';

const T0 = Date.UTC(2025, 0, 1);
const msg = (device: string, seq: number, temperature: number): Message => ({
  device,
  seq,
  ts: T0 + seq * 1000,
  values: { temperature },
  source: 'mqtt',
  receivedAt: T0 + seq * 1000,
});

async function rig(t: { after(fn: () => unknown): void }, store?: SqliteStore) {
  const db = store ?? new SqliteStore({ path: ':memory:' });
  if (!store) await db.open();
  const clock = { now: T0 };
  const known = new Map<string, { profile: string | null; lastSeen: number }>();
  // Counted: the silence sweep must not list devices it has no rule for (10,000 devices took the main thread).
  const calls = { list: 0, each: 0 };
  const entries = () => [...known].map(([id, d]) => ({ id, ...d }));
  const devices: DeviceDirectory = { get: (id) => known.get(id), list: () => (calls.list++, entries()), each: () => (calls.each++, entries()) };
  const engine = new AlarmEngine({
    store: db.alarms,
    analytics: new Analytics({ vectors: {}, zWindowMs: 60_000 }),
    devices,
    logger: silentLogger(),
    now: () => clock.now,
    sweepMs: 3_600_000,
  });
  await engine.start();
  const changes: string[] = [];
  engine.onChange((c: AlarmChange) => changes.push(`${c.type} ${c.alarm.device}`));
  t.after(() => engine.stop());
  return { db, engine, changes, clock, known, calls };
}

test('alarm engine: a threshold raises once, counts repeats, clears inside the deadband, and ack closes it', async (t) => {
  const r = await rig(t);
  await r.engine.createRule({
    name: 'hot',
    severity: 'major',
    scope: 'device',
    target: 'oven',
    kind: 'threshold',
    metric: 'temperature',
    op: '>',
    value: 40,
    deadband: 5,
  });
  r.engine.observe([msg('oven', 1, 30), msg('oven', 2, 45), msg('oven', 3, 41), msg('oven', 4, 38), msg('oven', 5, 34)]);
  await r.engine.idle();
  assert.deepEqual(r.changes, ['raised oven', 'auto_cleared oven']);
  const [a] = await r.db.alarms.listAlarms({ device: 'oven', limit: 10 });
  assert.equal(a.count, 2);
  assert.equal(a.raisedAt, T0 + 2000);
  assert.equal(a.clearedAt, T0 + 5000, '38 is inside the deadband; 34 clears');
  const acked = await r.engine.ack(a.id, 'anna', 'checked');
  assert.equal(acked.status, 'cleared_acked');
  assert.deepEqual(r.changes.at(-1), 'acked oven');
});

test('alarm engine: a rule for one device leaves others alone; with no rules, observing stores nothing', async (t) => {
  const r = await rig(t);
  r.engine.observe([msg('free', 1, 99)]);
  await r.engine.idle();
  await r.engine.createRule({ name: 'hot', severity: 'minor', scope: 'device', target: 'a', kind: 'threshold', metric: 'temperature', op: '>', value: 40 });
  r.engine.observe([msg('b', 1, 99)]);
  await r.engine.idle();
  assert.deepEqual(r.changes, []);
  assert.deepEqual(await r.db.alarms.listAlarms({ limit: 10 }), []);
});

test('alarm engine: silence past forMs raises a nodata alarm; an open alarm survives a restart of the engine', async (t) => {
  const r = await rig(t);
  await r.engine.createRule({ name: 'quiet', severity: 'warning', scope: 'device', target: 'pump', kind: 'nodata', forMs: 60_000 });
  r.known.set('pump', { profile: null, lastSeen: T0 });
  r.clock.now = T0 + 30_000;
  r.engine.checkSilence();
  await r.engine.idle();
  assert.deepEqual(r.changes, [], 'not yet silent long enough');
  r.clock.now = T0 + 61_000;
  r.engine.checkSilence();
  await r.engine.idle();
  assert.deepEqual(r.changes, ['raised pump']);
  await r.engine.stop();

  const again = await rig(t, r.db);
  assert.deepEqual(
    again.engine.openAlarms().map((a) => a.device),
    ['pump'],
  );
  again.known.set('pump', { profile: null, lastSeen: T0 });
  again.clock.now = T0 + 120_000;
  again.engine.checkSilence();
  await again.engine.idle();
  assert.deepEqual(again.changes, [], 'still the same alarm: not raised twice');
});

test('alarm engine: with no rules, committed messages still reach the live windows exactly as a direct observe, profile from the directory', async (t) => {
  const { engine, known } = await rig(t);
  known.set('p1', { profile: 'pump', lastSeen: T0 });
  const direct = new Analytics({ vectors: {}, zWindowMs: 60_000 });
  const batch = [msg('p1', 1, 20), msg('p1', 2, 25), msg('p2', 1, 5), msg('p1', 4, 21)];
  engine.observe(batch);
  for (const m of batch) direct.observe({ device: m.device, ts: m.ts, seq: m.seq, profile: m.device === 'p1' ? 'pump' : null, values: m.values });
  const analytics = (engine as unknown as { opts: { analytics: Analytics } }).opts.analytics;
  assert.deepEqual(analytics.get('p1'), direct.get('p1'));
  assert.deepEqual(analytics.get('p2'), direct.get('p2'));
  assert.equal(analytics.get('p1')!.seqGaps1m, 1);
  assert.equal(analytics.get('p1')!.metrics.temperature.count1m, 3);
});

test('alarm engine: the silence sweep lists no device while no nodata rule is enabled, and reads the directory uncopied once one is', async (t) => {
  const { engine, changes, clock, known, calls } = await rig(t);
  for (let i = 0; i < 100; i++) known.set(`d${i}`, { profile: null, lastSeen: T0 });
  clock.now = T0 + 120_000;
  engine.checkSilence();
  await engine.idle();
  assert.deepEqual(calls, { list: 0, each: 0 }, 'no silence rule: the devices are not listed');
  const input = { name: 'quiet', severity: 'warning', scope: 'device', target: 'd7', kind: 'nodata', forMs: 60_000 } as const;
  const rule = await engine.createRule(input);
  engine.checkSilence();
  await engine.idle();
  assert.deepEqual(calls, { list: 0, each: 1 });
  assert.deepEqual(changes, ['raised d7']);
  await engine.updateRule(rule.id, { ...input, enabled: false });
  engine.checkSilence();
  await engine.idle();
  assert.deepEqual(calls, { list: 0, each: 1 }, 'a disabled silence rule lists nothing either');
});

test('alarm engine: silence checks of the whole fleet queue one sweep at a time; a device reported offline is checked alone', async (t) => {
  const { engine, changes, clock, known, calls } = await rig(t);
  for (let i = 0; i < 1000; i++) known.set(`d${i}`, { profile: null, lastSeen: T0 + 100_000 });
  known.set('late', { profile: null, lastSeen: T0 });
  await engine.createRule({ name: 'quiet', severity: 'warning', scope: 'all', kind: 'nodata', forMs: 60_000 });
  clock.now = T0 + 61_000;
  // A thousand devices reported offline in one turn used to queue a thousand sweeps of every device.
  for (let i = 0; i < 1000; i++) engine.checkSilence();
  await engine.idle();
  assert.deepEqual(calls, { list: 0, each: 1 }, 'one sweep listed the devices once');
  assert.deepEqual(changes, ['raised late']);
  // Once that sweep has started, a new check queues the next one.
  engine.checkSilence();
  await engine.idle();
  assert.equal(calls.each, 2);

  // One device reported offline: only it is looked at (the directory is not listed), and it raises.
  known.set('gone', { profile: null, lastSeen: T0 });
  engine.checkSilence({ id: 'gone', profile: null, lastSeen: T0 });
  await engine.idle();
  assert.equal(calls.each, 2, 'the directory was not listed for one device');
  assert.deepEqual(changes, ['raised late', 'raised gone']);
  // A device that spoke within the limit is left alone.
  engine.checkSilence({ id: 'd1', profile: null, lastSeen: T0 + 100_000 });
  await engine.idle();
  assert.deepEqual(changes, ['raised late', 'raised gone']);
});

test('alarm engine: devices no rule covers are folded in quietly, in commit order with judged ones, exactly as a direct observe', async (t) => {
  const { engine, known, changes } = await rig(t);
  known.set('p1', { profile: 'pump', lastSeen: T0 });
  await engine.createRule({ name: 'hot', severity: 'minor', scope: 'device', target: 'oven', kind: 'threshold', metric: 'temperature', op: '>', value: 40 });
  await engine.createRule({
    name: 'pump hot',
    severity: 'minor',
    scope: 'profile',
    target: 'pump',
    kind: 'threshold',
    metric: 'temperature',
    op: '>',
    value: 90,
  });
  const direct = new Analytics({ vectors: {}, zWindowMs: 60_000 });
  const batch = [msg('free', 1, 99), msg('oven', 1, 45), msg('p1', 1, 95), msg('free', 3, 20), msg('oven', 2, 30), msg('free', 4, 21)];
  engine.observe(batch);
  for (const m of batch) direct.observe({ device: m.device, ts: m.ts, seq: m.seq, profile: m.device === 'p1' ? 'pump' : null, values: m.values });
  await engine.idle();
  const analytics = (engine as unknown as { opts: { analytics: Analytics } }).opts.analytics;
  for (const d of ['free', 'oven', 'p1']) assert.deepEqual(analytics.get(d), direct.get(d), d);
  assert.equal(analytics.get('free')!.seqGaps1m, 1);
  assert.deepEqual(changes, ['raised oven', 'raised p1', 'auto_cleared oven'], 'the covered devices are judged; 99 from an uncovered device raises nothing');
});

test('alarm engine: a rule created and still queued judges the messages observed behind it, as when the queue decided', async (t) => {
  const { engine, changes } = await rig(t);
  await engine.createRule({
    name: 'other',
    severity: 'minor',
    scope: 'device',
    target: 'elsewhere',
    kind: 'threshold',
    metric: 'temperature',
    op: '>',
    value: 40,
  });
  // Not awaited: the rule is saved in the queue, after which these messages are judged.
  const created = engine.createRule({
    name: 'hot',
    severity: 'minor',
    scope: 'device',
    target: 'oven',
    kind: 'threshold',
    metric: 'temperature',
    op: '>',
    value: 40,
  });
  engine.observe([msg('oven', 1, 45)]);
  await created;
  await engine.idle();
  assert.deepEqual(changes, ['raised oven']);
  // Deleted while queued: the messages behind the deletion are no longer judged by it.
  const deleted = engine.deleteRule((await created).id);
  engine.observe([msg('oven', 2, 30)]);
  await deleted;
  await engine.idle();
  assert.deepEqual(changes, ['raised oven', 'cleared oven']);
});
