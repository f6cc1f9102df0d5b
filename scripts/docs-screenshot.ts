// Takes the README's pictures of the running dashboard: the program as `npm start` runs it (with its
// simulated devices) on free ports, Debian's Chromium through playwright-core.
// Run: node --import tsx scripts/docs-screenshot.ts   (writes docs/img/*.png)
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { defaults } from '../src/config.js';
import { startApp } from '../src/app.js';
import { silentLogger } from '../src/logger.js';
import { packageRoot } from '../src/paths.js';
import { tempDir } from '../test/helpers/app.js';
import { ensureWebBuild } from '../test/helpers/web-build.js';

ensureWebBuild();
const data = tempDir('fieldscope-screenshot-');
const app = await startApp({ ...defaults, httpPort: 0, mqttPort: 0, dataDir: data.dir, simulator: true }, { logger: silentLogger() });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  // A rule the simulated factory trips now and then, so the picture shows an alarm as well.
  await fetch(`${app.httpUrl}/api/v1/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` },
    body: JSON.stringify({
      name: 'Warm motor',
      severity: 'warning',
      scope: 'profile',
      target: 'factory',
      kind: 'threshold',
      metric: 'temperature',
      op: '>',
      value: 20,
    }),
  });
  // A minute of simulated data, so the charts have a shape.
  await new Promise((r) => setTimeout(r, 60_000));
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const img = (name: string) => join(packageRoot, 'docs', 'img', name);
  await page.goto(`${app.httpUrl}/`);
  await page.waitForSelector('[data-testid="live-status"][data-state="connected"]', { timeout: 15_000 });
  await page.waitForSelector('[data-testid="device-card-factory-01"]', { timeout: 15_000 });
  await page.waitForTimeout(2000);
  await page.screenshot({ path: img('dashboard-overview.png'), clip: { x: 0, y: 0, width: 1280, height: 400 } });
  await page.goto(`${app.httpUrl}/#/devices/factory-01`);
  await page.waitForSelector('[data-testid="chart"][data-drawn="true"]', { timeout: 15_000 });
  await page.waitForTimeout(3000);
  await page.screenshot({ path: img('dashboard-device.png') });
} finally {
  await browser.close();
  await app.stop();
  data.remove();
}

async function adminToken(): Promise<string> {
  const res = await fetch(`${app.httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: app.initialAdminPassword }),
  });
  return ((await res.json()) as { accessToken: string }).accessToken;
}
