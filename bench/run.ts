// `npm run bench`: the benchmark suite, each figure the median of several runs beside a baseline
// measured in the same run. Prints a table and writes bench/results/latest.json. Loads only 127.0.0.1.
// Three tiers, so that a run fits the time a change can afford (issue 21: full suite < 10 minutes,
// `--quick` < 2 minutes on this 2-core machine):
// - hot: the hot path's figures (ingest, live latency, Store.write): `--quick` runs only these, short;
// - suite: the rest of the default run (`npm run bench`);
// - scenario: long set pieces (the mixed-load run on 10M rows, the cluster's takeovers, the soaks)
//   run only when named, e.g. `npm run bench -- --only=mixed`, or all of them with `--scenarios`.
// `--only=a,b` picks benchmarks by id, whatever their tier. Every run ends with each figure beside
// the recorded one (bench/recorded/, committed with BENCHMARKS.md), the suite's own running time
// included: changes beyond the noise its repeats measure are named. `--record` makes this run's
// figures the recorded ones. Quick and full runs are recorded apart: their sizes differ.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runLimited } from './lib/child-run.js';
import { root, tempDir } from './lib/procs.js';
import { table, type Figure } from './lib/report.js';
import { changesTable, compare, notMeasured, record, type RecordedFigure } from './lib/compare.js';
import { benchIngest } from './ingest.js';
import { benchLatency } from './latency.js';
import { benchConnections } from './connections.js';
import { benchImport } from './import.js';
import { benchImportLongLines } from './import-long-lines.js';
import { benchHistory } from './history.js';
import { benchDashboard } from './dashboard.js';
import { benchStoreWrite } from './store-write.js';
import { benchDashboardSoak } from './dashboard-soak.js';
import { benchIngestExternal } from './ingest-external.js';
import { benchServerSoak } from './server-soak.js';
import { benchPacketWatch } from './packet-watch.js';
import { benchMixed } from './mixed.js';
import { benchModels } from './models.js';
import { benchSharedState } from './shared-state.js';
import { benchFleet } from './fleet.js';
import { benchIngestSpread } from './ingest-spread.js';
import { benchIngestFeatures } from './ingest-features.js';
import { benchCluster } from './cluster.js';

const quick = process.argv.includes('--quick');
// `--kills=N`: the cluster bench's takeovers (a median over more of them).
const killsArg = ((k) => (k ? Number(k.slice('--kills='.length)) : undefined))(process.argv.find((a) => a.startsWith('--kills=')));
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const minutesArg = process.argv.find((a) => a.startsWith('--minutes='))?.slice(10);
const numArg = (name: string): number | undefined => {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return v === undefined ? undefined : Number(v);
};

type Tier = 'hot' | 'suite' | 'scenario';
/**
 * budget: the seconds this benchmark may take on a quiet machine in this tier (quick/default), the
 * share of the suite's 10 (quick: 2) minutes it was sized for; the run is stopped at a multiple of it
 * (timeLimit below). A scenario has none of the suite's budget, only a limit against a hang.
 */
