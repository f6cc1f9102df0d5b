// What the server's main thread does at the mixed load's ingest rate, without readers (issue 15's
// PUBACK tail): the built server on a seeded SQLite store under `node --cpu-prof --trace-gc`, while
// bench/publisher.ts publishes QoS1 from 100 devices at --rate. Prints the PUBACK percentiles, the
// event-loop delay (prom-client's monitorEventLoopDelay, reset at the start), the batcher's and the
// writer thread's stage times, GC pauses from the trace, each thread's CPU and run-queue wait from
// /proc (schedstat: time runnable but not running, i.e. the machine's share of a stall), and the
// main thread's busy stretches with what they are made of. Not part of `npm run bench` (the profiler costs).
//   node --import tsx bench/mixed-profile.ts [--rows 1000000] [--rate 20000] [--seconds 15] [--min-ms 20]
//     [--node-args "--max-semi-space-size=64"] [--server-args "--batch-max 2000"] [--profile 0]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { runScript, startFieldscope, tempDir } from './lib/procs.js';
import { longTasks, mainThreadProfile, monotonicUs, threadShare } from './lib/cpuprofile.js';
import { scriptArgs } from './lib/args.js';
import { metricValue, scrapeMetrics } from './lib/metrics.js';
import { bucketPercentile, seed } from './mixed.js';

const given = scriptArgs();
const rows = Number(given.rows ?? 1_000_000);
const rate = Number(given.rate ?? 20_000);
const seconds = Number(given.seconds ?? 15);
const minMs = Number(given['min-ms'] ?? 20);
const profile = given.profile !== '0';
const nodeArgs = (given['node-args'] ?? '').split(' ').filter(Boolean);
const serverArgs = (given['server-args'] ?? '').split(' ').filter(Boolean);

/** Per thread of `pid`: name, ns on a CPU, ns runnable but waiting for one (/proc/.../schedstat). */
function schedstat(pid: number): Map<number, { name: string; run: number; wait: number }> {
  const out = new Map<number, { name: string; run: number; wait: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(Number(tid), { name, run, wait });
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return out;
}

const data = tempDir('fs-bench-mixprof-data-');
const prof = tempDir('fs-bench-mixprof-');
const seeding = new SqliteStore({ path: join(data.dir, 'fieldscope.db'), readWorkers: 0 });
await seeding.open();
const seeded = await seed(seeding.telemetry, rows, Date.now());
await seeding.close();
const fs = await startFieldscope(['--no-simulator', '--api-rate', '0', ...serverArgs], data.dir, [
  ...(profile ? ['--cpu-prof', '--cpu-prof-dir', prof.dir, '--cpu-prof-interval', '500'] : []),
  '--trace-gc',
  ...nodeArgs,
]);
const pid = fs.proc.pid!;
/** --trace-gc lines: "[pid:0x..]   12345 ms: Scavenge 40.1 (52.3) -> 38.2 (52.3) MB, 1.23 / 0.00 ms ..." */
const gcLines: { atMs: number; kind: string; ms: number }[] = [];
let gcBuf = '';
fs.proc.stdout!.on('data', (d: Buffer) => {
  gcBuf += d.toString();
  const lines = gcBuf.split('\n');
  gcBuf = lines.pop()!;
  for (const l of lines) {
    const m = /\s(\d+) ms: ([A-Za-z-]+(?: \(reduce\))?)\b.*?MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ ([\d.]+) ms/.exec(l);
    if (m) gcLines.push({ atMs: Number(m[1]), kind: m[2], ms: Number(m[3]) });
  }
});
let result: {
  acked: number;
  rate: number;
  offeredRate: number;
  pubackP50: number;
  pubackP99: number;
  pubackMax: number;
  cpuSeconds: number;
  seconds: number;
  loopDelayP99: number;
  loopDelayMax: number;
};
let from: number, to: number;
let metricsText: string;
let before: ReturnType<typeof schedstat>, after: ReturnType<typeof schedstat>;
let gcFrom: number;
try {
  await scrapeMetrics(fs.httpUrl);
  gcFrom = gcLines.length;
  before = schedstat(pid);
  from = monotonicUs();
  result = await runScript<typeof result>('publisher.ts', { url: fs.mqttUrl, clients: 100, rate, seconds, prefix: 'prof', window: 64 }).result;
  to = monotonicUs();
  after = schedstat(pid);
  metricsText = await scrapeMetrics(fs.httpUrl);
} finally {
  await fs.stop();
  data.remove();
}
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const wall = (to! - from!) / 1e6;
const out: string[] = [];
out.push(
  `seeded ${seeded.toLocaleString('en-US')}; ${Math.round(result!.rate)} msg/s acked (asked ${rate}; the paced schedules offered ${Math.round(result!.offeredRate)} from each client's connection on); PUBACK p50 ${result!.pubackP50.toFixed(1)} p99 ${result!.pubackP99.toFixed(1)} max ${result!.pubackMax.toFixed(0)} ms`,
);
out.push(
  `publisher process: CPU ${result!.cpuSeconds.toFixed(1)} s over ${result!.seconds.toFixed(1)} s (${pct(result!.cpuSeconds / result!.seconds)} of a core), its own event-loop delay p99 ${result!.loopDelayP99.toFixed(1)} max ${result!.loopDelayMax.toFixed(0)} ms`,
);
const mv = (n: string) => metricValue(metricsText!, n);
out.push(
  `event-loop delay p50 ${(mv('fieldscope_process_nodejs_eventloop_lag_p50_seconds') * 1000).toFixed(1)} p90 ${(mv('fieldscope_process_nodejs_eventloop_lag_p90_seconds') * 1000).toFixed(1)} p99 ${(mv('fieldscope_process_nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(1)} max ${(mv('fieldscope_process_nodejs_eventloop_lag_max_seconds') * 1000).toFixed(0)} ms`,
);
const hist = (name: string, label?: string) => {
  const re = new RegExp(`^${name}_(sum|count)${label ? `\\{[^}]*${label}[^}]*\\}` : '(?:\\{[^}]*\\})?'} (\\S+)$`, 'gm');
  const v = { sum: 0, count: 0 };
  for (const m of metricsText!.matchAll(re)) v[m[1] as 'sum' | 'count'] += Number(m[2]);
  return v;
};
const bucketPct = (name: string, p: number) => bucketPercentile('', metricsText!, name, p);
out.push(
  `server: received -> PUBACK written (fieldscope_ack_seconds, bucket bounds): p50 <= ${(bucketPct('fieldscope_ack_seconds', 50) * 1000).toFixed(0)} ms, p99 <= ${(bucketPct('fieldscope_ack_seconds', 99) * 1000).toFixed(0)} ms`,
);
const b = hist('fieldscope_store_batch_readings');
out.push(`commits: ${b.count} (cumulative since start), ${(b.sum / b.count).toFixed(0)} readings each on average`);
for (const [n, l] of [
  ['fieldscope_store_write_seconds', undefined],
  ['fieldscope_live_stage_seconds', 'stage="queued"'],
  ['fieldscope_sqlite_commit_stage_seconds', 'stage="turn"'],
  ['fieldscope_sqlite_commit_stage_seconds', 'stage="transaction"'],
  ['fieldscope_sqlite_commit_stage_seconds', 'stage="handover"'],
] as const) {
  const h = hist(n, l);
  out.push(`  ${n}${l ? `{${l}}` : ''}: mean ${((h.sum / h.count) * 1000).toFixed(1)} ms over ${h.count}`);
}
const gcs = gcLines.slice(gcFrom!);
const byKind = new Map<string, { n: number; ms: number; max: number }>();
for (const g of gcs) {
  const k = byKind.get(g.kind) ?? { n: 0, ms: 0, max: 0 };
  k.n++;
  k.ms += g.ms;
  k.max = Math.max(k.max, g.ms);
  byKind.set(g.kind, k);
}
out.push(`GC during the run (${wall.toFixed(1)} s, main thread pauses from --trace-gc):`);
for (const [k, v] of byKind)
  out.push(
    `  ${k}: ${v.n} x, ${v.ms.toFixed(0)} ms in all (${pct(v.ms / 1000 / wall)} of wall), mean ${(v.ms / v.n).toFixed(2)} ms, max ${v.max.toFixed(1)} ms`,
  );
