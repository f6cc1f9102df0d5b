// The admin screens of issue 18, in English and in Korean: bulk import (a refused file format at its
// field, counts and a rejected line, a re-import that stores nothing), raw retention per device (an
// admin's change with the API's rule at its field; an operator may only look), the audit log
// (filtered by who and what, equal to the API's own answer; admins only), alarm statistics over a
// period (equal to the API's), and a model bundle upload with the manifest's error at its field.
// Each result is checked through the API; axe-core (light and dark) on each page; screenshots kept.
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needChromium, startBrowserSuite } from '../helpers/browser.js';
import { until } from '../helpers/app.js';
import { catalogues, type Language } from '../../web/src/i18n/catalogues.js';
import type { AlarmStats, Rule } from '../../src/model/alarm.js';
import type { AuditEntry } from '../../src/model/audit.js';
import type { TelemetryResponse } from '../../src/model/telemetry.js';

const chromium = needChromium('admin screens e2e');
const BUNDLE = new URL('../fixtures/serve_ml/press-01/3/v1/', import.meta.url).pathname;

test(
  'admin screens on screen, in English and Korean: import, retention, audit log, alarm statistics, bundle upload',
  { skip: chromium.skip, timeout: 400_000 },
  async (t) => {
    const { app, api, open, adminPassword } = await startBrowserSuite(t, { locked: true });
    const files = mkdtempSync(join(tmpdir(), 'fieldscope-admin-e2e-'));
    t.after(() => rmSync(files, { recursive: true, force: true }));
    const passwords = { olga: `o-${randomBytes(12).toString('base64url')}`, vera: `v-${randomBytes(12).toString('base64url')}` };
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'olga', password: passwords.olga, role: 'operator' }) });
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'vera', password: passwords.vera, role: 'viewer' }) });

    // Alarms to count: one rule, three tanks over it, one acknowledged and one cleared.
    const rule = await api<Rule>('/api/v1/rules', {
      method: 'POST',
      body: JSON.stringify({ name: 'hot tank', severity: 'major', scope: 'all', kind: 'threshold', metric: 't', op: '>', value: 50 }),
    });
    for (const tank of ['tank-1', 'tank-2', 'tank-3']) await api(`/api/v1/devices/${tank}/telemetry`, { method: 'POST', body: JSON.stringify({ t: 70 }) });
    const alarms = await until(async () => {
      const r = await api<{ alarms: { id: number; device: string }[] }>('/api/v1/alarms?status=open');
      return r.alarms.length === 3 ? r.alarms : undefined;
    });
    await api(`/api/v1/alarms/${alarms[0].id}/ack`, { method: 'POST', body: JSON.stringify({}) });
    await api(`/api/v1/alarms/${alarms[1].id}/clear`, { method: 'POST', body: JSON.stringify({}) });

    for (const lang of ['en', 'ko'] as Language[]) {
      const M = catalogues[lang];
      const tab = await open({ lang, bypassCSP: true, shots: `admin-${lang}-` });
      const { page, text, shot, signIn, signOut } = tab;
      const axe = (what: string) => tab.expectAccessible(`${lang} ${what}`);
      const device = `imp-${lang}`;

      await t.test(`${lang}: bulk import: format refused at its field, counts and the rejected line, a re-import stores nothing`, async () => {
        await signIn('olga', passwords.olga);
        await page.goto(`${app.httpUrl}/#/manage/import`);
        await page.waitForSelector('[data-testid="import-form"]', { timeout: 10_000 });
        assert.equal(await text('[data-testid="tab-import"]'), M.tasks.screen.import);
        assert.equal(await page.$('[data-testid="tab-audit"]'), null, 'the audit log is for admins');
        // Nothing chosen: the browser's rule under the API's name.
        await page.click('[data-testid="import-run"]');
        await page.waitForSelector('[data-testid="field-error-file"][data-rule="required"]');
        assert.equal(await text('[data-testid="field-error-file"]'), M.tasks.rule.required);
        // Five rows a minute apart ending a minute ago; the fourth has text in a metric column.
        const t0 = Date.now() - 6 * 60_000;
        const rows = [0, 1, 2, 3, 4].map((i) => `${new Date(t0 + i * 60_000).toISOString()},${i === 3 ? 'hot' : 20 + i},${1200 + i}`);
        const csv = `time,Temp C,RPM\n${rows.join('\n')}\n`;
        const odd = join(files, `history-${lang}.txt`);
        writeFileSync(odd, csv);
        await page.setInputFiles('[data-testid="import-file"]', odd);
        await page.fill('[data-testid="import-device"]', device);
        await page.fill('[data-testid="import-map"]', 'Temp C=temperature,RPM=speed');
        await page.click('[data-testid="import-run"]');
        await page.waitForSelector('[data-testid="field-error-format"][data-rule="format"]');
        assert.equal(await text('[data-testid="field-error-format"]'), M.imports.rule.format);
        const file = join(files, `history-${lang}.csv`);
        writeFileSync(file, csv);
        await page.setInputFiles('[data-testid="import-file"]', file);
        await page.click('[data-testid="import-run"]');
        const result = await page.waitForSelector('[data-testid="import-result"]', { timeout: 30_000 });
        const count = async (k: string) => Number(await result.getAttribute(`data-${k}`));
        assert.equal(await count('rows'), 5);
        assert.equal(await count('rejected'), 1);
        const stored = await count('stored');
        // What the store holds is what the screen says was stored: 4 rows of 2 metrics.
        const held = await api<TelemetryResponse>(`/api/v1/devices/${device}/telemetry?from=${t0 - 1000}&to=${Date.now()}&limit=1000`);
        const readings = Object.values(held.series).reduce((n, s) => n + s.ts.length, 0);
        assert.deepEqual([stored, readings, Object.keys(held.series).sort().join(',')], [8, 8, 'speed,temperature']);
        // The refused row by its line (the header is line 1), with the field and the rule.
        const bad = await page.waitForSelector('[data-testid="import-rejected-5"]');
        assert.ok(await bad.getAttribute('data-rule'), 'the rule of the refused row');
        assert.ok(await bad.getAttribute('data-field'), 'the field of the refused row');
        await axe('import');
        await shot('01-import');
        // Again: nothing new, all already stored.
        await page.click('[data-testid="import-run"]');
        await page.waitForFunction(() => document.querySelector('[data-testid="import-result"]')?.getAttribute('data-stored') === '0', undefined, {
          timeout: 30_000,
        });
        assert.equal(await page.getAttribute('[data-testid="import-result"]', 'data-already'), '8');
        assert.equal((await text('[data-testid="import-count-alreadyStored"] dd')).replace(/\D/g, ''), '8', 'the count by Intl in the language');
      });

      await t.test(`${lang}: bulk import: an upload cut off by a reload says where it stood and continues from the server's checkpoint`, async () => {
        // 70,000 rows: the server commits (and checkpoints) every 50,000.
        const rowsN = 70_000;
        const t0 = Date.UTC(2025, 3, 1) + (lang === 'en' ? 0 : 86_400_000);
        const lines = ['time,v'];
        for (let i = 0; i < rowsN; i++) lines.push(`${new Date(t0 + i * 1000).toISOString()},${i % 1000}`);
        const body = Buffer.from(lines.join('\n') + '\n');
        const big = join(files, `long-${lang}.csv`);
        writeFileSync(big, body);
        const key = `sha256:${createHash('sha256').update(body.subarray(0, 65536)).digest('hex')}:${body.length}`;
        // null until the import has committed something (404).
        const checkpoint = () =>
          api<{ offset: number; line: number; done: boolean }>(`/api/v1/import/checkpoints/${encodeURIComponent(key)}`).catch(() => null);
        const dev = `imp-long-${lang}`;
        await page.goto(`${app.httpUrl}/#/manage/import`);
        await page.waitForSelector('[data-testid="import-form"]', { timeout: 10_000 });
        await page.setInputFiles('[data-testid="import-file"]', big);
        await page.fill('[data-testid="import-device"]', dev);
        // The screen is as the test before left it: its column names are not this file's.
        await page.fill('[data-testid="import-map"]', '');
        // A slow uplink (200 kB/s), so the page can be reloaded while the upload is under way.
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 200_000 });
        await page.click('[data-testid="import-run"]');
        // Asked twice a second, not at until()'s pace: the locked app limits each caller's request rate.
        let cp: { offset: number; line: number; done: boolean } | null = null;
        for (let i = 0; i < 120 && !(cp && cp.offset > 0); i++) {
          await new Promise((r) => setTimeout(r, 500));
          cp = await checkpoint();
        }
        assert.ok(
          cp && cp.offset > 0,
          `the first commit of the upload (${await page.textContent('[data-testid="import-progress"]').catch(() => 'no progress')})`,
        );
        assert.equal(cp.done, false, 'reloaded before the end');
        // Reloaded while the rest is still on its way (un-throttled first, the upload would finish).
        await page.reload();
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
        await cdp.detach();
        await page.waitForSelector('[data-testid="import-form"]', { timeout: 10_000 });
        // After the reload: where the import stands, by the server's checkpoint; the form as it was sent.
        const note = await page.waitForSelector('[data-testid="import-pending"]', { timeout: 10_000 });
        const at = (await checkpoint())!;
        assert.equal(Number(await note.getAttribute('data-line')), at.line);
        assert.match((await note.textContent()) ?? '', new RegExp(`long-${lang}\\.csv`));
        assert.equal(await page.inputValue('[data-testid="import-device"]'), dev);
        await axe('import, cut off');
        await shot('02-import-pending');
        // The same file again: offered to continue from the checkpoint, by keyboard.
        await page.setInputFiles('[data-testid="import-file"]', big);
        await page.waitForSelector(`[data-testid="import-resumable"][data-offset="${at.offset}"]`, { timeout: 10_000 });
        assert.notEqual(await text('[data-testid="import-run"]'), M.imports.run);
        assert.equal(await text('[data-testid="import-restart"]'), M.imports.restart);
        await page.focus('[data-testid="import-run"]');
        await page.keyboard.press('Enter');
        const result = await page.waitForSelector('[data-testid="import-resumed"]', { timeout: 60_000 });
        assert.equal(Number(await result.getAttribute('data-line')), at.line);
        // Only the rows after the checkpoint were read again (the header is line 1).
        assert.equal(Number(await page.getAttribute('[data-testid="import-result"]', 'data-rows')), rowsN - (at.line - 2));
        assert.equal((await checkpoint())?.done, true);
        assert.equal(await page.$('[data-testid="import-pending"]'), null, 'nothing left pending');
        await shot('03-import-resumed');
        // Every row is in the store once: the whole file again stores nothing.
        await page.click('[data-testid="import-run"]');
        await page.waitForFunction((n) => document.querySelector('[data-testid="import-result"]')?.getAttribute('data-already') === String(n), rowsN, {
          timeout: 60_000,
        });
        assert.equal(await page.getAttribute('[data-testid="import-result"]', 'data-stored'), '0');
      });

      await t.test(`${lang}: an operator sees retention but may not change it; alarm statistics equal the API's; a bundle upload`, async () => {
        await page.goto(`${app.httpUrl}/#/manage/retention`);
        await page.waitForSelector(`[data-testid="retention-row-${device}"]`, { timeout: 10_000 });
        assert.equal(await page.$('[data-testid="retention-form"]'), null);
        assert.ok(await page.$('[data-testid="role-note"]'));

        await page.goto(`${app.httpUrl}/#/manage/stats`);
        await page.waitForSelector('[data-testid="stats-form"]', { timeout: 10_000 });
        // A custom period that ends before it starts: refused at "from".
        await page.selectOption('[data-testid="stats-period"]', 'custom');
        await page.fill('[data-testid="stats-from"]', '2026-01-02T00:00');
        await page.fill('[data-testid="stats-to"]', '2026-01-01T00:00');
        await page.click('[data-testid="stats-apply"]');
        await page.waitForSelector('[data-testid="field-error-from"][data-rule="order"]');
        assert.equal(await text('[data-testid="field-error-from"]'), M.tasks.ruleAt.from.order);
        await page.selectOption('[data-testid="stats-period"]', 'all');
        await page.click('[data-testid="stats-apply"]');
        await page.waitForSelector('[data-testid="stats-result"][data-from=""]', { timeout: 10_000 });
        const stats = await api<AlarmStats>('/api/v1/alarms/stats');
        assert.equal(Number(await page.getAttribute('[data-testid="stats-result"]', 'data-total')), stats.total);
        assert.equal(Number(await page.getAttribute('[data-testid="stats-result"]', 'data-open')), stats.open);
        const row = `[data-testid="stats-rule-${rule.id}"]`;
        const byRule = stats.byRule!.find((r) => r.key === rule.id)!;
        assert.deepEqual(
          [await page.getAttribute(row, 'data-count'), await page.getAttribute(row, 'data-open'), await page.getAttribute(row, 'data-acked')],
          [String(byRule.count), String(byRule.open), String(byRule.acked)],
        );
        assert.deepEqual([byRule.count, byRule.open, byRule.acked], [3, 2, 1]);
        assert.equal(await page.getAttribute(row, 'data-ack-mean'), String(byRule.toAck.meanMs));
        assert.equal(await page.getAttribute('[data-testid="stats-device-tank-2"]', 'data-count'), '1');
        assert.match(await text(`${row} td:first-child`), /hot tank/);
        await axe('alarm statistics');
        await shot('02-alarm-stats');

        // A bundle upload: a manifest with a bad window is refused at manifest.window; then a good one.
        await page.goto(`${app.httpUrl}/#/manage/models`);
        await page.waitForSelector('[data-testid="bundle-upload-form"]', { timeout: 10_000 });
        assert.equal(await text('[data-testid="bundle-upload-form"] h2'), M.modelupload.title);
        const manifest = {
          ...JSON.parse(readFileSync(join(BUNDLE, 'manifest.json'), 'utf8')),
          equipment_id: `press-${lang}`,
          power: 'default',
          power_range: null,
          model_version: 'ui1',
        };
        const bad = join(files, `bad-${lang}.json`);
        writeFileSync(bad, JSON.stringify({ ...manifest, window: 0 }));
        await page.setInputFiles('[data-testid="bundle-manifest"]', bad);
        await page.setInputFiles('[data-testid="bundle-files"]', [join(BUNDLE, 'autoencoder.onnx'), join(BUNDLE, 'rul.onnx')]);
        await page.click('[data-testid="bundle-upload"]');
        await page.waitForSelector('[data-testid="field-error-manifest.window"][data-rule="range"]', { timeout: 15_000 });
        assert.match(await text('[data-testid="field-error-manifest.window"]'), new RegExp(M.modelupload.rule.range.replace(/[.()]/g, '\\$&')));
        await axe('bundle upload refused');
        await shot('03-bundle-refused');
        const good = join(files, `manifest-${lang}.json`);
        writeFileSync(good, JSON.stringify(manifest));
        await page.setInputFiles('[data-testid="bundle-manifest"]', good);
        await page.click('[data-testid="bundle-upload"]');
        await page.waitForSelector('[data-testid="bundle-uploaded"]', { timeout: 30_000 });
        const id = `press-${lang}/default/ui1`;
        assert.equal(await page.getAttribute('[data-testid="bundle-uploaded"]', 'data-bundle'), id);
        const listed = (await api<{ bundles: { id: string; origin: string }[] }>('/api/v1/serve-ml/bundles')).bundles.find((b) => b.id === id);
        assert.equal(listed?.origin, 'upload');
        await page.waitForSelector(`[data-testid="model-row-${id}"]`, { timeout: 10_000 });
        // The same version again: the 409 is said at the manifest's model_version.
        await page.click('[data-testid="bundle-upload"]');
        await page.waitForSelector('[data-testid="field-error-manifest.model_version"][data-rule="unique"]', { timeout: 15_000 });
        await signOut();
      });

      await t.test(`${lang}: an admin sets a device's raw retention and reads the audit log`, async () => {
        await signIn('admin', adminPassword!);
        await page.goto(`${app.httpUrl}/#/manage/retention`);
        await page.waitForSelector('[data-testid="retention-form"]', { timeout: 10_000 });
        await page.selectOption('[data-testid="retention-device"]', device);
        await page.fill('[data-testid="retention-hours"]', '0');
        await page.click('[data-testid="retention-save"]');
        await page.waitForSelector('[data-testid="field-error-rawRetentionHours"][data-rule="exclusiveMinimum"]');
        assert.equal(await text('[data-testid="field-error-rawRetentionHours"]'), M.tasks.rule.exclusiveMinimum);
        await page.fill('[data-testid="retention-hours"]', '72');
        await page.click('[data-testid="retention-save"]');
        await page.waitForSelector(`[data-testid="retention-row-${device}"][data-hours="72"][data-source="device"]`, { timeout: 10_000 });
        const set = await api<{ rawRetentionHours: number; source: string; override: number | null }>(`/api/v1/devices/${device}/retention`);
        assert.deepEqual([set.rawRetentionHours, set.source, set.override], [72, 'device', 72]);
        await axe('retention');
        await shot('04-retention');
        await page.click('[data-testid="retention-reset"]');
        await page.waitForSelector(`[data-testid="retention-row-${device}"]:not([data-source="device"])`, { timeout: 10_000 });
        assert.equal((await api<{ override: number | null }>(`/api/v1/devices/${device}/retention`)).override, null);

        await page.goto(`${app.httpUrl}/#/manage/audit`);
        await page.waitForSelector('[data-testid="audit-table"]', { timeout: 10_000 });
        await page.fill('[data-testid="audit-actor"]', 'olga');
        await page.selectOption('[data-testid="audit-method"]', 'POST');
        await page.fill('[data-testid="audit-route"]', '/api/v1/import');
        await page.click('[data-testid="audit-filter"]');
        const want = (await api<{ entries: AuditEntry[] }>('/api/v1/audit?actor=olga&method=POST&route=/api/v1/import&limit=50')).entries;
        assert.ok(want.length >= 2, `olga's imports are in the log (${want.length})`);
        await page.waitForFunction(
          (n) => {
            const rows = [...document.querySelectorAll('[data-testid^="audit-row-"]')];
            return rows.length === n && rows.every((r) => r.getAttribute('data-actor') === 'olga' && r.getAttribute('data-route') === '/api/v1/import');
          },
          want.length,
          { timeout: 10_000 },
        );
        const shown = await page.$$eval('[data-testid^="audit-row-"]', (rows) =>
          rows.map((r) => Number(r.getAttribute('data-testid')!.slice('audit-row-'.length))),
        );
        assert.deepEqual(
          shown,
          want.map((e) => e.id),
        );
        // The retention change just made is there too, by the admin.
        await page.fill('[data-testid="audit-actor"]', 'admin');
        await page.selectOption('[data-testid="audit-method"]', 'PUT');
        await page.fill('[data-testid="audit-route"]', '/api/v1/devices');
        await page.click('[data-testid="audit-filter"]');
        await page.waitForSelector(`[data-testid^="audit-row-"][data-route="/api/v1/devices/:id/retention"][data-actor="admin"]`, { timeout: 10_000 });
        // A period that ends before it starts: refused at "from".
        await page.fill('[data-testid="audit-from"]', '2026-01-02T00:00');
        await page.fill('[data-testid="audit-to"]', '2026-01-01T00:00');
        await page.click('[data-testid="audit-filter"]');
        await page.waitForSelector('[data-testid="field-error-from"][data-rule="order"]');
        await axe('audit log');
        await shot('05-audit');
        await signOut();
      });

      await t.test(`${lang}: a viewer may look at statistics but not import`, async () => {
        await signIn('vera', passwords.vera);
        await page.goto(`${app.httpUrl}/#/manage/import`);
        await page.waitForSelector('[data-testid="screen-import"] [data-testid="role-note"]', { timeout: 10_000 });
        assert.equal(await page.$('[data-testid="import-form"]'), null);
        assert.equal(await page.$('[data-testid="tab-audit"]'), null);
        await axe('import viewer');
        await page.goto(`${app.httpUrl}/#/manage/stats`);
        await page.waitForSelector('[data-testid="stats-result"]', { timeout: 10_000 });
        await signOut();
      });
      assert.deepEqual(tab.errors, [], `${lang}: page errors`);
      await tab.close();
    }
  },
);
