import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { RUNTIMES as RUNTIME_NAMES } from '../../src/model/schemas/models.js';
import { callApi } from '../helpers/api-call.js';

// Seed 003's bundles served as the seed serves them: a folder in <equipment_id>/<power>/<model_version>/,
// HTTP predict, the features topic, and Fieldscope's own live windows; predictions are series of the
// device, and an ordinary alarm rule on rul_days raises an alarm and a notification.
//
// The fixture models are closed forms (scripts/models/make-test-bundles.py), on the scaled window z:
//   anomaly_score = 0.25 * mean(z^2), threshold 1.0;   rul_days = max(0, base - 10 * mean(z))
//   base: press-01/3/v1 30, press-01/3/v2 60, press-01/7/v1 90. Scaler: vibration_rms (1, 0.5), temperature (40, 5).

const FIXTURES = new URL('../fixtures/serve_ml/', import.meta.url).pathname;
const W = 30;
const win = (vib: number, temp: number) => ({ vibration_rms: Array(W).fill(vib), temperature: Array(W).fill(temp) });

interface Prediction {
  device: string;
  bundle: string;
  model_version: string;
  power: string;
  anomaly_score: number;
  anomaly: number;
  rul_days: number;
  via: string;
  threshold: number;
}
interface BundleView {
  id: string;
  active: boolean;
  origin: string;
  model_version: string;
}

