// The dashboard in a real browser (Debian's Chromium through playwright-core) against the whole
// program with its simulator: overview, live device chart, 48 h of imported history on the same
// chart, an alarm raised by an injected spike, its toast, and an ack that reaches the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needChromium, startBrowserSuite } from '../helpers/browser.js';
import { until } from '../helpers/app.js';
import type { Alarm } from '../../src/model/alarm.js';
import { loadFailure } from '../../web/src/i18n/load-failure.js';

const chromium = needChromium('dashboard e2e');

const HOUR = 3_600_000;

test('dashboard in Chromium: live overview, device chart live and 48 h back, alarm toast and ack', { skip: chromium.skip, timeout: 240_000 }, async (t) => {
  const { app, api, open, errors } = await startBrowserSuite(t, { config: { simulator: true, simDevices: 4, simRateHz: 5 } });

  // Client routes fall back to the dashboard; unknown API paths stay JSON 404s.
  const deep = await fetch(`${app.httpUrl}/devices/some-device`);
  assert.equal(deep.status, 200);
  assert.match(await deep.text(), /<div id="root">/);
  const missing = await fetch(`${app.httpUrl}/api/v1/no-such-thing`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { rule: string }).rule, 'not_found');

  // 48 h of history for one INA219 at 1 Hz, ending a minute ago, in big NDJSON batches.
  const histId = 'ina219-hist';
  const now = Date.now();
  const start = now - 48 * HOUR;
  const total = 48 * 3600;
  for (let i = 0; i < total;) {
    const lines: string[] = [];
    for (const end = Math.min(total, i + 20_000); i < end; i++) {
      const ts = start + i * 1000 - 60_000;
      // A daily shape, so the zoomed-out chart has something to show.
      const v = +(5 + 0.15 * Math.sin((2 * Math.PI * ts) / (24 * HOUR)) + 0.01 * Math.sin(i)).toFixed(3);
      const a = +(0.5 + 0.3 * Math.sin((2 * Math.PI * ts) / (6 * HOUR))).toFixed(3);
      lines.push(JSON.stringify({ profile: 'ina219', ts, seq: i + 1, v, a, w: +(v * a).toFixed(3) }));
    }
    const r = await api<{ accepted: number }>(`/api/v1/devices/${histId}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    assert.equal(r.accepted, lines.length);
  }

  const { page, shot } = await open();
  // No CDN, no other host: every request the page makes goes to the program itself.
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(app.httpUrl) && !r.url().startsWith(app.httpUrl.replace('http', 'ws')) && !r.url().startsWith('data:')) foreign.push(r.url());
  });

  // Overview: the simulator's devices appear, and their values change.
  await page.goto(app.httpUrl + '/');
  await page.waitForSelector('[data-testid="live-status"][data-state="connected"]', { timeout: 10_000 });
  const simId = 'ina219-01';
  await page.waitForSelector(`[data-testid="device-card-${simId}"]`, { timeout: 15_000 });
  for (const id of ['battery-01', 'factory-01', 'vibration-01', histId]) await page.waitForSelector(`[data-testid="device-card-${id}"]`, { timeout: 15_000 });
  const valueSel = `[data-testid="device-value-${simId}-v"] .mv-num`;
  const first = await page.textContent(valueSel);
  await page.waitForFunction(([sel, before]) => document.querySelector(sel)?.textContent !== before, [valueSel, first] as const, { timeout: 10_000 });
  // The state and type filters narrow the list.
  await page.selectOption('[data-testid="type-filter"]', 'vibration');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="device-card-"]').length === 1);
  await page.selectOption('[data-testid="type-filter"]', '');
  await shot('01-overview');

  // Device page: the chart draws live points.
  await page.click(`[data-testid="device-card-${simId}"]`);
  await page.waitForSelector('[data-testid="chart"][data-drawn="true"]', { timeout: 10_000 });
  const rows1 = Number(await page.getAttribute('[data-testid="chart"]', 'data-rows'));
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="chart"]')?.getAttribute('data-rows')) > n, rows1, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="stats-row-v"] td:nth-child(3)')?.textContent !== '—', undefined, { timeout: 10_000 });
  await shot('02-device-live');

  // The imported device, zoomed out to 48 h: downsampled history and live on one chart.
  await page.goto(`${app.httpUrl}/#/devices/${histId}`);
  await page.waitForSelector('[data-testid="span-48h"]');
  await page.click('[data-testid="span-48h"]');
  await page.waitForFunction(
    () => {
      const c = document.querySelector('[data-testid="chart"]');
      return c?.getAttribute('data-resolution') !== 'live' && Number(c?.getAttribute('data-rows')) > 300;
    },
    undefined,
    { timeout: 15_000 },
  );
  const histRows = Number(await page.getAttribute('[data-testid="chart"]', 'data-rows'));
  const plotWidth = await page.evaluate(() => document.querySelector('[data-testid="chart"] .u-over')?.clientWidth ?? 0);
  // About one bucket per pixel, not 172,800 points.
  assert.ok(histRows <= plotWidth + 5, `rows ${histRows} for a plot ${plotWidth} px wide`);
  await page.waitForFunction(() => /completeness 100/.test(document.querySelector('[data-testid="completeness"]')?.textContent ?? ''), undefined, {
    timeout: 10_000,
  });
  const exportHref = await page.getAttribute('[data-testid="export-csv"]', 'href');
  const csv = await (await fetch(new URL(exportHref!, app.httpUrl))).text();
  assert.match(csv.split('\n')[0], /^ts,ts_ms,device,metric,value/);
  assert.ok(csv.split('\n').length > 100_000, 'the export covers the 48 h shown');
  await shot('03-device-48h');

  // Vibration device: fault timeline and waveform.
  await page.goto(`${app.httpUrl}/#/devices/vibration-01`);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="waveform"]')?.getAttribute('data-points')) > 10, undefined, {
    timeout: 10_000,
  });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="state-bands-fault_type"]')?.getAttribute('data-points')) > 0, undefined, {
    timeout: 10_000,
  });
  await shot('04-vibration');

  // An alarm: a threshold rule, then an injected spike; the toast shows and is acknowledged.
  await page.goto(`${app.httpUrl}/#/devices/${simId}`);
  await page.waitForSelector('[data-testid="chart"][data-drawn="true"]');
  // The header's links stay where they are when the alarm count changes: a click on its way to one
  // of them must not land on its neighbour (a CI run once clicked the admin link as the count appeared).
  const countBefore = Number(await page.getAttribute('[data-testid="nav-alarm-count"]', 'data-count'));
  const linkAfter = '[data-testid="nav-alarms"] + a';
  const boxBefore = await (await page.$(linkAfter))!.boundingBox();
  await api('/api/v1/rules', {
    method: 'POST',
    body: JSON.stringify({ name: 'bus over 8 V', severity: 'major', scope: 'device', target: simId, kind: 'threshold', metric: 'v', op: '>', value: 8 }),
  });
  app.simulator!.inject(simId, { type: 'spike', metric: 'v', magnitude: 15, count: 3 });
  const toast = await page.waitForSelector('[data-testid="toast"][data-alarm]:not([data-alarm=""])', { timeout: 15_000 });
  const alarmId = Number(await toast.getAttribute('data-alarm'));
  assert.ok(alarmId > 0);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="nav-alarm-count"]')?.getAttribute('data-count')) > n, countBefore, {
    timeout: 10_000,
  });
  assert.deepEqual(await (await page.$(linkAfter))!.boundingBox(), boxBefore, `the link after "Alarms" moved when the count went from ${countBefore}`);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart"]')?.getAttribute('data-alarm-markers')) > 0, undefined, {
    timeout: 10_000,
  });
  await shot('05-alarm-toast');

  await page.goto(`${app.httpUrl}/#/alarms`);
  await page.waitForSelector(`[data-testid="alarm-row-${alarmId}"]`, { timeout: 10_000 });
  // Every status: the spike's alarm may clear before the ack lands, and "needs attention" (the
  // default) then drops the acked row from the list (CI, stop 24: the wait below saw no row).
  await page.selectOption('[data-testid="alarm-filter-status"]', 'all');
  await page.waitForSelector(`[data-testid="alarm-row-${alarmId}"]`);
  // By keyboard (focus and Enter, as an operator without a mouse would): the toasts above the list come
  // and go (cleared ones dismiss themselves) and move the rows, so a click aimed just before such a
  // move could land beside its button (a CI run once waited 10 s for an ack never sent).
  await page.press(`[data-testid="alarm-ack-${alarmId}"]`, 'Enter');
  await page.fill(`[data-testid="alarm-action-form-${alarmId}"] [data-testid="alarm-action-by"]`, 'e2e-operator');
  await page.fill(`[data-testid="alarm-action-form-${alarmId}"] [data-testid="alarm-action-comment"]`, 'checked the supply');
  await page.press(`[data-testid="alarm-action-form-${alarmId}"] [data-testid="alarm-action-submit"]`, 'Enter');
  await page.waitForFunction((id) => /acked/.test(document.querySelector(`[data-testid="alarm-row-${id}"]`)?.getAttribute('data-status') ?? ''), alarmId, {
    timeout: 10_000,
  });
  const after = await until(async () => {
    const r = await api<{ alarm: Alarm; events: { type: string; by: string | null; comment: string | null }[] }>(`/api/v1/alarms/${alarmId}`);
    return r.alarm.ackedBy ? r : undefined;
  });
  assert.match(after.alarm.status, /_acked$/);
  assert.equal(after.alarm.ackedBy, 'e2e-operator');
  assert.ok(after.events.some((e) => e.type === 'acked' && e.comment === 'checked the supply'));
  await shot('06-alarms');

  // A phone, dark.
  const { page: phone, shot: phoneShot } = await open({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: 'dark' });
  await phone.goto(`${app.httpUrl}/#/devices/${simId}`);
  await phone.waitForSelector('[data-testid="chart"][data-drawn="true"]', { timeout: 10_000 });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the phone page scrolls sideways by ${overflow}px`);
  await phoneShot('07-phone-dark');

  // A device page opened from a link: the device's profile taken from the list of every profile
  // (not asked for again), and the chart built once, with the profile's metrics, instead of once
  // without it and again when it arrived.
  const { page: direct } = await open({ viewport: { width: 1280, height: 800 } });
  const asked: string[] = [];
  direct.on('request', (r) => asked.push(new URL(r.url()).pathname));
  await direct.goto(`${app.httpUrl}/#/devices/${simId}`);
  await direct.waitForSelector('[data-testid="chart"][data-drawn="true"]', { timeout: 10_000 });
  assert.deepEqual(
    asked.filter((p) => p.startsWith('/api/v1/profiles/')),
    [],
    'a profile the list of profiles brought is not asked for again',
  );
  assert.equal(await direct.getAttribute('[data-testid="chart"]', 'data-builds'), '1', 'the chart was built more than once');
  // Its live window asked for by the page's entry as soon as the list showed the device, then by the
  // page itself for what arrived in between (web/src/state/live-window.ts): two requests, no more.
  assert.equal(asked.filter((p) => p === `/api/v1/devices/${simId}/telemetry`).length, 2, `live window requests: ${asked.join(' ')}`);
  // The device list the start asked for is the page's too: not asked for again as the page opens.
  assert.equal(asked.filter((p) => p === '/api/v1/devices').length, 1, `device list requests: ${asked.join(' ')}`);

  // The rest of the dashboard not loaded (a dropped connection, a server updated under the page):
  // the entry says so, in the browser's language, instead of a blank page.
  for (const lang of ['en', 'ko'] as const) {
    const { page: broken, context } = await open({ lang });
    await context.route(/\/assets\/mount-[^/]*\.js$/, (r) => r.abort());
    await broken.goto(`${app.httpUrl}/#/devices/${simId}`);
    const alert = await broken.waitForSelector('[data-testid="load-failure"][role="alert"]', { timeout: 10_000 });
    assert.equal(await alert.textContent(), loadFailure[lang]);
  }

  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, []);
});
