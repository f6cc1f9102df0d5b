// Where the server's main thread spends its time at full QoS1 ingest: the built server under
// `node --cpu-prof`, bench/publisher.ts from 100 clients, the samples of the publisher's run summed
// by function (self time) and by area. Not part of `npm run bench` (a profiler changes the figures);
// for a before/after, run it on each build (FIELDSCOPE_BENCH_SERVER=<other build>/bin/fieldscope.js).
//   node --import tsx bench/ingest-profile.ts [--seconds 15] [--clients 100]
import { runScript } from './lib/procs.js';
import { monotonicUs, threadShare } from './lib/cpuprofile.js';
import { cpuWindow } from './lib/cpu.js';
import { scriptArgs } from './lib/args.js';
import { pct, profiledServer } from './lib/profiled-server.js';

interface PubResult {
  acked: number;
  rate: number;
}

const given = scriptArgs();
const args = { seconds: Number(given.seconds ?? 15), clients: Number(given.clients ?? 100) };
const { p, cpuSeconds, from, to, files, main } = await profiledServer('fs-bench-prof-', async (fs) => {
  const pub = runScript<PubResult>('publisher.ts', { url: fs.mqttUrl, clients: args.clients, messages: 4_000_000, seconds: args.seconds });
  await pub.ready;
  const w = cpuWindow(fs.proc.pid!);
  const from = monotonicUs();
  const p = await pub.result;
  const to = monotonicUs();
  return { p, cpuSeconds: w.stop(), from, to };
});
const groups = {
  'MQTT (aedes, mqtt-packet, qlobber, mqemitter, bl, debug)':
    /node_modules\/(aedes|mqtt-packet|qlobber|mqemitter|bl|debug|fastfall|reusify|aedes-persistence|aedes-packet)\//,
  'SQLite Store.write': /(src|dist)\/stores\/sqlite\/|better-sqlite3/,
  'pipeline (decode, validate, ingest, batcher, sequence)': /(src|dist)\/pipeline\//,
  'live analytics': /(src|dist)\/analytics\//,
  alarms: /(src|dist)\/alarms\//,
  'device registry': /(src|dist)\/devices\//,
  'live hub': /(src|dist)\/api\/live/,
};
const s = threadShare(main, from, to, groups, 20);
const out: string[] = [];
out.push(`${p.acked} msgs acked, ${Math.round(p.rate)} msg/s; server CPU (all threads, profiler on) ${((cpuSeconds * 1e6) / p.acked).toFixed(1)} µs/msg`);
out.push(`main thread over ${(s.ms / 1000).toFixed(1)} s: busy ${pct(s.busy)}, GC ${pct(s.gc)} (of the window)`);
out.push('inclusive share of the window by area:');
for (const [g, v] of Object.entries(s.groups)) out.push(`  ${pct(v).padStart(6)}  ${g}`);
out.push('top self time (share of the window):');
for (const t of s.top) out.push(`  ${pct(t.share).padStart(6)}  ${t.name}`);
// The other threads (the SQLite writer, read workers): their busy share and top self time, so the
// CPU per message (all threads) can be split between the main thread and the rest.
for (const f of files) {
  if (f === main) continue;
  const w = threadShare(f, from, to, { 'SQLite (better-sqlite3, src/stores/sqlite)': /(src|dist)\/stores\/sqlite\/|better-sqlite3/ }, 8);
  if (!(w.busy > 0.005)) continue;
  out.push(`worker ${f.split('/').pop()}: busy ${pct(w.busy)}, GC ${pct(w.gc)} (of the window)`);
  for (const [g, v] of Object.entries(w.groups)) out.push(`  ${pct(v).padStart(6)}  ${g}`);
  for (const t of w.top) out.push(`  ${pct(t.share).padStart(6)}  ${t.name}`);
}
console.log(out.join('\n'));
console.log(`profile: ${main}`);