test("bundles from the seed's folder layout: HTTP, features topic and live windows, stored, alarmed", async (t) => {
  const data = tempDir();
  t.after(() => data.remove());
  const folder = join(data.dir, 'serve_ml');
  cpSync(FIXTURES, folder, { recursive: true });
  const hits: string[] = [];
  const hook = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => hook.close(r)));
  writeFileSync(join(data.dir, 'secret'), 'a-webhook-signing-secret-for-tests\n');
  const app = await startTestApp({
    dataDir: join(data.dir, 'db'),
    models: folder,
    webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
    webhookSecretFile: join(data.dir, 'secret'),
    notifications: { webhook: { groupWindowMs: 50, retries: 1, backoffMs: 20 } },
  });
  t.after(() => app.stop());
  const api = <T>(method: string, path: string, body?: unknown) => callApi<T>(app.httpUrl, method, path, body);

  // The folder, read as it is: three bundles, the newest version of each bucket active.
  const listed = await api<{ bundles: BundleView[] }>('GET', '/api/v1/serve-ml/bundles?equipment_id=press-01');
  assert.deepEqual(
    listed.body.bundles.map((b) => [b.id, b.active]),
    [
      ['press-01/3/v1', false],
      ['press-01/3/v2', true],
      ['press-01/7/v1', true],
    ],
  );
  assert.equal((await api<{ bundles: BundleView[] }>('GET', '/api/v1/serve-ml/bundles?equipment_id=press-01&power=7')).body.bundles.length, 1);

  // HTTP predict, the seed's body: the active v2 (base 60); a healthy window scores 0.
  const healthy = await api<Prediction>('POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-01', power: 3, features: win(1, 40) });
  assert.equal(healthy.status, 200, JSON.stringify(healthy.body));
  assert.equal(healthy.body.model_version, 'v2');
  assert.equal(healthy.body.anomaly_score, 0);
  assert.equal(healthy.body.anomaly, 0);
  assert.equal(healthy.body.rul_days, 60);
  // Activate v1 without a restart; z = (4, 0): score 0.25 * 16 / 2 = 2 > 1, rul 30 - 10 * 2 = 10.
  assert.equal((await api('POST', '/api/v1/serve-ml/bundles/activate', { id: 'press-01/3/v1' })).status, 200);
  const worn = await api<Prediction>('POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-01', power: '3', features: win(3, 40) });
  assert.deepEqual([worn.body.model_version, worn.body.anomaly_score, worn.body.anomaly, worn.body.rul_days], ['v1', 2, 1, 10]);
  // An explicit version, and power chosen by bucket: 6.2 lies in bucket 7's range [5, 10).
  assert.equal(
    (await api<Prediction>('POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-01', power: 3, model_version: 'v2', features: win(1, 40) })).body
      .rul_days,
    60,
  );
  const bucket = await api<Prediction>('POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-01', power: 6.2, features: win(1, 40) });
  assert.deepEqual([bucket.body.power, bucket.body.rul_days], ['7', 90]);
  // Roll back: v2 then v1 activated, rollback returns to v2... and once more has nowhere to go.
  await api('POST', '/api/v1/serve-ml/bundles/activate', { id: 'press-01/3/v2' });
  await api('POST', '/api/v1/serve-ml/bundles/activate', { id: 'press-01/3/v1' });
  const back = await api<BundleView>('POST', '/api/v1/serve-ml/bundles/rollback', { equipment_id: 'press-01', power: '3' });
  assert.deepEqual([back.status, back.body.id], [200, 'press-01/3/v2']);
  await api('POST', '/api/v1/serve-ml/bundles/activate', { id: 'press-01/3/v1' });

  // Bad requests name the field and the rule.
  const missing = await api<{ field: string; rule: string }>('POST', '/api/v1/serve-ml/predict', {
    equipment_id: 'press-01',
    power: 3,
    features: { vibration_rms: Array(W).fill(1) },
  });
  assert.deepEqual([missing.status, missing.body.field, missing.body.rule], [400, 'features.temperature', 'required']);
  const noPower = await api<{ field: string; rule: string }>('POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-01', features: win(1, 40) });
  assert.deepEqual([noPower.status, noPower.body.field, noPower.body.rule], [400, 'power', 'required']);
  const nobody = await api<{ field: string; rule: string }>('POST', '/api/v1/serve-ml/predict', { equipment_id: 'lathe-9', features: win(1, 40) });
  assert.deepEqual([nobody.status, nobody.body.rule], [404, 'no_bundle']);
  const short = await api<{ field: string; rule: string }>('POST', '/api/v1/serve-ml/predict', {
    equipment_id: 'press-01',
    power: 3,
    features: { vibration_rms: [1, 1], temperature: [40, 40] },
  });
  assert.deepEqual([short.status, short.body.rule], [400, 'window']);

  // Predictions are series of the device: in history like any metric.
  const hist = await api<{ series: Record<string, { value: number[] }> }>(
    'GET',
    '/api/v1/devices/press-01/telemetry?metric=rul_days,anomaly_score,anomaly&from=0',
  );
  assert.equal(hist.status, 200, JSON.stringify(hist.body));
  assert.deepEqual(hist.body.series.rul_days.value.slice(0, 2), [60, 10]);

  // RUL below 7 days for the rule's delay raises an alarm, notified.
  const rule = await api<{ id: string }>('POST', '/api/v1/rules', {
    name: 'RUL under a week',
    severity: 'major',
    scope: 'device',
    target: 'press-01',
    kind: 'threshold',
    metric: 'rul_days',
    op: '<',
    value: 7,
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));

  // The features topic, the seed's payload: 30 steps make a window; z = (5, 0) -> rul 30 - 25 = 5.
  const c = await mqtt.connectAsync(app.mqttUrl, { clientId: 'press-gateway' });
  t.after(() => c.endAsync());
  for (let i = 0; i < W; i++)
    await c.publishAsync('serve-ml/press-01/features', JSON.stringify({ power: 3, model_version: 'v1', features: { vibration_rms: 3.5, temperature: 40 } }), {
      qos: 1,
    });
  const fromTopic = await until(
    async () => (await api<{ predictions: Prediction[] }>('GET', '/api/v1/rul/predictions?device_id=press-01')).body.predictions.find((p) => p.via === 'live'),
    { what: 'a prediction from the features topic' },
  );
  assert.deepEqual([fromTopic.bundle, fromTopic.rul_days, fromTopic.anomaly], ['press-01/3/v1', 5, 1]);
  const alarm = await until(
    async () =>
      (await api<{ alarms: Array<{ ruleId: string; firstValue: number; status: string }> }>('GET', '/api/v1/alarms?device=press-01')).body.alarms.find(
        (a) => a.ruleId === rule.body.id,
      ),
    { what: 'the RUL alarm' },
  );
  assert.equal(alarm.firstValue, 5);
  await until(() => hits.some((h) => h.includes('RUL under a week')), { what: 'the webhook notification' });
  const health = await api<{ status: string; rul_days: number; model_version: string }>('GET', '/api/v1/rul/health/press-01');
  assert.deepEqual([health.body.status, health.body.rul_days, health.body.model_version], ['critical', 5, 'v1']);

  // An uploaded bundle for another equipment, run from its own readings with no extra publisher.
  const src = join(FIXTURES, 'press-01/3/v1');
  const manifest = {
    ...JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8')),
    equipment_id: 'press-02',
    power: 'default',
    power_range: null,
    model_version: 'u1',
  };
  const files = Object.fromEntries(['autoencoder.onnx', 'rul.onnx'].map((f) => [f, readFileSync(join(src, f)).toString('base64')]));
  const up = await api<BundleView>('POST', '/api/v1/serve-ml/bundles', { manifest, files });
  assert.deepEqual([up.status, up.body.id, up.body.active], [201, 'press-02/default/u1', true]);
  const dup = await api<{ rule: string }>('POST', '/api/v1/serve-ml/bundles', { manifest, files });
  assert.deepEqual([dup.status, dup.body.rule], [409, 'unique']);
  const broken = await api<{ field: string; rule: string }>('POST', '/api/v1/serve-ml/bundles', {
    manifest: { ...manifest, model_version: 'u2', window: 0 },
    files,
  });
  assert.deepEqual([broken.status, broken.body.field, broken.body.rule], [400, 'manifest.window', 'range']);
  const t0 = Date.now() - W * 1000;
  for (let i = 0; i < W; i++) {
    const r = await fetch(`${app.httpUrl}/api/v1/devices/press-02/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ts: t0 + i * 1000, vibration_rms: 1.5, temperature: 45 }),
    });
    assert.equal(r.status < 300, true, await r.text());
  }
  // z = (1, 1): score 0.25, rul 30 - 10 = 20.
  const live = await until(
    async () => (await api<{ predictions: Prediction[] }>('GET', '/api/v1/rul/predictions?device_id=press-02')).body.predictions.at(-1),
    { what: 'a live prediction' },
  );
  assert.deepEqual([live.via, live.rul_days, live.anomaly_score, live.model_version], ['live', 20, 0.25, 'u1']);
  const stored = await api<{ series: Record<string, { ts: number[]; value: number[] }> }>('GET', '/api/v1/devices/press-02/telemetry?metric=rul_days&from=0');
  assert.deepEqual(stored.body.series.rul_days.value, [20]);
  assert.equal(stored.body.series.rul_days.ts[0], t0 + (W - 1) * 1000, "the prediction carries the time of the window's last reading");

  // RUL on demand from stored readings; the status and stats endpoints see all of it.
  const onDemand = await api<Prediction>('POST', '/api/v1/rul/predict', { device_id: 'press-02' });
  assert.deepEqual([onDemand.status, onDemand.body.rul_days], [200, 20]);
  const status = await api<{ bundles: number; active: string[]; runtimes: string[] }>('GET', '/api/v1/rul/status');
  assert.equal(status.body.bundles, 4);
  // Every runtime a manifest may name is registered, and the status says so (xgboost was left out).
  assert.deepEqual([...status.body.runtimes].sort(), [...RUNTIME_NAMES].sort());
  assert.ok(status.body.active.includes('press-01/3/v1'));
  const stats = await api<{ devices: Array<{ device: string; min_rul_days: number }> }>('GET', '/api/v1/rul/stats');
  assert.equal(stats.body.devices.find((d) => d.device === 'press-01')?.min_rul_days, 5);

  // sync: a version added to the folder appears, one removed disappears, without a restart.
  cpSync(join(folder, 'press-01/7/v1'), join(folder, 'press-01/7/v9'), { recursive: true });
  const m9 = JSON.parse(readFileSync(join(folder, 'press-01/7/v9/manifest.json'), 'utf8'));
  writeFileSync(join(folder, 'press-01/7/v9/manifest.json'), JSON.stringify({ ...m9, model_version: 'v9' }));
  const synced = await api<{ loaded: string[] }>('POST', '/api/v1/serve-ml/sync');
  assert.deepEqual(synced.body.loaded, ['press-01/7/v9']);
  assert.equal(
    (await api<Prediction>('POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-01', power: 7, features: win(1, 40) })).body.model_version,
    'v9',
  );
});