const benches: { id: string; tier: Tier; budget: number; run: () => Promise<Figure | Figure[]> }[] = [
  // Rounds of a few seconds: the rate and the CPU per message settle within a second or two at these
  // rates (stop 18's 12 s rounds agreed within 11%; 5 s rounds from stop 20, ~100,000-170,000 messages
  // each); 3 alternating rounds even in --quick so that the comparison with the recorded run has a
  // spread to judge by.
  {
    id: 'ingest',
    tier: 'hot',
    budget: quick ? 30 : 70,
    run: () => benchIngest(quick ? { runs: 3, messages: 400_000, seconds: 3, clients: 10 } : { runs: 3, messages: 4_000_000, seconds: 5, clients: 100 }),
  },
  // Issue 21: the same ingest on a fleet's own topics with a model on every device (bench/ingest-features.ts).
  {
    id: 'ingest-features',
    tier: 'scenario',
    budget: quick ? 40 : 70,
    run: () =>
      benchIngestFeatures(quick ? { runs: 3, messages: 200_000, seconds: 3, clients: 10 } : { runs: 3, messages: 2_000_000, seconds: 5, clients: 100 }),
  },
  {
    id: 'ingest-external',
    tier: 'suite',
    budget: 40,
    run: () =>
      benchIngestExternal(
        quick
          ? { runs: 1, firstMessages: 5000, maxMessages: 5000, seconds: 5, clients: 10 }
          : { runs: 3, firstMessages: 10_000, maxMessages: 120_000, seconds: 4, clients: 50 },
      ),
  },
  // --quick: the 1-client path only (the hot path's figure); the 100-browser fan-out in the default
  // run, in shorter rounds: 100 receivers give ~100x the samples of one (stop 18: 0.9-1.4M per round).
  {
    id: 'latency',
    tier: 'hot',
    budget: quick ? 40 : 100,
    run: async () =>
      quick
        ? benchLatency({ runs: 3, seconds: 3, rate: 2000, receivers: [1] })
        : [
            // 3 s at 2,000 msg/s: 6,000 samples a round, 60 above its p99 (100 receivers: 600,000).
            ...(await benchLatency({ runs: 3, seconds: 3, rate: 2000, receivers: [1] })),
            ...(await benchLatency({ runs: 3, seconds: 3, rate: 2000, receivers: [100] })),
          ],
  },
  {
    id: 'history',
    tier: 'suite',
    budget: 30,
    run: () => benchHistory(quick ? { total: 1_000_000, queries: 9, baselineQueries: 3 } : { total: 10_000_000, queries: 21, baselineQueries: 5 }),
  },
  // 500,000 readings a run: the ratios of stop 18's 1M runs agreed within 4% (SQLite) and 10% (PostgreSQL).
  { id: 'store', tier: 'hot', budget: quick ? 30 : 45, run: () => benchStoreWrite(quick ? { readings: 100_000, runs: 3 } : { readings: 500_000, runs: 3 }) },
  { id: 'dashboard', tier: 'suite', budget: 40, run: () => benchDashboard({ runs: quick ? 2 : 3 }) },
  { id: 'soak', tier: 'scenario', budget: quick ? 90 : 240, run: () => benchDashboardSoak({ minutes: quick ? 1 : 3 }) },
  {
    id: 'connections',
    tier: 'suite',
    budget: 100,
    run: () =>
      benchConnections({
        runs: 1,
        clients: numArg('clients') ?? (quick ? 2000 : 10_000),
        seconds: numArg('seconds') ?? (quick ? 10 : 15),
        heapDir: process.argv.find((a) => a.startsWith('--heap-dir='))?.slice(11),
        skipBaseline: process.argv.includes('--skip-baseline'),
        quietRamp: process.argv.includes('--quiet-ramp'),
        listeners: numArg('listeners'),
      }),
  },
  { id: 'import', tier: 'suite', budget: 30, run: () => benchImport(quick ? { runs: 1, rows: 200_000 } : { runs: 3, rows: 300_000 }) },
  { id: 'packet-watch', tier: 'suite', budget: 10, run: () => benchPacketWatch(quick ? { runs: 3, packets: 200_000 } : { runs: 5, packets: 1_000_000 }) },
  { id: 'import-long-lines', tier: 'suite', budget: 8, run: () => benchImportLongLines(quick ? { runs: 1, mb: 10 } : { runs: 3, mb: 60 }) },
  // Seeding 10M rows takes minutes on a shared machine: --rows=N and --pg-rows=N set the stored sets (pg-rows=0: SQLite only, rows=0: PostgreSQL only).
  {
    id: 'mixed',
    tier: 'scenario',
    budget: quick ? 300 : 1200,
    run: () =>
      benchMixed({
        rows: numArg('rows') ?? (quick ? 1_000_000 : 10_000_000),
        pgRows: numArg('pg-rows') ?? (quick ? 300_000 : 2_000_000),
        seconds: numArg('seconds') ?? (quick ? 10 : 30),
        rate: numArg('rate') ?? 20_000,
        clients: 100,
        readers: 8,
        rounds: numArg('rounds') ?? (quick ? 1 : 3),
        // --below=0 leaves out the rounds below saturation (at half the no-reader rate reached).
        below: numArg('below') ?? 0.5,
        // --alone=N: each read N times by itself first (--rounds=0: only that).
        alone: numArg('alone') ?? 0,
        profile: process.argv.includes('--profile'),
      }),
  },
  {
    id: 'models',
    tier: 'suite',
    budget: 60,
    run: () =>
      benchModels(
        quick
          ? { runs: 1, latencyN: 1000, devices: 20, perDevice: 100, train: 4, test: 4 }
          : { runs: 3, latencyN: 5000, devices: 100, perDevice: 300, train: 8, test: 8 },
      ),
  },
  { id: 'shared-state', tier: 'suite', budget: 15, run: () => benchSharedState(quick ? { changes: 20, failovers: 3 } : { changes: 50, failovers: 3 }) },
  // Issue 21: what a message costs when every commit touches its own device's rows (100 devices as the baseline).
  {
    id: 'spread',
    tier: 'scenario',
    budget: quick ? 120 : 400,
    run: () =>
      benchIngestSpread({
        fleets: [100, 10_000, 100_000],
        messages: numArg('messages') ?? (quick ? 100_000 : 300_000),
        runs: quick ? 1 : 2,
        profileDir: process.argv.find((a) => a.startsWith('--cpu-prof-dir='))?.slice(15),
      }),
  },
  // Issue 19: NATS cluster ingest beside the embedded broker, takeover after kill -9, lag meanwhile (bench/cluster.ts).
  {
    id: 'cluster',
    tier: 'scenario',
    budget: quick ? 300 : 900,
    run: () =>
      benchCluster(
        quick
          ? { rounds: 1, messages: 3000, clients: 20, kills: killsArg ?? 2, steadyRate: 200, steadyClients: 10 }
          : { rounds: 3, messages: 10_000, clients: 30, kills: killsArg ?? 3, steadyRate: 500, steadyClients: 20 },
      ),
  },
  {
    id: 'fleet',
    tier: 'suite',
    budget: 110,
    run: () =>
      benchFleet({
        ...(quick ? { runs: 1, devices: 5000, seconds: 10 } : { runs: 2, devices: 5000, seconds: 10 }),
        profile: process.argv.includes('--profile'),
        trace: process.argv.includes('--trace'),
        baseline: !process.argv.includes('--no-baseline'),
      }),
  },
  {
    id: 'server-soak',
    tier: 'scenario',
    budget: ((minutesArg ? Number(minutesArg) : quick ? 1 : 10) + 2) * 60,
    run: () => benchServerSoak({ minutes: minutesArg ? Number(minutesArg) : quick ? 1 : 10, rate: 20_000, clients: 50 }),
  },
];

