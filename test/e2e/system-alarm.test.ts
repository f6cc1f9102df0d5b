// A store outage in a real browser: PostgreSQL is stopped under a running Fieldscope; the Alarms
// page shows a system alarm (apart from device alarms), a webhook receives its raise, and once
// PostgreSQL is back the alarm clears itself, is notified again and shows cleared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import { needChromium, startBrowserSuite } from '../helpers/browser.js';
import { startTestApp, until } from '../helpers/app.js';
import type { Alarm } from '../../src/model/alarm.js';

const chromium = needChromium('system alarm e2e');
const pg = requirePostgres('system alarm e2e');

test(
  'store outage: PostgreSQL stopped raises a system alarm shown apart in the dashboard, notified, and cleared when it is back',
  { skip: chromium.skip || pg.skip, timeout: 180_000 },
  async (t) => {
    const hooks: { event: string; alarm: Alarm | null }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(...(JSON.parse(body) as { notifications: { event: string; alarm: Alarm | null }[] }).notifications);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    t.after(() => receiver.close());
    const server = await startPostgres();
    t.after(() => server.destroy());
    const app = await startTestApp({
      store: await server.createDatabase(),
      systemCheckMs: 200,
      webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      notifications: { webhook: { groupWindowMs: 0, minIntervalMs: 0, retries: 0 } },
    });
    t.after(() => app.stop());
    // A device alarm too, to see the two apart.
    const json = { 'content-type': 'application/json' };
    assert.equal(
      (
        await fetch(`${app.httpUrl}/api/v1/rules`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: 'hot tank', severity: 'minor', scope: 'all', kind: 'threshold', metric: 't', op: '>', value: 50 }),
        })
      ).status,
      201,
    );
    assert.equal(
      (await fetch(`${app.httpUrl}/api/v1/devices/tank-1/telemetry`, { method: 'POST', headers: json, body: JSON.stringify({ t: 70 }) })).status,
      200,
    );

    const { open } = await startBrowserSuite(t, { app });
    const { page, errors, shot } = await open();
    await page.goto(`${app.httpUrl}/#/alarms`);
    await page.waitForSelector('[data-testid="alarm-list"] [data-testid^="alarm-row-"]', { timeout: 15_000 });
    assert.equal(await page.$('[data-testid="system-alarms"]'), null, 'no system section while all is well');

    await server.stop();
    const raisedRow = await page.waitForSelector('[data-testid="system-alarm-list"] [data-status="active_unacked"]', { timeout: 30_000 });
    assert.match((await raisedRow.textContent()) ?? '', /Store unavailable/);
    assert.match((await raisedRow.textContent()) ?? '', /system · store/);
    assert.match((await raisedRow.textContent()) ?? '', /critical/);
    // The device alarm is in the store, which is down: the page says why only system alarms show now.
    await page.waitForSelector('[data-testid="store-unavailable"]', { timeout: 10_000 });
    await until(() => hooks.some((h) => h.event === 'raised' && h.alarm?.ruleId === 'system:store'), { timeoutMs: 15_000, what: 'webhook: raised' });
    await shot('system-alarm-raised');

    await server.start();
    const clearedRow = await page.waitForSelector('[data-testid="system-alarm-list"] [data-status="cleared_unacked"]', { timeout: 30_000 });
    assert.match((await clearedRow.textContent()) ?? '', /Store unavailable/);
    await page.waitForSelector('[data-testid="system-alarm-list"] [data-status="active_unacked"]', { state: 'detached', timeout: 15_000 });
    // A bound, not a timing: under a loaded CI machine the store's return and the dispatcher's retry can take a while.
    await until(() => hooks.some((h) => h.event === 'auto_cleared' && h.alarm?.ruleId === 'system:store'), { timeoutMs: 60_000, what: 'webhook: cleared' });
    // Device alarms are back beside it, in their own section; the origin filter shows one kind.
    await page.waitForSelector('[data-testid="store-unavailable"]', { state: 'detached', timeout: 15_000 });
    await page.waitForSelector('[data-testid="alarm-list"] [data-testid^="alarm-row-"]', { timeout: 15_000 });
    await page.selectOption('[data-testid="alarm-filter-origin"]', 'device');
    await page.waitForSelector('[data-testid="system-alarms"]', { state: 'detached', timeout: 10_000 });
    await page.selectOption('[data-testid="alarm-filter-origin"]', 'system');
    await page.waitForSelector('[data-testid="device-alarms"]', { state: 'detached', timeout: 10_000 });
    await shot('system-alarm-cleared');
    const stored = (await (await fetch(`${app.httpUrl}/api/v1/alarms?origin=system`)).json()) as { alarms: Alarm[] };
    assert.ok(
      stored.alarms.some((a) => a.metric === 'store' && a.status === 'cleared_unacked' && a.id > 0),
      'written to PostgreSQL once it was back',
    );
    assert.deepEqual(errors, []);
  },
);
