import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import type { Alarm, AlarmEvent, Rule } from '../../src/model/alarm.js';
import type { BacktestResult } from '../../src/alarms/backtest.js';
import { callApi, type ApiAnswer } from '../helpers/api-call.js';

const data = tempDir();
let app = await startTestApp({ dataDir: data.dir });
after(async () => {
  await app.stop();
  data.remove();
});

function api<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  return callApi<T>(app.httpUrl, method, path, body);
}

async function rule(input: Record<string, unknown>): Promise<Rule> {
  const r = await api<Rule>('POST', '/api/v1/rules', { severity: 'major', scope: 'device', ...input });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function send(device: string, readings: Record<string, unknown>[]): Promise<void> {
  const r = await api<{ accepted: number }>('POST', `/api/v1/devices/${device}/telemetry`, readings);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.accepted, readings.length);
  await app.alarms.engine.idle();
}

const alarmsOf = async (device: string, extra = '') => (await api<{ alarms: Alarm[] }>('GET', `/api/v1/alarms?device=${device}${extra}`)).body.alarms;
const T0 = Date.now() - 3600_000;

test('a spike raises once and clears once: no chatter inside the deadband; ack completes the lifecycle', async () => {
  const r = await rule({ name: 'hot', target: 'spike-1', kind: 'threshold', metric: 'temperature', op: '>', value: 40, deadband: 5 });
  const series = [30, 31, 45, 38, 41, 37, 39, 36, 34, 36, 38, 39];
  await send(
    'spike-1',
    series.map((temperature, i) => ({ temperature, ts: T0 + i * 1000, seq: i + 1 })),
  );
  const alarms = await alarmsOf('spike-1');
  assert.equal(alarms.length, 1);
  const a = alarms[0];
  assert.equal(a.status, 'cleared_unacked');
  assert.equal(a.ruleId, r.id);
  assert.equal(a.raisedAt, T0 + 2000);
  assert.equal(a.count, 2, '45 raised it, 41 repeated it');
  assert.equal(a.firstValue, 45);
  assert.equal(a.lastValue, 41);
  assert.equal(a.clearedAt, T0 + 8000, 'clears at 34, the first value at or below 40 - 5');

  const acked = await api<Alarm>('POST', `/api/v1/alarms/${a.id}/ack`, { by: 'ops-anna', comment: 'checked the fan' });
  assert.equal(acked.status, 200);
  assert.equal(acked.body.status, 'cleared_acked');
  assert.equal(acked.body.ackedBy, 'ops-anna');
  const again = await api<{ rule: string; field: string }>('POST', `/api/v1/alarms/${a.id}/ack`, { by: 'ops-anna' });
  assert.equal(again.status, 409);
  const detail = await api<{ alarm: Alarm; events: AlarmEvent[] }>('GET', `/api/v1/alarms/${a.id}`);
  assert.deepEqual(
    detail.body.events.map((e) => [e.type, e.by]),
    [
      ['raised', null],
      ['auto_cleared', null],
      ['acked', 'ops-anna'],
    ],
  );
  assert.equal(detail.body.events[2].comment, 'checked the fan');
});

test('100 concurrent readings over the threshold open exactly one alarm', async () => {
  await rule({ name: 'overcurrent', target: 'burst-1', kind: 'threshold', metric: 'a', op: '>', value: 1, severity: 'critical' });
  await Promise.all(Array.from({ length: 100 }, (_, i) => api('POST', '/api/v1/devices/burst-1/telemetry', { a: 2 + i / 100, ts: T0 + i * 10, seq: i + 1 })));
  await app.alarms.engine.idle();
  const alarms = await alarmsOf('burst-1');
  assert.equal(alarms.length, 1);
  assert.equal(alarms[0].status, 'active_unacked');
  assert.equal(alarms[0].count, 100);
  // The store refuses a second open alarm for the pair whatever the engine does.
  const second = await app.store.alarms.openAlarm({ ...alarms[0], id: undefined } as unknown as Omit<Alarm, 'id'>);
  assert.equal(second.created, false);
  assert.equal((await alarmsOf('burst-1')).length, 1);
  const stats = await api<{ open: number; openBySeverity: Record<string, number> }>('GET', '/api/v1/alarms/stats');
  assert.ok(stats.body.open >= 1);
  assert.ok(stats.body.openBySeverity.critical >= 1);
  const critical = await api<{ alarms: Alarm[] }>('GET', '/api/v1/alarms?status=open&severity=critical');
  assert.ok(critical.body.alarms.some((x) => x.device === 'burst-1'));
});