// One benchmark in this process: the parent (below) runs each in its own child process, so that one
// that hangs can be stopped with everything it started (servers, brokers, browsers) and the suite
// goes on. `--child=ID --child-out=FILE`: run ID and write its figures to FILE.
const childId = process.argv.find((a) => a.startsWith('--child='))?.slice('--child='.length);
if (childId !== undefined) {
  const out = process.argv.find((a) => a.startsWith('--child-out='))!.slice('--child-out='.length);
  const b = benches.find((x) => x.id === childId);
  if (!b) throw new Error(`no benchmark ${childId}`);
  const figures = [await b.run()].flat();
  writeFileSync(out, JSON.stringify(figures));
  // Whatever a benchmark left open (a timer, a socket) must not keep the child alive past its figures.
  process.exit(0);
}

/**
 * A benchmark is stopped at twice its budget plus a minute (starting its process, tsx and its servers
 * costs seconds even for the smallest), times how much busier than quiet the machine is when it
 * starts (1 + load average / (4 x cores), at most 4: stop 18's quick pass took ~2x its quiet time at
 * load 40-58 on 2 cores; at load 25, stop 19's packet-watch, 9 s quiet, needed more than 80 s), times
 * --time-limit-scale=N (default 1).
 */
const limitScale = numArg('time-limit-scale') ?? 1;
function timeLimit(budget: number): { seconds: number; load: number } {
  const load = loadavg()[0];
  const busy = Math.min(4, 1 + load / (4 * cpus().length));
  return { seconds: Math.ceil((2 * budget + 60) * busy * limitScale), load };
}

