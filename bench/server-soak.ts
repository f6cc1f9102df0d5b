// Server soak (opt-in: `npm run bench -- --only=server-soak [--minutes=N]`, 10 minutes by default):
// a paced publisher sends `rate` msg/s QoS1 over `clients` devices into the embedded broker and the
// SQLite store for the whole run, while Fieldscope's resident memory (/proc) and V8 heap in use
// (/metrics) are sampled every 10 s. The hot path must not grow without bound: the figure is the RSS
// at the end against the RSS after warm-up (minute 2) in the same run, and the least-squares slope
// after warm-up. The whole curve goes to bench/results/server-soak.json.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, rssBytes, runScript, startFieldscope, tempDir, median } from './lib/procs.js';
import type { PubResult } from './lib/baseline.js';
import { metricValue, scrapeMetrics, waitStored } from './lib/metrics.js';
import { slope } from './lib/stats.js';
import type { Figure } from './lib/report.js';

const MiB = 2 ** 20;
const SAMPLE_MS = 10_000;
/**
 * Unacknowledged messages per device: PUBACK waits for the commit, so at 400 msg/s per device a window
 * of 200 keeps the pace through commits of up to half a second instead of capping the rate.
 */
const WINDOW = 200;
/** Growth past warm-up that still counts as flat: 1 MiB/min is 60 MiB an hour. */
const FLAT_MIB_PER_MIN = 1;

interface Sample {
  /** Seconds since the publisher started. */
  t: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** Readings stored so far. */
  stored: number;
  /** Messages stored per second over the interval before this sample. */
  msgPerSec: number;
}