test('a silent device raises its nodata alarm at last message + T, and clears when data returns', async () => {
  await rule({ name: 'silent', target: 'quiet-1', kind: 'nodata', forMs: 1500 });
  await send('quiet-1', [{ v: 1 }]);
  const lastSeen = app.devices.get('quiet-1')!.lastSeen;
  const [a] = await until(
    async () => {
      const list = await alarmsOf('quiet-1');
      return list.length ? list : undefined;
    },
    { what: 'nodata alarm' },
  );
  assert.equal(a.kind, 'nodata');
  assert.equal(a.status, 'active_unacked');
  assert.equal(a.raisedAt, lastSeen + 1500);
  await send('quiet-1', [{ v: 2 }]);
  const [b] = await alarmsOf('quiet-1');
  assert.equal(b.id, a.id);
  assert.equal(b.status, 'cleared_unacked');
});

test('sequence gaps, rate of change, z-score and L2 norm rules raise on their signals', async () => {
  const gap = await rule({ name: 'lossy link', target: 'kinds-1', kind: 'seqgap', op: '>', value: 5 });
  const rate = await rule({ name: 'fast rise', target: 'kinds-1', kind: 'rate', metric: 'temperature', op: '>', value: 2 });
  const z = await rule({ name: 'outlier', target: 'kinds-1', kind: 'zscore', metric: 'humidity', op: '>', value: 4 });
  const l2 = await rule({ name: 'vector', target: 'kinds-1', kind: 'l2norm', metrics: ['temperature', 'humidity'], op: '>', value: 100 });
  const readings: Record<string, unknown>[] = [];
  for (let i = 0; i < 30; i++) readings.push({ temperature: 20 + (i % 2) * 0.1, humidity: 50 + (i % 3) * 0.2, ts: T0 + i * 1000, seq: i + 1 });
  readings.push({ temperature: 20, humidity: 80, ts: T0 + 30_000, seq: 31 }); // z-score outlier; L2 = 82.5
  readings.push({ temperature: 30, humidity: 50, ts: T0 + 31_000, seq: 40 }); // +10 °C/s, 8 seqs lost
  readings.push({ temperature: 70, humidity: 80, ts: T0 + 41_000, seq: 41 }); // L2 = 106.3
  await send('kinds-1', readings);
  const byRule = new Map((await alarmsOf('kinds-1')).map((a) => [a.ruleId, a]));
  assert.equal(byRule.get(gap.id)?.raisedAt, T0 + 31_000);
  assert.equal(byRule.get(gap.id)?.firstValue, 8);
  assert.equal(byRule.get(rate.id)?.raisedAt, T0 + 31_000);
  assert.equal(byRule.get(rate.id)?.firstValue, 10);
  assert.equal(byRule.get(z.id)?.raisedAt, T0 + 30_000);
  assert.equal(byRule.get(l2.id)?.raisedAt, T0 + 41_000);
  assert.equal(byRule.size, 4);
  const live = await api<{ metrics: Record<string, { current: number; rate: number }>; seqGaps1m: number }>('GET', '/api/v1/devices/kinds-1/stats/live');
  assert.equal(live.body.metrics.temperature.current, 70);
  assert.equal(live.body.metrics.temperature.rate, 4);
  assert.equal(live.body.seqGaps1m, 8);
});

