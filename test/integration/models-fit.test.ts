import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, until } from '../helpers/app.js';
import { RunToFailure } from '../../src/sim/run-to-failure.js';
import { createRng, round } from '../../src/sim/kinds.js';
import { callApi } from '../helpers/api-call.js';

// Models that need no Python: fitted from a healthy stretch of stored history, backtested over the
// whole run to failure, then activated; until then they serve nothing.

const STEP_MS = 20_000;
const DAY = 86_400_000;

test('fit from a healthy window, backtest against the known failure, activate, serve', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const api = <T>(method: string, path: string, body?: unknown) => callApi<T>(app.httpUrl, method, path, body);

  // One bearing life of 20 hours ending a little before now, one reading every 20 s, sent as the device would.
  const bearing = new RunToFailure(createRng(11), { lifeMinMs: 20 * 3_600_000, lifeMaxMs: 20 * 3_600_000 + 1 });
  const start = Date.now() - 21 * 3_600_000;
  bearing.next(start);
  const failedAt = bearing.failsAt;
  const rows: Array<{ ts: number; vibration_rms: number; temperature: number }> = [];
  for (let ts = start; ts < failedAt; ts += STEP_MS) {
    const v = bearing.next(ts);
    rows.push({ ts, vibration_rms: round(v.vibration_rms, 3), temperature: round(v.temperature, 2) });
  }
  for (let i = 0; i < rows.length; i += 500) {
    const r = await fetch(`${app.httpUrl}/api/v1/devices/brg-1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rows.slice(i, i + 500)),
    });
    assert.ok(r.status < 300, await r.text());
  }
  const healthyTo = start + 5 * 3_600_000;

  const tooShort = await api<{ field: string; rule: string }>('POST', '/api/v1/serve-ml/fit', {
    device: 'brg-1',
    features: ['vibration_rms', 'temperature'],
    from: start,
    to: start + 60_000,
  });
  assert.deepEqual([tooShort.status, tooShort.body.field, tooShort.body.rule], [422, 'from', 'enough_history']);

  const fit = await api<{ id: string; active: boolean; origin: string; manifest: { thresholds: { anomaly_score: number }; scaler: { mean: number[] } } }>(
    'POST',
    '/api/v1/serve-ml/fit',
    {
      device: 'brg-1',
      features: ['vibration_rms', 'temperature'],
      from: start,
      to: healthyTo,
      model_version: 'fit1',
      failed_at: failedAt,
      max_rul_days: 1,
      trend_steps: 360,
    },
  );
  assert.equal(fit.status, 201, JSON.stringify(fit.body));
  assert.deepEqual([fit.body.id, fit.body.origin, fit.body.active], ['brg-1/default/fit1', 'fitted', false]);
  assert.ok(fit.body.manifest.thresholds.anomaly_score > 0);
  assert.ok(Math.abs(fit.body.manifest.scaler.mean[1] - 40) < 3, "the scaler is the healthy window's");

  // Not active: nothing is served for brg-1 before activation.
  const before = await api<{ rule: string }>('POST', '/api/v1/rul/predict', { device_id: 'brg-1' });
  assert.equal(before.status, 404);

  // Backtest over the whole life: quiet while healthy, flags the wear well before failure.
  const bt = await api<{
    windows: number;
    anomalies: number;
    first_anomaly: number;
    rul_rmse_days: number;
    points: Array<{ ts: number; anomaly: number; rul_days: number }>;
  }>('POST', '/api/v1/serve-ml/backtest', { id: 'brg-1/default/fit1', device: 'brg-1', from: start, to: failedAt, failed_at: failedAt });
  assert.equal(bt.status, 200, JSON.stringify(bt.body));
  assert.ok(bt.body.windows > 100);
  const healthyFlags = bt.body.points.filter((p) => p.ts < healthyTo && p.anomaly === 1).length;
  const healthyCount = bt.body.points.filter((p) => p.ts < healthyTo).length;
  assert.ok(healthyFlags <= Math.ceil(0.02 * healthyCount), `few false alarms in the healthy window: ${healthyFlags}/${healthyCount}`);
  const lastTenth = bt.body.points.filter((p) => p.ts > failedAt - 2 * 3_600_000);
  assert.ok(
    lastTenth.every((p) => p.anomaly === 1),
    'the last two hours before failure are flagged',
  );
  assert.ok(bt.body.first_anomaly > healthyTo && bt.body.first_anomaly < failedAt - 2 * 3_600_000);
  // RUL by trend: error within a fraction of the 20-hour life, and near zero at the end.
  // Over the last four hours, where RUL matters, the trend is within an hour or so of the truth.
  const late = bt.body.points.filter((p) => p.ts > failedAt - 4 * 3_600_000);
  const lateRmse = Math.sqrt(late.reduce((s, p) => s + (p.rul_days - (failedAt - p.ts) / DAY) ** 2, 0) / late.length);
  assert.ok(lateRmse < 1.5 / 24, `RUL RMSE over the last 4 h: ${lateRmse * 24} h`);
  assert.ok(bt.body.rul_rmse_days < 20 / 24, `RUL RMSE ${bt.body.rul_rmse_days} d`);
  assert.ok(lastTenth.at(-1)!.rul_days < 0.1, `RUL at failure ${lastTenth.at(-1)!.rul_days} d`);

  // Activate: RUL on demand from the stored readings, then live on new readings.
  assert.equal((await api('POST', '/api/v1/serve-ml/bundles/activate', { id: 'brg-1/default/fit1' })).status, 200);
  const now = await api<{ rul_days: number; rul_days_low: number; rul_days_high: number; model_version: string }>('POST', '/api/v1/rul/predict', {
    device_id: 'brg-1',
  });
  assert.equal(now.status, 200, JSON.stringify(now.body));
  assert.equal(now.body.model_version, 'fit1');
  assert.ok(now.body.rul_days_low <= now.body.rul_days && now.body.rul_days <= now.body.rul_days_high, JSON.stringify(now.body));
  assert.ok(now.body.rul_days < 0.2, `a worn-out bearing has little life left: ${now.body.rul_days} d`);
  const more = Array.from({ length: 360 }, (_, i) => ({ ts: failedAt + 1000 + i * 1000, vibration_rms: 7.5, temperature: 66 }));
  assert.ok(
    (
      await fetch(`${app.httpUrl}/api/v1/devices/brg-1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(more),
      })
    ).status < 300,
  );
  const live = await until(
    async () =>
      (
        await api<{ predictions: Array<{ via: string; anomaly: number; rul_days: number }> }>('GET', '/api/v1/rul/predictions?device_id=brg-1')
      ).body.predictions.find((p) => p.via === 'live'),
    { what: 'a live prediction of the fitted bundle' },
  );
  assert.equal(live.anomaly, 1);
  const stored = await api<{ series: Record<string, { value: number[] }> }>(
    'GET',
    `/api/v1/devices/brg-1/telemetry?metric=anomaly_score,rul_days&from=${failedAt}`,
  );
  assert.ok(stored.body.series.anomaly_score.value.length >= 1);

  // Each run is timed in the Prometheus histogram, labelled with the bundle and its runtime.
  const metricsText = await (await fetch(`${app.httpUrl}/metrics`)).text();
  const count = /^fieldscope_model_inference_seconds_count\{model="brg-1\/default\/fit1",runtime="builtin"\} (\d+)/m.exec(metricsText);
  assert.ok(count && Number(count[1]) >= 2, `inference histogram of the fitted bundle: ${count?.[0]}`);
  assert.match(metricsText, /^# TYPE fieldscope_model_inference_errors_total counter/m);
});