/** Runs one benchmark as a child process group (lib/child-run.ts); its figures, or a NOT-measured row with the reason. */
async function runChild(b: (typeof benches)[number], limit: number): Promise<{ figures: Figure[]; cpu: number; stopped: boolean }> {
  const dir = tempDir('fs-bench-child-');
  const out = join(dir.dir, 'figures.json');
  const passOn = process.argv.slice(2).filter((a) => !/^--(only|record|child|child-out)(=|$)/.test(a));
  const r = await runLimited(process.execPath, ['--import', 'tsx', join(root, 'bench/run.ts'), ...passOn, `--child=${b.id}`, `--child-out=${out}`], {
    cwd: root,
    limitSeconds: limit,
    onStop: () => process.stderr.write(`  ${b.id}: STOPPED after its time limit of ${limit} s (budget ${b.budget} s): not measured\n`),
  });
  let figures: Figure[];
  try {
    figures = JSON.parse(readFileSync(out, 'utf8')) as Figure[];
  } catch {
    const why = r.stopped
      ? `stopped after its time limit of ${limit} s (budget ${b.budget} s on a quiet machine)`
      : `failed (exit ${r.code}; its error is above)`;
    figures = [{ id: b.id, name: `${b.id}: NOT measured, ${why}`, value: NaN, unit: '', runs: [], notes: why }];
  }
  dir.remove();
  return { figures: figures.map((f) => ({ ...f, bench: b.id })), cpu: r.cpuSeconds, stopped: r.stopped };
}

const figures: Figure[] = [];
const seconds: Record<string, number> = {};
/** CPU seconds (user + system, every process the benchmark started) per benchmark. */
const cpuSecondsOf: Record<string, number> = {};
const loads: Record<string, number> = {};
const started = performance.now();
const loadAtStart = loadavg()[0];
const scenarios = process.argv.includes('--scenarios');
const picked = (b: (typeof benches)[number]) =>
  only ? only.includes(b.id) : b.tier === 'hot' || (!quick && b.tier === 'suite') || (scenarios && b.tier === 'scenario');
