// The dashboard against a locked program (no anonymous access, not insecure-local): the login
// screen, signing in as the initial admin, live devices over a token-carrying WebSocket, a viewer
// refused an ack in words, and an admin's ack recorded under their own name.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needChromium, startBrowserSuite } from '../helpers/browser.js';
import { until } from '../helpers/app.js';
import type { Alarm } from '../../src/model/alarm.js';

const chromium = needChromium('login e2e');

test(
  'dashboard sign-in: login screen when locked, admin sees devices live, viewer ack refused with a message',
  { skip: chromium.skip, timeout: 90_000 },
  async (t) => {
    const { app, adminPassword: firstPassword, api, open } = await startBrowserSuite(t, { locked: true });
    // The password the program wrote for the first admin, as a person would read it.
    const adminPassword = readFileSync(join(app.config.dataDir, 'auth', 'initial-admin-password'), 'utf8').trim();
    assert.equal(adminPassword, firstPassword);

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

    const { page, errors, shot, submitLogin, signOut } = await open({ viewport: { width: 1280, height: 800 } });

    // Locked: the login screen, not an empty dashboard.
    await page.goto(app.httpUrl + '/');
    await page.waitForSelector('[data-testid="login-form"]', { timeout: 10_000 });
    assert.equal(await page.$('[data-testid^="device-card-"]'), null);
    await submitLogin('admin', 'not-the-password');
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
    // The open alarm counted in the header (its badge keeps the links after it in place).
    await page.waitForSelector('[data-testid="nav-alarm-count"][data-count="1"]', { timeout: 10_000 });
    await page.click('[data-testid="nav-admin"]');
    await page.waitForSelector('[data-testid="user-row-vera"]', { timeout: 10_000 });
    // A reload keeps the sign-in (the refresh token in sessionStorage buys a new access token).
    await page.goto(app.httpUrl + '/');
    await page.waitForSelector(`[data-testid="device-card-${dev}"]`, { timeout: 10_000 });

    // Sign out: back to the login screen; the refresh token no longer works.
    await signOut();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    // A viewer may look but not acknowledge: the refusal says why.
    await submitLogin('vera', viewerPassword);
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
    await signOut();
    await submitLogin('admin', adminPassword);
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