test('backtest over the stored series finds exactly the alarms live evaluation raised', async () => {
  const rules = [
    await rule({
      name: 'band',
      target: 'bt-1',
      kind: 'threshold',
      metric: 'x',
      op: 'outside',
      low: -8,
      high: 8,
      deadband: 1.5,
      onDelayMs: 2000,
      offDelayMs: 1000,
    }),
    await rule({ name: 'bt-z', target: 'bt-1', kind: 'zscore', metric: 'x', op: '>', value: 2.5, clear: { op: '<', value: 1 } }),
    await rule({ name: 'bt-rate', target: 'bt-1', kind: 'rate', metric: 'x', op: 'outside', low: -3, high: 3, deadband: 0.5 }),
  ];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const readings = Array.from({ length: 600 }, (_, i) => ({
    x: Math.round((10 * Math.sin(i / 25) + 4 * rnd() + (i % 97 === 50 ? 25 : 0)) * 100) / 100,
    ts: T0 + i * 500,
    seq: i + 1,
  }));
  for (let i = 0; i < readings.length; i += 50) await send('bt-1', readings.slice(i, i + 50));
  for (const r of rules) {
    const live = (await api<{ alarms: Alarm[] }>('GET', `/api/v1/alarms?device=bt-1&rule=${r.id}`)).body.alarms.reverse();
    const bt = await api<BacktestResult>('POST', `/api/v1/rules/${r.id}/backtest?from=${T0}&to=${T0 + 600 * 500}`);
    assert.equal(bt.status, 200);
    assert.equal(bt.body.readings, 600);
    assert.ok(live.length >= 2, `${r.name}: the series should raise it more than once (got ${live.length})`);
    assert.deepEqual(
      bt.body.alarms.map((a) => [a.raisedAt, a.clearedAt, a.count, a.firstValue, a.lastValue]),
      live.map((a) => [a.raisedAt, a.clearedAt, a.count, a.firstValue, a.lastValue]),
      r.name,
    );
  }
});

test("an unsaved rule's backtest: checked as a create is, the same result as the saved rule's, nothing stored", async () => {
  const readings = Array.from({ length: 400 }, (_, i) => ({ y: Math.round(10 * Math.sin(i / 20) * 100) / 100, ts: T0 + i * 500, seq: i + 1 }));
  for (let i = 0; i < readings.length; i += 100) await send('bt-2', readings.slice(i, i + 100));
  const input = { name: 'unsaved band', severity: 'major', scope: 'device', target: 'bt-2', kind: 'threshold', metric: 'y', op: '>', value: 7, deadband: 1 };
  const range = `from=${T0}&to=${T0 + 400 * 500}`;
  const ids = async () => (await api<{ rules: Rule[] }>('GET', '/api/v1/rules')).body.rules.map((r) => r.id).sort();
  const before = await ids();

  const preview = await api<BacktestResult>('POST', `/api/v1/rules/backtest?${range}`, input);
  assert.equal(preview.status, 200, JSON.stringify(preview.body));
  assert.equal(preview.body.ruleId, 'unsaved');
  assert.equal(preview.body.readings, 400);
  assert.ok(preview.body.alarms.length >= 2, `a sine over 7 raises more than once (got ${preview.body.alarms.length})`);
  // Refused as POST /api/v1/rules refuses: by the rule checks (field, rule) and by the schema.
  const order = await api<{ field: string; rule: string }>('POST', `/api/v1/rules/backtest?${range}`, { ...input, op: 'outside', low: 10, high: 5 });
  assert.deepEqual([order.status, order.body.field, order.body.rule], [400, 'low', 'order']);
  const severity = await api<{ rule: string }>('POST', `/api/v1/rules/backtest?${range}`, { ...input, severity: 'fatal' });
  assert.deepEqual([severity.status, severity.body.rule], [400, 'enum']);
  assert.deepEqual(await ids(), before, 'a preview leaves no rule behind');
  assert.equal((await alarmsOf('bt-2')).filter((a) => a.ruleId === 'unsaved').length, 0);

  const saved = await rule(input);
  const bt = await api<BacktestResult>('POST', `/api/v1/rules/${saved.id}/backtest?${range}`);
  assert.equal(bt.status, 200);
  assert.deepEqual({ ...preview.body, ruleId: saved.id }, bt.body, "the preview is the saved rule's backtest");
});

