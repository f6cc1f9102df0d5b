// The dashboard against a locked program (no anonymous access, not insecure-local): the login
// screen, signing in as the initial admin, live devices over a token-carrying WebSocket, a viewer
// refused an ack in words, and an admin's ack recorded under their own name.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireServices } from '../helpers/services.js';
import { ensureWebBuild, e2eArtifacts } from '../helpers/web-build.js';
import { until } from '../helpers/app.js';
import { bearer, login, startLockedApp } from '../helpers/auth.js';
import type { Alarm } from '../../src/model/alarm.js';

const chromium = requireServices('login e2e', 'chromium');
const artifacts = e2eArtifacts;

test(
  'dashboard sign-in: login screen when locked, admin sees devices live, viewer ack refused with a message',
  { skip: chromium.skip, timeout: 90_000 },
  async (t) => {
    ensureWebBuild();
    mkdirSync(artifacts, { recursive: true });
    const { chromium: pw } = await import('playwright-core');
    const locked = await startLockedApp();
    const { app } = locked;
    const browser = await pw.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    t.after(async () => {
      await browser.close();
      await locked.remove();
    });
    // The password the program wrote for the first admin, as a person would read it.
    const adminPassword = readFileSync(join(app.config.dataDir, 'auth', 'initial-admin-password'), 'utf8').trim();
    assert.equal(adminPassword, locked.adminPassword);

    const admin = await login(app.httpUrl, 'admin', adminPassword);
    const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
      const res = await fetch(app.httpUrl + path, {
        ...init,
        headers: { 'content-type': 'application/json', ...bearer(admin.accessToken), ...(init.headers as Record<string, string>) },
      });
      const body = await res.text();
      assert.ok(res.ok, `${init.method ?? 'GET'} ${path}: ${res.status} ${body.slice(0, 300)}`);
      return (body ? JSON.parse(body) : undefined) as T;
    };
    const viewerPassword = `v-${randomBytes(15).toString('base64url')}`;
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'vera', password: viewerPassword, role: 'viewer' }) });
    // A device with an open alarm: a threshold rule and a reading over it.
    const dev = 'ina219-01';
    await api('/api/v1/rules', {
      method: 'POST',
      body: JSON.stringify({ name: 'bus over 8 V', severity: 'major', scope: 'device', target: dev, kind: 'threshold', metric: 'v', op: '>', value: 8 }),
    });
    const now = Date.now();
    await api(`/api/v1/devices/${dev}/telemetry`, { method: 'POST', body: JSON.stringify({ profile: 'ina219', ts: now - 2000, v: 5, a: 0.5, w: 2.5 }) });
    await api(`/api/v1/devices/${dev}/telemetry`, { method: 'POST', body: JSON.stringify({ profile: 'ina219', ts: now - 1000, v: 12, a: 0.5, w: 6 }) });
    const alarm = await until(async () => (await api<{ alarms: Alarm[] }>(`/api/v1/alarms?device=${dev}&status=open`)).alarms[0], { what: 'the alarm' });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

    // Locked: the login screen, not an empty dashboard.
    await page.goto(app.httpUrl + '/');
    await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
    assert.equal(await page.$('[data-testid^="device-card-"]'), null);
    await page.fill('[data-testid="login-username"]', 'admin');
    await page.fill('[data-testid="login-password"]', 'not-the-password');
    await page.click('[data-testid="login-submit"]');
    await page.waitForSelector('[data-testid="login-error"]');
    assert.match((await page.textContent('[data-testid="login-error"]'))!, /Wrong user name or password/);
    await shot('login-01-form');

    // The admin signs in: devices, the live socket (its upgrade carries the token), the admin screens.
    await page.fill('[data-testid="login-password"]', adminPassword);
    await page.click('[data-testid="login-submit"]');
    await page.waitForSelector(`[data-testid="device-card-${dev}"]`, { timeout: 10_000 });
    await page.waitForSelector('[data-testid="live-status"][data-state="connected"]', { timeout: 10_000 });
    assert.match((await page.textContent('[data-testid="account-name"]'))!, /admin/);
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => /token/i.test(k)).length), 0, 'no token in localStorage');
    await page.click('[data-testid="nav-admin"]');
    await page.waitForSelector('[data-testid="user-row-vera"]', { timeout: 10_000 });
    // A reload keeps the sign-in (the refresh token in sessionStorage buys a new access token).
    await page.goto(app.httpUrl + '/');
    await page.waitForSelector(`[data-testid="device-card-${dev}"]`, { timeout: 10_000 });

    // Sign out: back to the login screen; the refresh token no longer works.
    await page.click('[data-testid="sign-out"]');
    await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    // A viewer may look but not acknowledge: the refusal says why.
    await page.fill('[data-testid="login-username"]', 'vera');
    await page.fill('[data-testid="login-password"]', viewerPassword);
    await page.click('[data-testid="login-submit"]');
    await page.waitForSelector(`[data-testid="device-card-${dev}"]`, { timeout: 10_000 });
    await page.waitForSelector('[data-testid="live-status"][data-state="connected"]', { timeout: 10_000 });
    await page.goto(`${app.httpUrl}/#/alarms`);
    await page.waitForSelector(`[data-testid="alarm-row-${alarm.id}"]`, { timeout: 10_000 });
    await page.click(`[data-testid="alarm-ack-${alarm.id}"]`);
    const form = `[data-testid="alarm-action-form-${alarm.id}"]`;
    assert.equal(await page.inputValue(`${form} [data-testid="alarm-action-by"]`), 'vera');
    await page.click(`${form} [data-testid="alarm-action-submit"]`);
    await page.waitForSelector(`${form} [data-testid="alarm-action-error"]`, { timeout: 10_000 });
    const refusal = (await page.textContent(`${form} [data-testid="alarm-action-error"]`))!;
    assert.match(refusal, /Your role \(viewer\) cannot do this/);
    await shot('login');
    const still = await api<{ alarm: Alarm }>(`/api/v1/alarms/${alarm.id}`);
    assert.equal(still.alarm.ackedBy, null);

    // The admin's ack is recorded under the admin's name, not a typed one.
    await page.click('[data-testid="sign-out"]');
    await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
    await page.fill('[data-testid="login-username"]', 'admin');
    await page.fill('[data-testid="login-password"]', adminPassword);
    await page.click('[data-testid="login-submit"]');
    // Signing in keeps the page that asked for it: the alarm list.
    await page.waitForSelector(`[data-testid="alarm-ack-${alarm.id}"]`, { timeout: 10_000 });
    await page.click(`[data-testid="alarm-ack-${alarm.id}"]`);
    assert.equal(await page.inputValue(`${form} [data-testid="alarm-action-by"]`), 'admin');
    await page.click(`${form} [data-testid="alarm-action-submit"]`);
    const acked = await until(async () => {
      const r = await api<{ alarm: Alarm }>(`/api/v1/alarms/${alarm.id}`);
      return r.alarm.ackedBy ? r.alarm : undefined;
    });
    assert.equal(acked.ackedBy, 'admin');

    assert.deepEqual(errors, []);
  },
);
