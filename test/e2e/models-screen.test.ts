// Predictive maintenance on screen (issue 17), in English and in Korean: an operator fits a model
// from a bearing's imported run-to-failure history (the healthy window dragged on the chart, then
// typed), sees the browser's and the API's refusals at their fields, backtests it over the stored
// history (scores against the threshold, counts equal to the API's own backtest), activates it,
// and then sees the live predictions on the device page: the score with its threshold line and
// RUL as a big number with its 95% interval, equal to the stored series. A viewer sees the list
// but no buttons. axe-core on each page (no serious or critical violations), screenshots kept.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needChromium, startBrowserSuite } from '../helpers/browser.js';
import { until } from '../helpers/app.js';
import { RunToFailure } from '../../src/sim/run-to-failure.js';
import { createRng, round } from '../../src/sim/kinds.js';
import { catalogues, type Language } from '../../web/src/i18n/catalogues.js';
import { formatValue } from '../../web/src/state/format.js';

const chromium = needChromium('models screen e2e');
const STEP_MS = 20_000;
const HOUR = 3_600_000;

/** datetime-local text in UTC (the browser context runs in UTC). */
const utcInput = (ts: number) => new Date(ts).toISOString().slice(0, 16);

test(
  'fit, backtest and activate a model on screen, then its predictions and RUL on the device page, in English and Korean',
  { skip: chromium.skip, timeout: 400_000 },
  async (t) => {
    const { app, api, open } = await startBrowserSuite(t, { locked: true });
    const passwords = { olga: `o-${randomBytes(12).toString('base64url')}`, vera: `v-${randomBytes(12).toString('base64url')}` };
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'olga', password: passwords.olga, role: 'operator' }) });
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'vera', password: passwords.vera, role: 'viewer' }) });

    // One simulated bearing life of 6 hours per language, ending an hour ago, a reading every 20 s, imported as the device would send it.
    const now = Date.now();
    const lives = new Map<
      Language,
      { device: string; start: number; failedAt: number; healthyTo: number; rows: Array<{ vibration_rms: number; temperature: number }> }
    >();
    for (const [i, lang] of (['en', 'ko'] as Language[]).entries()) {
      const device = `brg-${lang}`;
      const bearing = new RunToFailure(createRng(20 + i), { lifeMinMs: 6 * HOUR, lifeMaxMs: 6 * HOUR + 1 });
      const start = now - 7 * HOUR;
      bearing.next(start);
      const failedAt = bearing.failsAt;
      const rows: Array<{ profile: string; ts: number; vibration_rms: number; temperature: number }> = [];
      for (let ts = start; ts < failedAt; ts += STEP_MS) {
        const v = bearing.next(ts);
        rows.push({ profile: 'bearing', ts, vibration_rms: round(v.vibration_rms, 3), temperature: round(v.temperature, 2) });
      }
      for (let k = 0; k < rows.length; k += 500)
        await api(`/api/v1/devices/${device}/telemetry`, { method: 'POST', body: JSON.stringify(rows.slice(k, k + 500)) });
      lives.set(lang, { device, start, failedAt, healthyTo: start + 1.5 * HOUR, rows });
    }

    for (const lang of ['en', 'ko'] as Language[]) {
      const M = catalogues[lang];
      const life = lives.get(lang)!;
      const { page, errors, shot, text, signIn, signOut, expectAccessible, close } = await open({
        lang,
        timezoneId: 'UTC',
        bypassCSP: true,
        shots: `models-${lang}-`,
      });
      const axe = (what: string) => expectAccessible(`${lang} ${what}`);
      let bundleId = '';

      await t.test(`${lang}: fit with errors at their fields, backtest, activate`, async () => {
        await signIn('olga', passwords.olga);
        await page.goto(`${app.httpUrl}/#/manage/models`);
        await page.waitForSelector('[data-testid="fit-form"]', { timeout: 10_000 });
        assert.equal(await text('[data-testid="fit-form"] h2'), M.models.fit.title);
        await page.fill('[data-testid="fit-device"]', life.device);
        await page.waitForSelector('[data-testid="fit-feature-vibration_rms"]', { timeout: 10_000 });
        // The browser's checks, under the API's rule names: no feature chosen, no window given.
        await page.click('[data-testid="fit-run"]');
        await page.waitForSelector('[data-testid="field-error-features"]');
        assert.equal(await page.getAttribute('[data-testid="field-error-features"]', 'data-rule'), 'minItems');
        assert.equal(await text('[data-testid="field-error-features"]'), M.tasks.rule.minItems);
        assert.equal(await page.getAttribute('[data-testid="field-error-from"]', 'data-rule'), 'required');
        await page.check('[data-testid="fit-feature-vibration_rms"]');
        await page.check('[data-testid="fit-feature-temperature"]');
        // The healthy window dragged on the history chart fills the inputs.
        await page.waitForSelector('[data-testid="healthy-chart"]:not([data-points="0"])', { timeout: 10_000 });
        const box = (await (await page.$('[data-testid="healthy-chart"] svg'))!.boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2, { steps: 5 });
        await page.mouse.up();
        await page.waitForSelector('[data-testid="healthy-band"]');
        const dragged = [await page.inputValue('[data-testid="fit-from"]'), await page.inputValue('[data-testid="fit-to"]')];
        assert.ok(dragged[0] && dragged[1] && dragged[0] < dragged[1], `the drag set the window: ${dragged}`);
        // Start after end: refused in place, in the field's own words.
        await page.fill('[data-testid="fit-from"]', utcInput(life.healthyTo));
        await page.fill('[data-testid="fit-to"]', utcInput(life.start));
        await page.click('[data-testid="fit-run"]');
        await page.waitForSelector('[data-testid="field-error-from"][data-rule="order"]');
        assert.equal(await text('[data-testid="field-error-from"]'), M.tasks.ruleAt.from.order);
        // The API's check: two minutes hold too few readings to fit on (422 enough_history at "from").
        await page.fill('[data-testid="fit-from"]', utcInput(life.start));
        await page.fill('[data-testid="fit-to"]', utcInput(life.start + 2 * 60_000));
        await page.click('[data-testid="fit-run"]');
        await page.waitForSelector('[data-testid="field-error-from"][data-rule="enough_history"]', { timeout: 10_000 });
        assert.equal(await text('[data-testid="field-error-from"]'), M.tasks.rule.enough_history);
        // And a window past its maximum, checked as the API's schema does.
        await page.fill('[data-testid="fit-window"]', '5000');
        await page.click('[data-testid="fit-run"]');
        await page.waitForSelector('[data-testid="field-error-window"][data-rule="maximum"]');
        await page.fill('[data-testid="fit-window"]', '');

        await page.fill('[data-testid="fit-from"]', utcInput(life.start));
        await page.fill('[data-testid="fit-to"]', utcInput(life.healthyTo));
        await page.fill('[data-testid="fit-version"]', `fit-${lang}`);
        await page.fill('[data-testid="fit-trend-steps"]', '30');
        await page.fill('[data-testid="fit-failed-at"]', utcInput(life.failedAt));
        await page.fill('[data-testid="fit-max-rul"]', '2');
        await page.click('[data-testid="fit-run"]');
        await page.waitForSelector('[data-testid="fit-result"]', { timeout: 30_000 });
        bundleId = (await page.getAttribute('[data-testid="fit-result"]', 'data-bundle'))!;
        assert.equal(bundleId, `${life.device}/default/fit-${lang}`);
        const listed = (await api<{ bundles: { id: string; active: boolean; origin: string }[] }>('/api/v1/serve-ml/bundles')).bundles.find(
          (b) => b.id === bundleId,
        );
        assert.deepEqual([listed?.origin, listed?.active], ['fitted', false], 'fitted, not active');
        await page.waitForSelector(`[data-testid="model-row-${bundleId}"][data-active="false"]`);
        await axe('models fit');

        await page.click('[data-testid="backtest-run"]');
        await page.waitForSelector('[data-testid="backtest-result"]', { timeout: 60_000 });
        const shown = {
          windows: Number(await page.getAttribute('[data-testid="backtest-result"]', 'data-windows')),
          anomalies: Number(await page.getAttribute('[data-testid="backtest-result"]', 'data-anomalies')),
        };
        // The same replay asked of the API directly: the screen shows its numbers.
        const direct = await api<{ windows: number; anomalies: number; first_anomaly: number }>('/api/v1/serve-ml/backtest', {
          method: 'POST',
          body: JSON.stringify({
            id: bundleId,
            device: life.device,
            from: life.start,
            to: Date.now() + 1,
            failed_at: Math.floor(life.failedAt / 60_000) * 60_000,
          }),
        });
        assert.equal(shown.windows, direct.windows);
        assert.equal(shown.anomalies, direct.anomalies);
        assert.ok(shown.anomalies > 0 && shown.anomalies < shown.windows, `the wear is flagged, the healthy start is not: ${JSON.stringify(shown)}`);
        assert.ok(Number(await page.getAttribute('[data-testid="model-backtest-scores"]', 'data-flagged')) > 0);
        assert.ok(await page.$('[data-testid="model-backtest-threshold"]'), 'the threshold is drawn');
        assert.ok(await page.$('[data-testid="backtest-rmse"]'), 'RUL error against the failure time');
        await axe('models backtest');
        await shot('backtest');

        await page.click('[data-testid="fit-activate"]');
        await page.waitForSelector('[data-testid="fit-activated"]', { timeout: 10_000 });
        const active = (await api<{ bundles: { id: string; active: boolean }[] }>('/api/v1/serve-ml/bundles')).bundles.find((b) => b.id === bundleId);
        assert.equal(active?.active, true);
        await page.waitForSelector(`[data-testid="model-row-${bundleId}"][data-active="true"]`);
        assert.equal(
          await text(`[data-testid="model-slot-${life.device}/default"] [data-testid="model-slot-active"]`),
          M.models.slot.active.replace('{{version}}', `fit-${lang}`),
        );
      });

      await t.test(`${lang}: live predictions on the device page: score with its threshold line, RUL with its interval`, async () => {
        // After activation a replacement bearing wears the same way: its readings from 60% of the life on, the last 40 of them
        // ending now (20 s apart, as they came), run live through the model.
        const k0 = Math.floor(life.rows.length * 0.6);
        const more = life.rows
          .slice(k0, k0 + 40)
          .map((r, i) => ({ ts: Date.now() - (40 - i) * STEP_MS, vibration_rms: r.vibration_rms, temperature: r.temperature }));
        await api(`/api/v1/devices/${life.device}/telemetry`, { method: 'POST', body: JSON.stringify(more) });
        await until(
          async () =>
            (await api<{ predictions: { via: string }[] }>(`/api/v1/rul/predictions?device_id=${life.device}`)).predictions.some((p) => p.via === 'live'),
          { what: 'a live prediction' },
        );
        await page.goto(`${app.httpUrl}/#/devices/${life.device}`);
        await page.waitForSelector('[data-testid="model-panel"]', { timeout: 15_000 });
        await page.click('[data-testid="span-1h"]');
        await page.waitForSelector('[data-testid="rul-value"]', { timeout: 15_000 });
        await page.waitForSelector('[data-testid="rul-interval"]');
        await page.waitForSelector('[data-testid="model-version"]');
        // What is shown is the stored series' latest value.
        const device = await api<{ latest: Record<string, { value: number; ts: number }> }>(`/api/v1/devices/${life.device}`);
        const latest = device.latest;
        await until(async () => Number(await page.getAttribute('[data-testid="rul-value"]', 'data-value')) === latest.rul_days.value, {
          what: 'the latest RUL on screen',
        });
        const low = Number(await page.getAttribute('[data-testid="rul-interval"]', 'data-low'));
        const high = Number(await page.getAttribute('[data-testid="rul-interval"]', 'data-high'));
        assert.deepEqual([low, high], [latest.rul_days_low.value, latest.rul_days_high.value]);
        assert.ok(low <= latest.rul_days.value && latest.rul_days.value <= high);
        assert.equal(await text('[data-testid="model-version"]'), M.models.device.model.replace('{{bundle}}', bundleId));
        const status = await page.getAttribute('[data-testid="rul-status"]', 'data-status');
        assert.ok(['healthy', 'warning', 'critical'].includes(status!), `status ${status}`);
        assert.equal(await text('[data-testid="rul-status"]'), M.models.device.status[status as 'critical']);
        // The model chart holds the score and its threshold (anomaly_threshold, stored with each prediction).
        await page.waitForSelector('[data-testid="model-panel"] [data-testid="chart"][data-drawn="true"]', { timeout: 15_000 });
        const rows = Number(await page.getAttribute('[data-testid="model-panel"] [data-testid="chart"]', 'data-rows'));
        assert.ok(rows > 0, `the model chart has points (${rows})`);
        assert.ok(latest.anomaly_threshold.value > 0 && latest.anomaly_score.value >= 0);
        assert.equal(
          await text('[data-testid="model-score"]'),
          M.models.device.scoreVsThreshold
            .replace('{{score}}', formatValue(latest.anomaly_score.value, lang))
            .replace('{{threshold}}', formatValue(latest.anomaly_threshold.value, lang)),
        );
        // The sensor chart's own metrics are the sensor's; the model's outputs live in their panel.
        assert.ok(await page.$('[data-testid="metric-toggle-vibration_rms"]'));
        assert.equal(await page.$('[data-testid="metric-toggle-rul_days"]'), null);
        await axe('device with a model');
        await shot('device');
      });

      await t.test(`${lang}: a viewer sees the models but no change buttons`, async () => {
        await signOut();
        await signIn('vera', passwords.vera);
        await page.goto(`${app.httpUrl}/#/manage/models`);
        await page.waitForSelector(`[data-testid="model-row-${bundleId}"]`, { timeout: 10_000 });
        assert.equal(await page.$(`[data-testid^="model-activate-"]`), null);
        assert.equal(await page.$('[data-testid="fit-form"]'), null);
        assert.ok(await page.$('[data-testid="role-note"]'));
        await axe('models viewer');
        await signOut();
      });
      assert.deepEqual(errors, [], `${lang}: page errors`);
      await close();
    }
  },
);
