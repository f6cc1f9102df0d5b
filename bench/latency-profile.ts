// Where the live feed's tail comes from at the latency bench's load: the built server under
// `node --cpu-prof` while bench/latency-probe.ts publishes at 2,000 msg/s to 1 WebSocket client; the
// main thread's stretches without an idle sample of at least --min-ms (a reading received during one
// waits for its end), what they are made of, and GC. Not part of `npm run bench` (the profiler costs).
//   node --import tsx bench/latency-profile.ts [--seconds 15] [--rate 2000] [--min-ms 4]
import { runScript } from './lib/procs.js';
import { longTasks, monotonicUs, threadShare } from './lib/cpuprofile.js';
import { scriptArgs } from './lib/args.js';
import { pct, profiledServer } from './lib/profiled-server.js';

const given = scriptArgs();
const seconds = Number(given.seconds ?? 15);
const rate = Number(given.rate ?? 2000);
const minMs = Number(given['min-ms'] ?? 4);
const { probe, from, to, main } = await profiledServer('fs-bench-latprof-', async (fs) => {
  const from = monotonicUs();
  const probe = await runScript<{ p50: number; p99: number; samples: number }>('latency-probe.ts', {
    url: fs.mqttUrl,
    ws: fs.httpUrl.replace('http', 'ws') + '/api/v1/live',
    frames: 'batch',
    receivers: 1,
    rate,
    seconds,
  }).result;
  return { probe, from, to: monotonicUs() };
});
// The probe's first 2 s (connect, warm-up) are left out.
const lt = longTasks(main, from + 2_000_000, to, minMs, 25);
const s = threadShare(main, from + 2_000_000, to, {}, 15);
const out = [
  `probe p50 ${probe.p50.toFixed(2)} p99 ${probe.p99.toFixed(2)} ms (${probe.samples} samples, profiler on)`,
  `main thread: busy ${pct(s.busy)}, GC ${pct(s.gc)}; stretches >= ${minMs} ms without idle: ${lt.count}, longest ${lt.longestMs.toFixed(1)} ms, total ${lt.totalMs.toFixed(0)} ms`,
  'inclusive share of those stretches:',
  ...lt.top.map((t) => `  ${pct(t.share).padStart(6)}  ${t.name}`),
  'top self time (whole window):',
  ...s.top.map((t) => `  ${pct(t.share).padStart(6)}  ${t.name}`),
  `profile: ${main}`,
];
console.log(out.join('\n'));