out.push(`threads (CPU s / run-queue wait s over ${wall.toFixed(1)} s):`);
const threads = [...after!].map(([tid, a]) => {
  const bb = before!.get(tid) ?? { run: 0, wait: 0 };
  return { tid, name: a.name + (tid === pid ? ' (main)' : ''), run: (a.run - bb.run) / 1e9, wait: (a.wait - bb.wait) / 1e9 };
});
for (const t of threads.sort((x, y) => y.run - x.run).slice(0, 8)) out.push(`  ${t.name.padEnd(22)} ${t.run.toFixed(2)} / ${t.wait.toFixed(2)}`);
const mainT = threads.find((t) => t.tid === pid);
const scavenges = byKind.get('Scavenge')?.n ?? 0;
// Per message: what the machine's other load moves far less than rates and latencies.
if (mainT)
  out.push(
    `per message: main thread ${((mainT.run / result!.acked) * 1e6).toFixed(1)} µs CPU, run-queue wait ${pct(mainT.wait / wall)} of wall; ${((scavenges / result!.acked) * 1000).toFixed(2)} scavenges per 1,000 acked`,
  );
out.push(`load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
if (profile) {
  const files = readdirSync(prof.dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(prof.dir, f));
  const main = mainThreadProfile(files);
  if (main) {
    // The publisher's first 2 s (connects, warm-up) are left out.
    const s = threadShare(main, from! + 2_000_000, to!, {}, 20);
    const lt = longTasks(main, from! + 2_000_000, to!, minMs, 30);
    out.push(
      `main thread: busy ${pct(s.busy)}, GC ${pct(s.gc)}; stretches >= ${minMs} ms without idle: ${lt.count}, longest ${lt.longestMs.toFixed(1)} ms, total ${lt.totalMs.toFixed(0)} ms`,
    );
    out.push('inclusive share of those stretches:');
    for (const t of lt.top) out.push(`  ${pct(t.share).padStart(6)}  ${t.name}`);
    out.push('top self time (whole window):');
    for (const t of s.top) out.push(`  ${pct(t.share).padStart(6)}  ${t.name}`);
  }
}
if (!process.env.FIELDSCOPE_BENCH_KEEP_PROFILE) prof.remove();
else out.push(`profile kept in ${prof.dir}`);
console.log(out.join('\n'));
