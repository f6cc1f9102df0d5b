// Dashboard soak: 10 simulated devices at 10 Hz, the overview and one device page open in headless
// Chromium for `minutes`; the JS heap of each tab sampled every 10 s (after a forced GC), so growth
// over time shows as a slope. Baseline: the heap of the same tabs at the first sample.
import { chromium } from 'playwright-core';
import { startFieldscope, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';

export async function benchDashboardSoak(o: { minutes: number }): Promise<Figure> {
  const data = tempDir('fs-bench-soak-');
  const fs = await startFieldscope(['--sim-devices', '10', '--sim-rate', '10'], data.dir);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--js-flags=--expose-gc', '--enable-precise-memory-info'],
  });
  const samples: { t: number; overview: number; device: number }[] = [];
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const overview = await ctx.newPage();
    await overview.goto(`${fs.httpUrl}/#/`);
    const device = await ctx.newPage();
    await device.goto(`${fs.httpUrl}/#/devices/ina219-01`);
    await device.waitForFunction(() => performance.getEntriesByName('chart-drawn').length > 0, undefined, { timeout: 30_000 });
    const heap = (p: typeof overview) =>
      p.evaluate(() => {
        (globalThis as { gc?: () => void }).gc?.();
        return (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize / 2 ** 20;
      });
    const start = Date.now();
    while (Date.now() - start < o.minutes * 60_000) {
      await new Promise((r) => setTimeout(r, 10_000));
      samples.push({ t: (Date.now() - start) / 1000, overview: await heap(overview), device: await heap(device) });
    }
  } finally {
    await browser.close();
    await fs.stop();
    data.remove();
  }
  const first = samples[0];
  const last = samples.at(-1)!;
  const total = (s: { overview: number; device: number }) => s.overview + s.device;
  process.stderr.write(`  soak heap (MiB, overview + device page): ${samples.map((s) => `${s.t.toFixed(0)}s ${total(s).toFixed(1)}`).join(', ')}\n`);
  // Buffers fill up to their bounds in the first minutes; what matters is growth after that, so the
  // slope is taken over the second half of the run.
  const mid = samples[Math.floor(samples.length / 2)];
  const growthPerHour = ((total(last) - total(mid)) / Math.max(1, last.t - mid.t)) * 3600;
  return {
    id: 'dashboard-soak',
    name: `7b. dashboard tabs' JS heap after ${o.minutes} min of 10 devices at 10 Hz`,
    value: total(last),
    unit: 'MiB',
    runs: samples.map(total),
    baseline: { name: 'the same tabs at the first sample', value: total(first), runs: [total(first)] },
    ratio: total(first) / total(last),
    target: 'flat (no growth over time)',
    met: growthPerHour < 10,
    notes: `growth over the second half, extrapolated: ${growthPerHour.toFixed(1)} MiB/hour`,
  };
}