// The dashboard's bundle only for the benchmarks that open it in a browser (`npm run bench` builds
// the server alone: the quick pass has no browser and a 2-minute budget).
const inBrowser = ['dashboard', 'soak', 'fleet'];
if (benches.some((b) => picked(b) && inBrowser.includes(b.id))) {
  process.stderr.write('building the dashboard (npm run build:web) for the browser benchmarks...\n');
  execFileSync('npm', ['run', 'build:web'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
const ran: string[] = [];
for (const b of benches) {
  if (!picked(b)) continue;
  const limit = timeLimit(b.budget);
  process.stderr.write(`running ${b.id} (budget ${b.budget} s, stopped at ${limit.seconds} s; load ${limit.load.toFixed(1)})...\n`);
  const t0 = performance.now();
  const r = await runChild(b, limit.seconds);
  figures.push(...r.figures);
  ran.push(b.id);
  seconds[b.id] = Math.round((performance.now() - t0) / 1000);
  cpuSecondsOf[b.id] = Math.round(r.cpu);
  loads[b.id] = limit.load;
  process.stderr.write(`  ${b.id}: ${seconds[b.id]} s (CPU ${cpuSecondsOf[b.id]} s, load ${limit.load.toFixed(1)} -> ${loadavg()[0].toFixed(1)})\n`);
}
const totalSeconds = Math.round((performance.now() - started) / 1000);
// The suite's own time is a figure like any other (issue 21: a run a change can afford). Only for a
// whole tier: a run of some benchmarks by name has no budget.
if (!only) {
  const budget = quick ? 120 : 600;
  figures.push({
    id: quick ? 'suite-seconds-quick' : scenarios ? 'suite-seconds-scenarios' : 'suite-seconds',
    name: `the ${quick ? 'quick pass' : 'full suite'}'s own running time`,
    value: totalSeconds,
    unit: 's',
    runs: [totalSeconds],
    target: scenarios ? undefined : `< ${budget} s`,
    met: scenarios ? undefined : totalSeconds < budget,
    notes: `load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end; per benchmark (wall s / CPU s, load at its start): ${Object.entries(
      seconds,
    )
      .map(([id, sec]) => `${id} ${sec} / ${cpuSecondsOf[id]} (${loads[id].toFixed(1)})`)
      .join(', ')}`,
  });
  // What the suite costs in CPU, all its processes: far less moved by a busy machine than its wall time
  // (the work is the same, the wait for a core is not), so a change in the suite's cost shows here.
  const cpuTotal = Object.values(cpuSecondsOf).reduce((a, b) => a + b, 0);
  figures.push({
    id: quick ? 'suite-cpu-seconds-quick' : scenarios ? 'suite-cpu-seconds-scenarios' : 'suite-cpu-seconds',
    name: `the ${quick ? 'quick pass' : 'full suite'}'s CPU time, every process it started`,
    value: cpuTotal,
    unit: 's',
    runs: [cpuTotal],
    notes: Object.entries(cpuSecondsOf)
      .map(([id, c]) => `${id} ${c} s`)
      .join(', '),
  });
}
process.stderr.write(
  `\nper benchmark: wall s / CPU s / budget s (load at its start)\n${ran
    .map(
      (id) =>
        `  ${id.padEnd(18)} ${String(seconds[id]).padStart(5)} / ${String(cpuSecondsOf[id]).padStart(5)} / ${String(benches.find((b) => b.id === id)!.budget).padStart(4)}  (${loads[id].toFixed(1)})`,
    )
    .join('\n')}\n`,
);

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: process.platform,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
// A partial run must not overwrite the full run's figures.
const resultFile = only ? `only-${only.join('+')}.json` : 'latest.json';
writeFileSync(
  join(root, 'bench/results', resultFile),
  JSON.stringify({ when: new Date().toISOString(), machine, quick, totalSeconds, seconds, cpuSeconds: cpuSecondsOf, loads, figures }, null, 2) + '\n',
);
process.stdout.write(
  `\nmachine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, Node ${machine.node}; ${totalSeconds} s in all\n\n${table(figures)}\n`,
);

const recordedFile = join(root, 'bench/recorded', quick ? 'quick.json' : 'full.json');
const recorded = existsSync(recordedFile) ? (JSON.parse(readFileSync(recordedFile, 'utf8')) as { figures: RecordedFigure[] }).figures : [];
process.stdout.write(
  `\nAgainst the recorded ${quick ? 'quick' : 'full'} run (${recordedFile.slice(root.length)}):\n\n${changesTable([...compare(figures, recorded), ...notMeasured(figures, recorded, ran)])}\n`,
);
if (process.argv.includes('--record')) {
  mkdirSync(join(root, 'bench/recorded'), { recursive: true });
  writeFileSync(recordedFile, JSON.stringify({ machine, figures: record(recorded, figures, new Date().toISOString()) }, null, 2) + '\n');
  process.stdout.write(`recorded: ${recordedFile.slice(root.length)} (commit it with BENCHMARKS.md)\n`);
}
