import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, tempDir } from '../helpers/app.js';

const T0 = Date.UTC(2025, 3, 1);
const json = (body: unknown) => ({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('profiles: bound by first message or API, refused readings dead-lettered beside kept ones, PUT survives a restart', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  let app = await startTestApp({ dataDir: d.dir });
  t.after(() => app.stop());
  const post = (device: string, body: unknown) =>
    fetch(`${app.httpUrl}/api/v1/devices/${device}/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  // Bound by the profile field of its first message; a = 9 is outside INA219's ±3.2 A.
  assert.equal((await post('pm-1', { profile: 'ina219', seq: 1, ts: T0, v: 5, a: 0.2 })).status, 200);
  const res = await post('pm-1', { seq: 2, ts: T0 + 1000, v: 5.1, a: 9, junk: 1 });
  assert.equal(res.status, 200);
  const latest = (await (await fetch(`${app.httpUrl}/api/v1/devices/pm-1/latest`)).json()) as { latest: Record<string, { value: number }> };
  assert.equal(latest.latest.v.value, 5.1, 'good reading of the same message kept');
  assert.equal(latest.latest.a.value, 0.2, 'refused reading not stored');
  assert.equal(latest.latest.junk.value, 1, 'unknown metric flagged, stored');
  const dead = (await (await fetch(`${app.httpUrl}/api/v1/rejected?device=pm-1`)).json()) as { rejected: { field: string; rule: string; error: string }[] };
  assert.deepEqual(dead.rejected.map((r) => [r.field, r.rule]).sort(), [
    ['a', 'range'],
    ['junk', 'flagged'],
  ]);
  assert.match(dead.rejected.find((r) => r.rule === 'flagged')!.error, /^unknown_metric:/);
  const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
  assert.match(metrics, /fieldscope_readings_flagged_total\{rule="unknown_metric"\} 1/);
  assert.match(metrics, /fieldscope_messages_rejected_total\{source="http",field="a",rule="range"\} 1/);

  // A new profile by API, then bind an existing device to it.
  const put = await fetch(
    `${app.httpUrl}/api/v1/profiles/tank`,
    json({ name: 'tank', metrics: { level: { min: 0, max: 100, unit: '%' } }, outOfRange: 'reject', unknownMetrics: 'reject' }),
  );
  assert.equal(put.status, 200, await put.clone().text());
  const bad = await fetch(`${app.httpUrl}/api/v1/profiles/tank`, json({ name: 'tank', metrics: { level: { min: 5, max: 1 } } }));
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { rule: string }).rule, 'order');
  assert.equal((await post('tank-1', { level: 50 })).status, 200);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/devices/tank-1/profile`, json({ profile: 'tank' }))).status, 200);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/devices/tank-1/profile`, json({ profile: 'nope' }))).status, 400);
  const all = await post('tank-1', { level: 150 });
  assert.equal(all.status, 400, 'every reading refused');
  assert.equal(((await all.json()) as { rule: string }).rule, 'range');

  await app.stop();
  app = await startTestApp({ dataDir: d.dir });
  const p = (await (await fetch(`${app.httpUrl}/api/v1/profiles/tank`)).json()) as { metrics: Record<string, { max: number }> };
  assert.equal(p.metrics.level.max, 100);
  const dev = (await (await fetch(`${app.httpUrl}/api/v1/devices/tank-1`)).json()) as { profile: string };
  assert.equal(dev.profile, 'tank');
  assert.equal((await post('tank-1', { level: 101 })).status, 400, 'binding and profile survive the restart');
});
