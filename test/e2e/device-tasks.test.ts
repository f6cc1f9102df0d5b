// The device registry on screen (issue 18), in English and in Korean: a device's name, location and
// tags edited on its page, its profile bound and unbound, a device removed after a confirmation that
// names it, its own OTA history; equipment renamed and removed in the tree; a firmware image whose
// removal is refused in its row while a rollout sends it; a rollout to a list of devices that is one
// rollout, N at a time across the list. Every result is checked through the API; each page gets an
// axe-core check in the light and the dark theme and a screenshot; a viewer sees no change control.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireServices } from '../helpers/services.js';
import { launchChromium } from '../helpers/browser.js';
import { ensureWebBuild, e2eArtifacts } from '../helpers/web-build.js';
import { until } from '../helpers/app.js';
import { bearer, login, startLockedApp } from '../helpers/auth.js';
import { seriousViolations } from '../helpers/axe.js';
import { catalogues, type Language } from '../../web/src/i18n/catalogues.js';
import type { DeviceInfo } from '../../src/model/device.js';
import type { OtaJob, Rollout } from '../../src/model/device-admin.js';

const chromium = requireServices('device tasks e2e', 'chromium');

test(
  'device registry, equipment, firmware removal and list rollouts on screen, in English and Korean',
  { skip: chromium.skip, timeout: 600_000 },
  async (t) => {
    ensureWebBuild();
    mkdirSync(e2eArtifacts, { recursive: true });
    // Devices here send over HTTP only: an ota command waits (2 min) for an answer, so a rollout stays running until cancelled.
    const locked = await startLockedApp({ commandAckTimeoutMs: 120_000 });
    const { app } = locked;
    const browser = await launchChromium(t);
    t.after(() => locked.remove());
    const admin = await login(app.httpUrl, 'admin', locked.adminPassword);
    const call = (path: string, init: RequestInit = {}) =>
      fetch(app.httpUrl + path, {
        ...init,
        headers: { 'content-type': 'application/json', ...bearer(admin.accessToken), ...(init.headers as Record<string, string>) },
      });
    const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
      const res = await call(path, init);
      const body = await res.text();
      assert.ok(res.ok, `${init.method ?? 'GET'} ${path}: ${res.status} ${body.slice(0, 300)}`);
      return (body ? JSON.parse(body) : undefined) as T;
    };
    const passwords = { olga: `o-${randomBytes(12).toString('base64url')}`, vera: `v-${randomBytes(12).toString('base64url')}` };
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'olga', password: passwords.olga, role: 'operator' }) });
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'vera', password: passwords.vera, role: 'viewer' }) });

    for (const lang of ['en', 'ko'] as Language[]) {
      const M = catalogues[lang];
      const [devA, devB, devC, gone] = ['a', 'b', 'c', 'gone'].map((x) => `meter-${x}-${lang}`);
      const now = Date.now();
      for (const id of [devA, devB, devC, gone])
        await api(`/api/v1/devices/${id}/telemetry`, { method: 'POST', body: JSON.stringify({ profile: 'ina219', ts: now - 1000, v: 5, a: 0.5, w: 2.5 }) });

      const context = await browser.newContext({ locale: lang === 'ko' ? 'ko-KR' : 'en-US', viewport: { width: 1280, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const shot = (name: string) => page.screenshot({ path: join(e2eArtifacts, `devices-${lang}-${name}.png`), fullPage: true });
      const axe = async (what: string) => {
        const v = await seriousViolations(page);
        assert.deepEqual(v, [], `${lang} ${what}: axe: ${v.join('; ')}`);
      };
      const text = async (sel: string) => ((await page.textContent(sel)) ?? '').trim();
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
      /** Tab until the control has the focus: it is reachable by keyboard. */
      const tabTo = async (testId: string) => {
        for (let i = 0; i < 200; i++) {
          if ((await focused()) === testId) return;
          await page.keyboard.press('Tab');
        }
        assert.fail(`${lang}: ${testId} is not reachable by Tab`);
      };
      const signIn = async (user: string, password: string) => {
        await page.goto(`${app.httpUrl}/#/login`);
        await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
        await page.fill('[data-testid="login-username"]', user);
        await page.fill('[data-testid="login-password"]', password);
        await page.click('[data-testid="login-submit"]');
        await page.waitForSelector('[data-testid="account-name"]', { timeout: 10_000 });
      };
      const openDevice = async (id: string) => {
        await page.goto(`${app.httpUrl}/#/devices/${encodeURIComponent(id)}`);
        await page.waitForSelector('[data-testid="device-registry"]', { timeout: 10_000 });
        await page.waitForSelector('[data-testid="device-ota-empty"], [data-testid="device-ota-table"]', { timeout: 10_000 });
      };
      const device = (id: string) => api<DeviceInfo>(`/api/v1/devices/${encodeURIComponent(id)}`);

      await t.test(`${lang}: device page: name, location and tags edited by keyboard, checked as the API does`, async () => {
        await signIn('olga', passwords.olga);
        await openDevice(devA);
        await tabTo('device-edit');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-testid="device-form"]');
        const name = lang === 'en' ? 'Pump 3 power meter' : '3번 펌프 전력계';
        const location = lang === 'en' ? 'Busan depot / Line 2' : '부산 차량기지 / 2호선';
        await page.fill('[data-testid="device-name-input"]', name);
        await page.fill('[data-testid="device-location-input"]', location);
        // 65 tags: more than the API takes, said at the field under the API's rule name, nothing sent.
        await page.fill('[data-testid="device-tags-input"]', Array.from({ length: 65 }, (_, i) => `t${i}`).join(','));
        await page.click('[data-testid="device-save"]');
        await page.waitForSelector('[data-testid="field-error-tags"]');
        assert.equal(await page.getAttribute('[data-testid="field-error-tags"]', 'data-rule'), 'maxItems');
        assert.equal(await text('[data-testid="field-error-tags"]'), M.deviceAdmin.rule.maxItems);
        assert.equal((await device(devA)).name ?? null, null, 'nothing saved');
        await page.fill('[data-testid="device-tags-input"]', 'line-2, critical');
        // Saved by keyboard: Enter in the form.
        await page.focus('[data-testid="device-tags-input"]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-testid="device-saved"]', { timeout: 10_000 });
        const d = await device(devA);
        assert.deepEqual([d.name, d.location, d.tags, d.profile], [name, location, ['line-2', 'critical'], 'ina219'], 'PATCH keeps the profile');
        // The page shows what was saved (the device store tells the page within a frame or two).
        await page.waitForFunction(
          ([n, l]) =>
            document.querySelector('[data-testid="device-name"]')?.textContent === n &&
            document.querySelector('[data-testid="device-location"]')?.textContent === l,
          [name, location] as const,
        );
        await axe('device page, registry');
        await shot('device-registry');
      });

      await t.test(`${lang}: device page: notes edited on screen, the API's refusal shown at the field`, async () => {
        await tabTo('device-edit');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-testid="device-form"]');
        // Longer than the API takes (4,000): the browser lets it through, the API's field and rule come back at the field.
        await page.fill('[data-testid="device-notes-input"]', 'x'.repeat(4001));
        await page.click('[data-testid="device-save"]');
        await page.waitForSelector('[data-testid="field-error-notes"]', { timeout: 10_000 });
        assert.equal(await page.getAttribute('[data-testid="field-error-notes"]', 'data-rule'), 'maxLength');
        assert.equal(await text('[data-testid="field-error-notes"]'), M.deviceAdmin.rule.maxLength);
        assert.equal((await device(devA)).notes ?? null, null, 'nothing saved');
        const notes = lang === 'en' ? 'Shunt replaced 2026-11-02.\nCheck the fuse at the next visit.' : '2026-11-02 션트 교체.\n다음 점검 때 퓨즈 확인.';
        await page.fill('[data-testid="device-notes-input"]', notes);
        await page.focus('[data-testid="device-save"]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-testid="device-saved"]', { timeout: 10_000 });
        const d = await device(devA);
        assert.equal(d.notes, notes);
        assert.deepEqual(d.tags, ['line-2', 'critical'], 'the other fields kept');
        await page.waitForFunction((n) => document.querySelector('[data-testid="device-notes"]')?.textContent === n, notes);
        await axe('device page, notes');
      });

      await t.test(`${lang}: device page: bound to a profile, then unbound`, async () => {
        await page.selectOption('[data-testid="device-profile-select"]', 'battery');
        await page.click('[data-testid="device-profile-bind"]');
        await page.waitForSelector('[data-testid="device-bound"]', { timeout: 10_000 });
        await until(async () => (await device(devA)).profile === 'battery', { what: 'bound to battery' });
        await page.waitForFunction(() => document.querySelector('[data-testid="device-profile"]')?.getAttribute('title') === 'battery');
        assert.equal((await device(devA)).name, lang === 'en' ? 'Pump 3 power meter' : '3번 펌프 전력계', 'binding keeps the name');
        await page.selectOption('[data-testid="device-profile-select"]', '');
        await page.click('[data-testid="device-profile-bind"]');
        await until(async () => (await device(devA)).profile === null, { what: 'unbound' });
        await page.waitForFunction((want) => document.querySelector('[data-testid="device-profile"]')?.textContent === want, M.general.noProfile);
        await api(`/api/v1/devices/${devA}/profile`, { method: 'PUT', body: JSON.stringify({ profile: 'ina219' }) });
      });

      await t.test(`${lang}: device removed after a confirmation naming it`, async () => {
        await openDevice(gone);
        // By keyboard: the button takes the focus, Enter asks.
        await page.focus('[data-testid="device-remove"]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-testid="device-remove-confirm"]');
        assert.equal(await focused(), 'device-remove-no', 'the focus is on "keep"');
        assert.ok((await text('[data-testid="device-remove-confirm"]')).includes(gone), 'the confirmation names the device');
        assert.ok((await text('[data-testid="device-remove-yes"]')).includes(gone));
        await axe('device page, removal asked');
        await shot('device-remove');
        await page.keyboard.press('Enter');
        await page.waitForSelector('[data-testid="device-remove"]');
        assert.equal((await call(`/api/v1/devices/${gone}`)).status, 200, 'kept');
        await page.click('[data-testid="device-remove"]');
        await page.click('[data-testid="device-remove-yes"]');
        await page.waitForFunction(() => location.hash === '#/' || location.hash === '');
        assert.equal((await call(`/api/v1/devices/${gone}`)).status, 404, 'removed');
      });

      let fwId = '';
      let rolloutId = '';
      const version = `5.0.${lang === 'en' ? 1 : 2}`;
      await t.test(`${lang}: OTA: a list of devices is one rollout, N at a time across the list`, async () => {
        await page.goto(`${app.httpUrl}/#/manage/ota`);
        await page.waitForSelector('[data-testid="firmware-form"]', { timeout: 10_000 });
        await page.setInputFiles('[data-testid="firmware-file"]', {
          name: `meter-${lang}.bin`,
          mimeType: 'application/octet-stream',
          buffer: randomBytes(2048),
        });
        await page.fill('[data-testid="firmware-version"]', version);
        await page.click('[data-testid="firmware-upload"]');
        await page.waitForSelector(`[data-testid="firmware-row-${version}"]`, { timeout: 10_000 });
        fwId = (await api<{ firmware: { id: string; version: string }[] }>('/api/v1/firmware')).firmware.find((f) => f.version === version)!.id;
        const before = (await api<{ rollouts: Rollout[] }>('/api/v1/rollouts')).rollouts.length;
        await page.selectOption('[data-testid="rollout-firmware"]', fwId);
        await page.selectOption('[data-testid="rollout-kind"]', 'devices');
        // A device listed twice: refused at the list as the API would (uniqueItems), nothing started.
        await page.fill('[data-testid="rollout-target"]', `${devA}, ${devB} ${devA}`);
        await page.fill('[data-testid="rollout-concurrency"]', '1');
        await page.click('[data-testid="rollout-start"]');
        await page.waitForSelector('[data-testid="field-error-devices"]');
        assert.equal(await page.getAttribute('[data-testid="field-error-devices"]', 'data-rule'), 'uniqueItems');
        assert.equal(await text('[data-testid="field-error-devices"]'), M.ota.rule.uniqueItems);
        await page.fill('[data-testid="rollout-target"]', `${devC}, ${devA} ${devB}`);
        await page.click('[data-testid="rollout-start"]');
        await page.waitForSelector('[data-testid="rollout-view"][data-status="running"]', { timeout: 10_000 });
        const rollouts = (await api<{ rollouts: Rollout[] }>('/api/v1/rollouts')).rollouts;
        assert.equal(rollouts.length, before + 1, 'one rollout for the list');
        const r = rollouts.find((x) => x.firmware === fwId)!;
        rolloutId = r.id;
        assert.deepEqual([r.target, r.concurrency], [{ kind: 'devices', value: [devA, devB, devC].sort().join(',') }, 1]);
        const { jobs } = await api<{ jobs: OtaJob[] }>(`/api/v1/rollouts/${r.id}`);
        assert.deepEqual(jobs.map((j) => j.status).sort(), ['queued', 'queued', 'sent'], 'one at a time across the list');
        await page.waitForSelector('[data-testid^="job-row-"][data-status="queued"]');
        assert.equal(await page.locator('[data-testid^="job-row-"]').count(), 3);
        await axe('ota, list rollout');
        await shot('ota-list-rollout');
      });

      await t.test(`${lang}: OTA: removing an image a running rollout sends is refused in its row`, async () => {
        await page.click(`[data-testid="firmware-remove-${version}"]`);
        await page.click(`[data-testid="firmware-remove-yes-${version}"]`);
        const err = `[data-testid="firmware-remove-error-${version}"]`;
        await page.waitForSelector(err, { timeout: 10_000 });
        assert.equal(await page.getAttribute(err, 'data-rule'), 'in_use');
        assert.equal(await text(err), M.ota.rule.in_use);
        assert.equal((await call(`/api/v1/firmware/${fwId}`)).status, 200, 'still there');
        await axe('ota, removal refused');
        await shot('ota-remove-refused');
      });

      await t.test(`${lang}: device page: its own OTA history`, async () => {
        const { jobs } = await api<{ jobs: OtaJob[] }>(`/api/v1/devices/${devA}/ota`);
        assert.equal(jobs.length, 1);
        await openDevice(devA);
        const row = `[data-testid="device-ota-row-${rolloutId}"]`;
        await page.waitForSelector(row, { timeout: 10_000 });
        assert.equal(await page.getAttribute(row, 'data-status'), jobs[0].status);
        assert.equal(await page.getAttribute(row, 'data-version'), version);
        assert.ok((await text(row)).includes(M.ota.job[jobs[0].status]), 'the status in words');
        await axe('device page, OTA history');
        await shot('device-ota');
      });

      await t.test(`${lang}: OTA: the rollout cancelled, the image removed`, async () => {
        await page.goto(`${app.httpUrl}/#/manage/ota`);
        await page.click(`[data-testid="rollout-watch-${rolloutId}"]`, { timeout: 10_000 });
        await page.click('[data-testid="rollout-cancel"]');
        await page.waitForSelector('[data-testid="rollout-view"][data-status="cancelled"]', { timeout: 10_000 });
        await page.click(`[data-testid="firmware-remove-${version}"]`);
        await page.click(`[data-testid="firmware-remove-yes-${version}"]`);
        await page.waitForSelector(`[data-testid="firmware-row-${version}"]`, { state: 'detached', timeout: 10_000 });
        assert.equal((await call(`/api/v1/firmware/${fwId}`)).status, 404);
      });

      await t.test(`${lang}: equipment renamed and removed in the tree`, async () => {
        const id = `rack-${lang}`;
        await api('/api/v1/equipment', { method: 'POST', body: JSON.stringify({ id, name: 'Rack', location: 'Depot / Line 1', tags: ['keep'] }) });
        await api(`/api/v1/devices/${devB}`, { method: 'PATCH', body: JSON.stringify({ equipment: id }) });
        await page.goto(`${app.httpUrl}/#/manage/equipment`);
        await page.waitForSelector(`[data-testid="equipment-rename-${id}"]`, { timeout: 10_000 });
        await page.click(`[data-testid="equipment-rename-${id}"]`);
        // An empty name: required, said at the field.
        await page.fill(`[data-testid="equipment-rename-name-${id}"]`, '');
        await page.click(`[data-testid="equipment-rename-save-${id}"]`);
        await page.waitForSelector(`[data-testid="equipment-rename-form-${id}"] [data-testid="field-error-name"][data-rule="required"]`);
        const name = lang === 'en' ? 'Battery rack 1' : '1번 배터리 랙';
        await page.fill(`[data-testid="equipment-rename-name-${id}"]`, name);
        await axe('equipment, rename');
        await page.click(`[data-testid="equipment-rename-save-${id}"]`);
        await until(async () => (await api<{ name: string }>(`/api/v1/equipment/${id}`)).name === name, { what: 'renamed' });
        const e = await api<{ name: string; location: string; tags: string[]; devices: string[] }>(`/api/v1/equipment/${id}`);
        assert.deepEqual([e.location, e.tags, e.devices], ['Depot / Line 1', ['keep'], [devB]], 'renaming keeps the rest');
        await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent?.includes(want), [
          `[data-testid="equipment-${id}"] summary`,
          name,
        ] as const);
        await shot('equipment-rename');
        await page.click(`[data-testid="equipment-remove-${id}"]`);
        await page.click(`[data-testid="equipment-remove-no-${id}"]`);
        assert.equal((await call(`/api/v1/equipment/${id}`)).status, 200, 'kept');
        await page.click(`[data-testid="equipment-remove-${id}"]`);
        await axe('equipment, removal asked');
        await page.click(`[data-testid="equipment-remove-yes-${id}"]`);
        await page.waitForSelector(`[data-testid="equipment-${id}"]`, { state: 'detached', timeout: 10_000 });
        assert.equal((await call(`/api/v1/equipment/${id}`)).status, 404);
        assert.equal((await device(devB)).equipment ?? null, null, 'its sensor stays, unassigned');
      });

      await t.test(`${lang}: a viewer sees the registry and the history, no change control`, async () => {
        await page.click('[data-testid="sign-out"]');
        await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
        await signIn('vera', passwords.vera);
        await openDevice(devA);
        assert.equal(await text('[data-testid="device-name"]'), (await device(devA)).name);
        assert.equal(await page.textContent('[data-testid="device-notes"]'), (await device(devA)).notes, 'notes shown to a viewer, not editable');
        await page.waitForSelector(`[data-testid="device-ota-row-${rolloutId}"]`, { timeout: 10_000 });
        for (const sel of ['device-edit', 'device-remove', 'profile-bind-form', 'device-notes-input'])
          assert.equal(await page.$(`[data-testid="${sel}"]`), null, sel);
        assert.match(await text('[data-testid="device-registry"] [data-testid="role-note"]'), new RegExp(M.tasks.roles.operator));
        await axe('device page, viewer');
        await shot('device-viewer');
        await api('/api/v1/equipment', { method: 'POST', body: JSON.stringify({ id: `shelf-${lang}`, name: 'Shelf' }) });
        await page.goto(`${app.httpUrl}/#/manage/equipment`);
        await page.waitForSelector(`[data-testid="equipment-shelf-${lang}"]`, { timeout: 10_000 });
        assert.equal(await page.$('[data-testid^="equipment-rename-"]'), null);
        assert.equal(await page.$('[data-testid^="equipment-remove-"]'), null);
        await page.click('[data-testid="sign-out"]');
        await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
      });

      assert.deepEqual(errors, [], `${lang}: page errors`);
      await context.close();
    }
  },
);