export async function benchServerSoak(o: { minutes: number; rate: number; clients: number }): Promise<Figure> {
  const seconds = o.minutes * 60;
  // Caches, pools and the heap settle first; 2 minutes of a 10-minute run, a fifth of shorter ones.
  const warmup = Math.min(120, seconds / 5);
  const data = tempDir('fs-bench-server-soak-');
  const fs = await startFieldscope(['--no-simulator'], data.dir);
  const samples: Sample[] = [];
  let p: PubResult;
  let final: { at: number; stored: number };
  try {
    const pid = fs.proc.pid!;
    const pub = runScript<PubResult>('publisher.ts', { url: fs.mqttUrl, clients: o.clients, rate: o.rate, seconds, prefix: 'soak', window: WINDOW });
    const t0 = Date.now();
    let prev = { t: 0, stored: 0 };
    const sample = async (): Promise<void> => {
      const text = await scrapeMetrics(fs.httpUrl);
      const t = (Date.now() - t0) / 1000;
      const stored = metricValue(text, 'fieldscope_readings_stored_total');
      samples.push({
        t,
        rssMiB: rssBytes(pid) / MiB,
        heapUsedMiB: metricValue(text, 'fieldscope_process_nodejs_heap_size_used_bytes') / MiB,
        stored,
        msgPerSec: (stored - prev.stored) / 3 / (t - prev.t),
      });
      prev = { t, stored };
      const s = samples.at(-1)!;
      process.stderr.write(
        `  server-soak ${s.t.toFixed(0)}s: RSS ${s.rssMiB.toFixed(1)} MiB, heap ${s.heapUsedMiB.toFixed(1)} MiB, ${Math.round(s.msgPerSec)} msg/s\n`,
      );
    };
    const exited = new Promise<void>((r) => pub.proc.once('exit', () => r()));
    let stopSampling = false;
    void exited.then(() => (stopSampling = true));
    for (let k = 1; !stopSampling; k++) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, t0 + k * SAMPLE_MS - Date.now()))]);
      if (!stopSampling) await sample();
    }
    p = await pub.result;
    // The end of the load, before the last batches drain (unless the last tick was just now).
    if (t0 + samples.length * SAMPLE_MS < Date.now() - 2000) await sample();
    final = await waitStored(fs.httpUrl, p.acked * 3);
  } finally {
    await fs.stop();
    data.remove();
  }

  const end = samples.at(-1)!;
  const atWarmup = samples.reduce((best, s) => (Math.abs(s.t - warmup) < Math.abs(best.t - warmup) ? s : best));
  const after = samples.filter((s) => s.t >= warmup);
  const rssSlope = slope(after.map((s) => ({ x: s.t / 60, y: s.rssMiB })));
  const heapSlope = slope(after.map((s) => ({ x: s.t / 60, y: s.heapUsedMiB })));
  // 10-s samples land anywhere on the GC sawtooth (tens of MiB here), which tilts a fit over few
  // minutes; the lowest sample of each minute (of each fifth, in short runs) is close to what
  // survives a collection.
  const win = Math.min(60, seconds / 5);
  const troughs = (key: 'rssMiB' | 'heapUsedMiB') =>
    Array.from({ length: Math.ceil(seconds / win) }, (_, m) => samples.filter((s) => s.t > m * win && s.t <= (m + 1) * win + 1))
      .filter((xs) => xs.length && xs[0].t >= warmup - 1)
      .map((xs) => ({ x: xs.at(-1)!.t / 60, y: Math.min(...xs.map((s) => s[key])) }));
  const rssTroughSlope = slope(troughs('rssMiB'));
  const heapTroughSlope = slope(troughs('heapUsedMiB'));
  const achieved = median(samples.slice(0, -1).map((s) => s.msgPerSec));
  const lossFree = final.stored === p.acked * 3;
  const rateReached = achieved >= 0.95 * o.rate;
  // Judged on the troughs: a fit through raw samples measures where the sawtooth's peaks fell.
  const flat = rssTroughSlope < FLAT_MIB_PER_MIN && heapTroughSlope < FLAT_MIB_PER_MIN;

  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    join(root, 'bench/results/server-soak.json'),
    JSON.stringify(
      {
        when: new Date().toISOString(),
        options: { ...o, sampleSeconds: SAMPLE_MS / 1000, warmupSeconds: warmup },
        publisher: p,
        stored: final.stored,
        lossFree,
        summary: {
          rssWarmupMiB: atWarmup.rssMiB,
          rssEndMiB: end.rssMiB,
          rssSlopeMiBPerMin: rssSlope,
          heapSlopeMiBPerMin: heapSlope,
          rssTroughSlopeMiBPerMin: rssTroughSlope,
          heapTroughSlopeMiBPerMin: heapTroughSlope,
          medianMsgPerSec: achieved,
        },
        samples,
      },
      null,
      2,
    ) + '\n',
  );

  return {
    id: 'server-soak',
    name: `soak: Fieldscope RSS after ${o.minutes} min at ${o.rate.toLocaleString('en-US')} msg/s target (${o.clients} devices, embedded broker, SQLite)`,
    value: end.rssMiB,
    unit: 'MiB',
    runs: samples.map((s) => s.rssMiB),
    baseline: { name: `the same process after warm-up (${Math.round(atWarmup.t)} s)`, value: atWarmup.rssMiB, runs: [atWarmup.rssMiB] },
    ratio: atWarmup.rssMiB / end.rssMiB,
    target: `RSS flat after warm-up (< ${FLAT_MIB_PER_MIN} MiB/min), no loss, at the target rate`,
    met: flat && lossFree && rateReached,
    notes:
      `RSS slope after warm-up ${rssSlope.toFixed(2)} MiB/min, heap in use ${heapSlope.toFixed(2)} MiB/min; ` +
      `per-minute minima: RSS ${rssTroughSlope.toFixed(2)}, heap ${heapTroughSlope.toFixed(2)} MiB/min; ` +
      `median ${Math.round(achieved)} msg/s stored${rateReached ? '' : ' (target rate NOT reached)'}; ` +
      `${p.acked} acked, ${final.stored / 3} stored${lossFree ? '' : ' (LOSS)'}; ${p.skipped} paced slots skipped; curve in bench/results/server-soak.json`,
  };
}
