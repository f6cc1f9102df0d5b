// Issue 18 in a real browser (Debian's Chromium), in Korean and in English: the fleet table,
// groups and cards; a device's chart with thresholds, outliers, overlays over the whole range, a
// day picked from imported history, enum states by their labels and the raw-data table with the
// fault-type filter; toasts that stay out of the way; an unknown device that fires no failing
// request; and an axe-core check of each page (no serious or critical violation), by keyboard too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { needChromium, startBrowserSuite, type E2ePage } from '../helpers/browser.js';
import { until } from '../helpers/app.js';

const chromium = needChromium('dashboard views e2e');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function overlaps(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

test(
  'dashboard views in Chromium, Korean and English: fleet, charts, toasts, unknown device, accessibility',
  { skip: chromium.skip, timeout: 300_000 },
  async (t) => {
    const { app, api, open: openPage, errors } = await startBrowserSuite(t, { config: { simulator: true, simDevices: 4, simRateHz: 2 } });
    const post = (path: string, lines: string[]) =>
      api<{ accepted: number }>(path, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });

    // Imported history: a battery cell 10 days back at one reading a minute, and its last 2 h at 1 Hz
    // with one spike (an outlier); a vibration rig whose fault_type runs through its four states.
    const now = Date.now();
    const histId = 'battery-hist';
    const old: string[] = [];
    for (let ts = now - 10 * DAY; ts < now - 2 * HOUR; ts += 60_000)
      old.push(JSON.stringify({ profile: 'battery', ts, voltage: +(2.1 + 0.05 * Math.sin(ts / HOUR)).toFixed(3), temperature: 25 }));
    for (let i = 0; i < old.length; i += 5000) await post(`/api/v1/devices/${histId}/telemetry`, old.slice(i, i + 5000));
    const recent: string[] = [];
    for (let ts = now - 2 * HOUR, i = 0; ts < now - 5000; ts += 1000, i++)
      recent.push(JSON.stringify({ profile: 'battery', ts, voltage: i === 5000 ? 2.9 : +(2.1 + 0.02 * Math.sin(i / 300)).toFixed(3), temperature: 25 }));
    for (let i = 0; i < recent.length; i += 5000) await post(`/api/v1/devices/${histId}/telemetry`, recent.slice(i, i + 5000));
    const vib: string[] = [];
    for (let ts = now - HOUR, i = 0; ts < now - 5000; ts += 1000, i++)
      vib.push(
        JSON.stringify({
          profile: 'vibration',
          ts,
          fault_type: Math.floor(i / 900) % 4,
          normal: 0.1,
          unbalance: 0.1,
          looseness: 0.1,
          unbalance_looseness: 0.1,
        }),
      );
    for (let i = 0; i < vib.length; i += 5000) await post('/api/v1/devices/vib-hist/telemetry', vib.slice(i, i + 5000));
    // One device with a site: when a sort moves another device into its row, the site must go with it.
    const site = 'North yard 7';
    await api(`/api/v1/devices/${histId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ location: site }) });

    const violations: string[] = [];
    const open = (lang: 'en' | 'ko', viewport = { width: 1280, height: 900 }) => openPage({ lang, viewport, shots: `views-${lang}-` });
    // A sort header toggles. Under CI load a click has been seen to leave the order unchanged (1 run in
    // many; not reproduced alone), so the header is clicked again only while the order is still not the
    // one asked for, checked first: a late click is never undone by a second one. A table that never
    // sorts still fails here.
    const sortBy = async (page: Page, key: string, want: 'ascending' | 'descending') => {
      const sel = `[data-testid="sort-${key}"]`;
      const is = () => page.evaluate(([s, w]) => document.querySelector(s)?.closest('th')?.getAttribute('aria-sort') === w, [sel, want] as const);
      for (let attempt = 1; ; attempt++) {
        if (await is()) return;
        await page.click(sel);
        const ok = await page
          .waitForFunction(([s, w]) => document.querySelector(s)?.closest('th')?.getAttribute('aria-sort') === w, [sel, want] as const, { timeout: 10_000 })
          .then(() => true)
          .catch(() => false);
        if (ok) return;
        if (attempt === 3) assert.fail(`sorting by ${key} did not become ${want} after 3 clicks`);
      }
    };
    const check = async (p: E2ePage, what: string) => {
      for (const v of await p.axe()) violations.push(`${what}: ${v}`);
    };

    for (const lang of ['ko', 'en'] as const) {
      const tab = await open(lang);
      const { page, shot } = tab;
      const words =
        lang === 'ko'
          ? { devices: '장치', table: '표', normal: '정상', alarms: '알람', unbalance: '불평형', cell: '철도 축전지 셀' }
          : { devices: 'Devices', table: 'Table', normal: 'normal', alarms: 'Alarms', unbalance: 'unbalance', cell: 'Railway battery cell' };

      // The last hour's requests of the table: one per batch of rows (GET /telemetry/buckets), none per row.
      const hourRequests: string[] = [];
      page.on('request', (r) => {
        const u = r.url();
        if (/\/api\/v1\/(telemetry\/buckets|devices\/[^/]+\/(completeness|telemetry\?))/.test(u)) hourRequests.push(u);
      });
      // Overview: the table (sortable), the groups, the cards; in the browser's language.
      await page.goto(app.httpUrl + '/');
      await page.waitForSelector('[data-testid="device-card-vibration-01"], [data-testid="device-table"]', { timeout: 15_000 });
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      assert.equal((await page.textContent('h1.page-title'))?.trim(), words.devices);
      await page.click('[data-testid="view-table"]');
      await page.waitForSelector(`[data-testid="device-row-${histId}"]`);
      assert.equal((await page.textContent('[data-testid="view-table"]'))?.trim(), words.table);
      // The profile by its name in the language.
      assert.match((await page.textContent(`[data-testid="device-row-${histId}"]`)) ?? '', new RegExp(words.cell));
      // Sparkline and completeness of the last hour arrive for rows on screen.
      await page.waitForSelector(`[data-testid="device-row-${histId}"] svg.sparkline`, { timeout: 15_000 });
      // A line, drawn: a path through the hour's points.
      const line = await page.$eval(`[data-testid="device-row-${histId}"] svg.sparkline`, (svg) => ({
        points: Number(svg.getAttribute('data-points')),
        d: svg.querySelector('path')?.getAttribute('d') ?? '',
        width: svg.getBoundingClientRect().width,
      }));
      assert.ok(line.points >= 2 && (line.d.match(/[ML]/g) ?? []).length === line.points, `sparkline ${JSON.stringify(line)}`);
      assert.equal(line.width, 120);
      await page.waitForFunction((id) => (document.querySelector(`[data-testid="device-row-completeness-${id}"]`)?.textContent ?? '') !== '', histId, {
        timeout: 15_000,
      });
      const batched = hourRequests.filter((u) => u.includes('/api/v1/telemetry/buckets'));
      assert.ok(
        batched.some((u) => new URL(u).searchParams.get('devices')!.split(',').includes(histId) && new URL(u).searchParams.get('completeness') === 'true'),
        `the table asked for ${histId}'s hour in a many-device request: ${hourRequests.join(' ')}`,
      );
      assert.ok(
        batched.some((u) => new URL(u).searchParams.get('devices')!.split(',').length > 1),
        `rows on screen together are asked for together: ${batched.join(' ')}`,
      );
      assert.deepEqual(
        hourRequests.filter((u) => !u.includes('/api/v1/telemetry/buckets')),
        [],
        'no per-row request for the last hour',
      );
      await sortBy(page, 'id', 'ascending');
      const ids = await page.$$eval('[data-testid^="device-row-"][data-index]', (rows) =>
        rows.map((r) => r.getAttribute('data-testid')!.slice('device-row-'.length)),
      );
      assert.deepEqual(ids, [...ids].sort(), 'sorted by id');
      // The site column (4th) of every row on screen: only the device that has one shows it.
      const sites = () =>
        page.$$eval('[data-testid^="device-row-"][data-index]', (rows) =>
          rows.map((r) => [r.getAttribute('data-testid')!.slice('device-row-'.length), r.querySelectorAll('td')[3]?.textContent ?? '']),
        );
      const sitesShown = (rows: string[][]) => rows.filter(([, text]) => text === site).map(([id]) => id);
      assert.deepEqual(sitesShown(await sites()), [histId]);
      await sortBy(page, 'id', 'descending');
      assert.deepEqual(sitesShown(await sites()), [histId], 'a row that showed another device keeps no cell of it');
      await check(tab, `${lang} table`);
      await shot('01-table');
      // Keyboard: Tab reaches the view switch and Enter opens the groups.
      await page.focus('[data-testid="view-table"]');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-testid="device-groups"]');
      await page.selectOption('[data-testid="group-by"]', 'profile');
      await page.waitForSelector('[data-testid="group-battery"]');
      await page.click('[data-testid="group-battery"] .fleet-group-toggle');
      await page.waitForSelector(`[data-testid="group-battery"] a[href="#/devices/${histId}"]`);
      await check(tab, `${lang} groups`);
      await shot('02-groups');
      await page.click('[data-testid="view-cards"]');
      await page.waitForSelector('[data-testid="device-grid"]');
      await check(tab, `${lang} cards`);

      // Enum values by their label: the vibration rig's fault type.
      await page.goto(`${app.httpUrl}/#/devices/vib-hist`);
      await page.waitForSelector('[data-testid="device-value-vib-hist-fault_type"]');
      const fault = (await page.textContent('[data-testid="device-value-vib-hist-fault_type"] .mv-num'))?.trim() ?? '';
      assert.ok(!/^\d+$/.test(fault), `fault_type shows as "${fault}", a number`);
      await page.click('[data-testid="span-1h"]');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="state-bands-fault_type"]')?.getAttribute('data-runs')) >= 4, undefined, {
        timeout: 15_000,
      });
      const classes = (await page.getAttribute('[data-testid="state-bands-fault_type"]', 'data-classes')) ?? '';
      assert.ok(classes.split(',').includes(words.unbalance), `state bands ${classes}`);
      // The raw data of the range, filtered by fault type, paged.
      await page.click('[data-testid="raw-toggle"]');
      await page.waitForSelector('[data-testid="raw-table"]', { timeout: 15_000 });
      await page.selectOption('[data-testid="raw-filter-fault_type"]', '1');
      await page.waitForFunction(
        () => {
          const cells = [...document.querySelectorAll('[data-testid="raw-table"] td[data-metric="fault_type"]')];
          return cells.length > 0 && cells.every((c) => c.getAttribute('data-value') === '1');
        },
        undefined,
        { timeout: 15_000 },
      );
      assert.equal(await page.getAttribute('[data-testid="raw-table"]', 'data-rows'), '50');
      await page.click('[data-testid="raw-older"]');
      await page.waitForFunction(() => /2/.test(document.querySelector('[data-testid="raw-page"]')?.textContent ?? ''));
      await page.waitForSelector('[data-testid="raw-table"] td[data-metric="fault_type"][data-value="1"]', { timeout: 15_000 });
      await check(tab, `${lang} vibration device`);
      await shot('03-states-raw');

      // A battery cell: thresholds from its profile and its rules, a z-score outlier, overlays over the whole range.
      await page.goto(`${app.httpUrl}/#/devices/${histId}`);
      await page.click('[data-testid="span-1h"]');
      await page.waitForFunction(() => document.querySelector('[data-testid="chart"]')?.getAttribute('data-resolution') !== 'live', undefined, {
        timeout: 15_000,
      });
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart"]')?.getAttribute('data-thresholds')) > 0, undefined, {
        timeout: 10_000,
      });
      await page.click('[data-testid="overlay-toggle-ma5m"]');
      // The moving average has a value from the left edge on, not only from the moment it was toggled.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart"]')?.getAttribute('data-overlay-coverage')) > 0.95, undefined, {
        timeout: 15_000,
      });
      await page.click('[data-testid="overlay-toggle-outliers"]');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart"]')?.getAttribute('data-outliers')) > 0, undefined, {
        timeout: 10_000,
      });
      await page.click('[data-testid="span-6h"]');
      await page.waitForFunction(
        () => {
          const c = document.querySelector('[data-testid="chart"]');
          return c?.getAttribute('data-view') === `follow:${6 * 3_600_000}` && Number(c?.getAttribute('data-overlay-coverage')) > 0.95;
        },
        undefined,
        { timeout: 15_000 },
      );
      await shot('04-thresholds-overlays');
      // A day of imported history, a week back, in one step.
      const day = new Date(now - 7 * DAY);
      const ymd = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
      await page.fill('[data-testid="day-picker"]', ymd);
      await page.waitForFunction(
        () => {
          const c = document.querySelector('[data-testid="chart"]');
          return c?.getAttribute('data-view') === 'fixed' && Number(c?.getAttribute('data-rows')) > 100;
        },
        undefined,
        { timeout: 15_000 },
      );
      assert.equal(await page.inputValue('[data-testid="day-picker"]'), ymd);
      await check(tab, `${lang} device`);
      await shot('05-day-picked');

      // Toasts: many alarms at once; a few shown, the rest a count; none over the chart's controls or export.
      if (lang === 'ko') {
        await page.goto(`${app.httpUrl}/#/devices/ina219-01`);
        await page.waitForSelector('[data-testid="chart"][data-drawn="true"]', { timeout: 15_000 });
        for (const [i, severity] of (['critical', 'major', 'minor', 'warning', 'critical'] as const).entries())
          await api('/api/v1/rules', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              name: `always ${i}`,
              severity,
              scope: 'device',
              target: 'ina219-01',
              kind: 'threshold',
              metric: 'v',
              op: '>',
              value: -1000 + i,
            }),
          });
        await page.waitForSelector('[data-testid="toast-more"]', { timeout: 20_000 });
        assert.ok((await page.$$('[data-testid="toast"]')).length <= 3, 'at most three toasts on screen');
        const boxes = await Promise.all((await page.$$('[data-testid="toast"]')).map((e) => e.boundingBox()));
        const guarded = ['[data-testid="export-csv"]', '[data-testid="span-60s"]', '[data-testid="follow-live"]', '[data-testid="overlay-toggle-ma1m"]'];
        for (const sel of guarded) {
          const b = await page.locator(sel).boundingBox();
          for (const tb of boxes) assert.ok(b && tb && !overlaps(tb, b), `a toast covers ${sel}`);
        }
        await shot('06-toasts', { fullPage: false });
        await check(tab, 'ko toasts');
        // Clearing a critical alarm: its "cleared" toast leaves by itself (only raised critical ones stay).
        // Raised by the next reading the rules see: toasts of the others may be on screen before it is.
        const crit = await until(
          async () =>
            (await api<{ alarms: { id: number; severity: string }[] }>('/api/v1/alarms?device=ina219-01&status=active_unacked')).alarms.find(
              (a) => a.severity === 'critical',
            ),
          { timeoutMs: 15_000, what: "an active critical alarm of ina219-01's rules" },
        );
        await page.click('[data-testid="toast-dismiss-all"]');
        await api(`/api/v1/alarms/${crit.id}/clear`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'e2e' }) });
        const cleared = await page.waitForSelector(`[data-testid="toast"][data-alarm="${crit.id}"][data-event="cleared"]`, { timeout: 15_000 });
        assert.equal(await cleared.getAttribute('data-sticky'), 'false');
        // While the pointer moves over the page no toast leaves by itself, past their 8 s (leaving would move the page
        // under the pointer). Counted shown + collapsed: the simulated devices' own alarms may push this one into the count.
        const clearedSel = `[data-testid="toast"][data-alarm="${crit.id}"][data-event="cleared"]`;
        const toastTotal = () =>
          page.evaluate(
            () =>
              document.querySelectorAll('[data-testid="toast"]').length +
              Number(document.querySelector('[data-testid="toast-more"]')?.getAttribute('data-count') ?? 0),
          );
        const before = await toastTotal();
        for (let i = 0; i < 20; i++) {
          await page.mouse.move(300 + (i % 2) * 40, 500);
          await page.waitForTimeout(500);
        }
        const held = await toastTotal();
        assert.ok(held >= before, `no toast left while the pointer moved over the page: ${before} before, ${held} after 10 s`);
        // ...and leaves by itself once the pointer rests.
        await page.waitForSelector(clearedSel, { state: 'detached', timeout: 30_000 });
      }

      // Alarms and not-found pages pass axe too.
      await page.goto(`${app.httpUrl}/#/alarms`);
      await page.waitForSelector('[data-testid="alarm-list"], [data-testid="no-alarms"]', { timeout: 10_000 });
      assert.equal((await page.textContent('h1.page-title'))?.trim(), words.alarms);
      await check(tab, `${lang} alarms`);
      await shot('07-alarms');
      await page.goto(`${app.httpUrl}/#/nowhere`);
      await page.waitForSelector('[data-testid="not-found"]');
      await check(tab, `${lang} not found`);
      await tab.close();
    }

    // The unknown device: its page says so and fires no request that fails.
    const { page, chooseLanguage } = await open('en');
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
    await page.goto(`${app.httpUrl}/#/devices/no-such-device`);
    await page.waitForSelector('[data-testid="device-missing"]', { timeout: 10_000 });
    await page.waitForLoadState('networkidle');
    assert.deepEqual(failed, []);
    // Switching to Korean from the header's menu translates the page in place.
    await chooseLanguage('ko');
    await page.waitForFunction(
      () => document.documentElement.lang === 'ko' && /장치가 없습니다/.test(document.querySelector('[data-testid="device-missing"]')?.textContent ?? ''),
    );

    // A phone: no sideways scroll on the table view or a device page.
    const { page: phone, shot: phoneShot } = await open('ko', { width: 390, height: 844 });
    await phone.goto(app.httpUrl + '/');
    await phone.click('[data-testid="view-table"]');
    await phone.waitForSelector('[data-testid="device-table"]');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the phone table view scrolls sideways by ${overflow}px`);
    await phone.goto(`${app.httpUrl}/#/devices/battery-01`);
    await phone.waitForSelector('[data-testid="chart"][data-drawn="true"]', { timeout: 15_000 });
    const overflow2 = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow2 <= 1, `the phone device page scrolls sideways by ${overflow2}px`);
    await phoneShot('08-phone');

    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
  },
);