test('an operator clear latches until the condition clears; bad rules are refused with field and rule', async () => {
  await rule({ name: 'latch', target: 'latch-1', kind: 'threshold', metric: 'p', op: '>', value: 10 });
  await send('latch-1', [{ p: 12, ts: T0 }]);
  const [a] = await alarmsOf('latch-1');
  const cleared = await api<Alarm>('POST', `/api/v1/alarms/${a.id}/clear`, { by: 'ops-ben', comment: 'known, valve replaced tomorrow' });
  assert.equal(cleared.body.status, 'cleared_unacked');
  await send('latch-1', [{ p: 13, ts: T0 + 1000 }]);
  assert.equal((await alarmsOf('latch-1')).length, 1, 'still over the limit: no new alarm after a manual clear');
  await send('latch-1', [
    { p: 5, ts: T0 + 2000 },
    { p: 14, ts: T0 + 3000 },
  ]);
  assert.equal((await alarmsOf('latch-1')).length, 2, 're-armed once the clear condition was seen');

  const bad = await api<{ field: string; rule: string }>('POST', '/api/v1/rules', {
    name: 'x',
    severity: 'minor',
    scope: 'all',
    kind: 'threshold',
    metric: 'v',
    op: 'outside',
    low: 5,
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.field, 'high');
  const bad2 = await api<{ field: string; rule: string }>('POST', '/api/v1/rules', {
    name: 'x',
    severity: 'fatal',
    scope: 'all',
    kind: 'threshold',
    metric: 'v',
    value: 1,
  });
  assert.equal(bad2.status, 400);
  assert.equal(bad2.body.rule, 'enum');
});

test('an on-delay timer survives a restart', async () => {
  await rule({ name: 'sustained', target: 'delay-1', kind: 'threshold', metric: 't', op: '>', value: 50, onDelayMs: 10_000 });
  await send('delay-1', [
    { t: 60, ts: T0 },
    { t: 61, ts: T0 + 4000 },
  ]);
  assert.equal((await alarmsOf('delay-1')).length, 0, 'pending, not yet raised');
  await app.stop();
  app = await startTestApp({ dataDir: data.dir });
  await send('delay-1', [{ t: 62, ts: T0 + 10_000 }]);
  const [a] = await alarmsOf('delay-1');
  assert.ok(a, 'raised 10 s after the condition began, across the restart');
  assert.equal(a.raisedAt, T0 + 10_000);
  const rules = await api<{ rules: Rule[] }>('GET', '/api/v1/rules');
  assert.ok(rules.body.rules.some((r) => r.name === 'sustained'));
});

test("the simulator's injected faults: a spike raises and clears once, dropout trips the gap rule, offline trips nodata", async () => {
  const { startSimulator } = await import('../../src/sim/simulator.js');
  const sim = await startSimulator({ brokerUrl: app.mqttUrl, devices: 1, kinds: ['factory'], prefix: 'simrule-', rateHz: 20, seed: 3 });
  try {
    const id = sim.devices[0].id;
    await until(() => app.devices.get(id), { what: 'sim device online' });
    const spike = await rule({ name: 'sim spike', target: id, kind: 'threshold', metric: 'temperature', op: '>', value: 45, deadband: 3 });
    const gaps = await rule({ name: 'sim gaps', target: id, kind: 'seqgap', op: '>', value: 5 });
    const silent = await rule({ name: 'sim offline', target: id, kind: 'nodata', forMs: 1000 });
    const byRule = async (r: Rule) => (await api<{ alarms: Alarm[] }>('GET', `/api/v1/alarms?device=${id}&rule=${r.id}`)).body.alarms;

    sim.inject(id, { type: 'spike', metric: 'temperature', magnitude: 40, count: 1 });
    const [s] = await until(
      async () => {
        const l = await byRule(spike);
        return l.length && l[0].status === 'cleared_unacked' ? l : undefined;
      },
      { what: 'spike raised and cleared' },
    );
    assert.equal(s.count, 1);

    sim.inject(id, { type: 'dropout', count: 8 });
    const [g] = await until(
      async () => {
        const l = await byRule(gaps);
        return l.length ? l : undefined;
      },
      { what: 'gap alarm' },
    );
    assert.equal(g.firstValue, 8);

    sim.inject(id, { type: 'offline', durationMs: 2500 });
    const [o] = await until(
      async () => {
        const l = await byRule(silent);
        return l.length ? l : undefined;
      },
      { what: 'offline alarm' },
    );
    assert.equal(o.kind, 'nodata');
    await until(async () => (await byRule(silent))[0].status === 'cleared_unacked', { what: 'offline alarm cleared on reconnect', timeoutMs: 15_000 });
    assert.equal((await byRule(spike)).length, 1, 'the spike never chattered');
  } finally {
    await sim.stop();
  }
});
