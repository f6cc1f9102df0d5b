// Live analytics memory per device, in-process: `devices` devices x 3 metrics, one message every
// `period` seconds each for `minutes` of message time (the rings fill: 15 min is the longest
// window), through the real Analytics.observeQuietly. RSS, heap and external after a forced GC,
// before and after, divided by the devices. Run: node --expose-gc --import tsx bench/analytics-memory.ts [devices] [period s] [minutes]
import { Analytics } from '../src/analytics/live-stats.js';

const devices = Number(process.argv[2] ?? 20_000);
const periodS = Number(process.argv[3] ?? 10);
const minutes = Number(process.argv[4] ?? 16);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function mem() {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
}

const ids = Array.from({ length: devices }, (_, i) => `conn-${i}`);
const a = new Analytics({ vectors: {} });
const before = mem();
const T0 = Date.UTC(2026, 10, 28);
const steps = Math.ceil((minutes * 60) / periodS);
for (let s = 0; s < steps; s++) {
  for (let i = 0; i < devices; i++) {
    // Each device at its own phase within the period, as real devices are.
    const ts = T0 + s * periodS * 1000 + ((i * 7919) % (periodS * 1000));
    a.observeQuietly({ device: ids[i], ts, seq: s + 1, values: { v: 5 + (s % 7), a: 0.25 * (i % 5), w: 1.25 + s / 100 } });
  }
}
const after = mem();
const per = (k: keyof typeof before) => ((after[k] - before[k]) / devices).toFixed(0);
process.stdout.write(
  `${devices} devices x 3 metrics, one message per ${periodS} s for ${minutes} min: per device RSS ${per('rss')} B, V8 heap ${per('heap')} B, external (typed arrays) ${per('external')} B\n`,
);
// Keeps `a` alive to here.
if (!a.get(ids[0])) throw new Error('device state missing');
