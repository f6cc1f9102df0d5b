import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, tempDir, until } from '../helpers/app.js';

// Alarms out of the box: each shipped profile brings its rules, enabled on the first start,
// editable and removable like any rule; enum metrics say what their values mean.

interface Alarm {
  id: number;
  raisedAt: number;
  ruleId: string;
  device: string;
  message: string;
  status: string;
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('rule packs: installed once, they raise on seed signals; a removed pack rule stays removed after a restart', async (t) => {
  const data = tempDir();
  t.after(() => data.remove());
  let app = await startTestApp({ dataDir: data.dir });
  const rules = (await (await fetch(`${app.httpUrl}/api/v1/rules`)).json()) as { rules: { id: string; enabled: boolean; scope: string; target: string }[] };
  const ids = rules.rules.map((r) => r.id).sort();
  for (const id of [
    'pack:battery:voltage',
    'pack:battery:nodata',
    'pack:factory:l2-anomaly',
    'pack:ina219:w-zscore',
    'pack:vibration:fault',
    'pack:vibration:nodata',
  ])
    assert.ok(ids.includes(id), id);
  assert.ok(rules.rules.every((r) => r.enabled && r.scope === 'profile'));

  const base = Date.now() - 120_000;
  const alarmsOf = async (device: string) => ((await (await fetch(`${app.httpUrl}/api/v1/alarms?device=${device}`)).json()) as { alarms: Alarm[] }).alarms;

  // Seed 004: fault_type 3 held for 10 s of data time raises, and the message says what 3 means.
  await post(
    `${app.httpUrl}/api/v1/devices/rig-1/telemetry`,
    Array.from({ length: 14 }, (_, i) => ({ profile: 'vibration', ts: base + i * 1000, fault_type: i < 2 ? 0 : 3, normal: 0.1 })),
  );
  const fault = await until(async () => (await alarmsOf('rig-1')).find((a) => a.ruleId === 'pack:vibration:fault'), { what: 'fault alarm' });
  assert.match(fault.message, /unbalance \+ looseness/);

  // Seed 001: a power spike far outside the last minutes' spread.
  const steady = Array.from({ length: 40 }, (_, i) => ({ profile: 'ina219', ts: base + i * 1000, v: 5, a: 0.25, w: 1.25 + (i % 5) * 0.01 }));
  await post(`${app.httpUrl}/api/v1/devices/meter-1/telemetry`, [...steady, { ts: base + 41_000, v: 5, a: 1, w: 5 }]);
  const z = await until(async () => (await alarmsOf('meter-1')).find((a) => a.ruleId === 'pack:ina219:w-zscore'), { what: 'z-score alarm' });
  assert.equal(z.raisedAt, base + 41_000);

  // Seed 002: a vibration jump of 0.5 mm/s beside humidity at 60 %: raw, humidity would drown it; standardised, it counts.
  const calm = Array.from({ length: 40 }, (_, i) => ({
    profile: 'factory',
    ts: base + i * 1000,
    temperature: 25 + (i % 3) * 0.1,
    humidity: 60 + (i % 4) * 0.2,
    vibration: 0.1 + (i % 5) * 0.002,
    sound: 60 + (i % 2),
  }));
  await post(`${app.httpUrl}/api/v1/devices/line-1/telemetry`, [...calm, { ts: base + 41_000, temperature: 25.1, humidity: 60.2, vibration: 0.6, sound: 60 }]);
  const l2 = await until(async () => (await alarmsOf('line-1')).find((a) => a.ruleId === 'pack:factory:l2-anomaly'), { what: 'standardised L2 alarm' });
  // Not before: the calm readings (whose raw norm is about 88) never crossed it.
  assert.equal(l2.raisedAt, base + 41_000);

  // Removed by an operator: stays removed after a restart; an edited one keeps the edit.
  assert.equal((await fetch(`${app.httpUrl}/api/v1/rules/pack:ina219:w-zscore`, { method: 'DELETE' })).status < 300, true);
  const battery = rules.rules.find((r) => r.id === 'pack:battery:voltage')!;
  const edited = await fetch(`${app.httpUrl}/api/v1/rules/pack:battery:voltage`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Cell voltage (site limits)',
      severity: 'critical',
      scope: battery.scope,
      target: battery.target,
      kind: 'threshold',
      metric: 'voltage',
      op: 'outside',
      low: 1.85,
      high: 2.4,
    }),
  });
  assert.equal(edited.status, 200);
  await app.stop();
  app = await startTestApp({ dataDir: data.dir });
  t.after(() => app.stop());
  const after = (await (await fetch(`${app.httpUrl}/api/v1/rules`)).json()) as { rules: { id: string; name: string; low: number }[] };
  assert.equal(
    after.rules.find((r) => r.id === 'pack:ina219:w-zscore'),
    undefined,
  );
  assert.equal(after.rules.find((r) => r.id === 'pack:battery:voltage')?.low, 1.85);

  const profile = (await (await fetch(`${app.httpUrl}/api/v1/profiles/vibration`)).json()) as {
    displayName: { ko: string };
    metrics: { fault_type: { labels: Record<string, { en: string; ko: string }> } };
  };
  assert.equal(profile.metrics.fault_type.labels['3'].ko, '불평형 + 풀림');
  assert.equal(profile.displayName.ko, '진동 설비');
});

test('rule packs can be turned off (--rule-packs false)', async (t) => {
  const app = await startTestApp({ rulePacks: false });
  t.after(() => app.stop());
  const rules = (await (await fetch(`${app.httpUrl}/api/v1/rules`)).json()) as { rules: unknown[] };
  assert.equal(rules.rules.length, 0);
});

test('a profile read from the API can be saved back unchanged (its rule pack keeps every field)', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const read = (await (await fetch(`${app.httpUrl}/api/v1/profiles/ina219`)).json()) as {
    rules: { key: string; name?: string; severity?: string; kind?: string }[];
  };
  assert.ok(read.rules.length > 0);
  for (const r of read.rules) assert.ok(r.name && r.severity && r.kind, `pack rule ${r.key} read back whole`);
  const res = await fetch(`${app.httpUrl}/api/v1/profiles/ina219`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(read),
  });
  assert.equal(res.status, 200, await res.text());
});
