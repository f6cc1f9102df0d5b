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
import { root } from './lib/procs.js';
import { table, type Figure } from './lib/report.js';
import { changesTable, compare, record, type RecordedFigure } from './lib/compare.js';
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
const benches: { id: string; tier: Tier; run: () => Promise<Figure | Figure[]> }[] = [
  {
    id: 'ingest',
    tier: 'hot',
    run: () => benchIngest(quick ? { runs: 1, messages: 20_000, seconds: 10, clients: 10 } : { runs: 3, messages: 4_000_000, seconds: 12, clients: 100 }),
  },
  {
    id: 'ingest-external',
    tier: 'suite',
    run: () =>
      benchIngestExternal(
        quick
          ? { runs: 1, firstMessages: 5000, maxMessages: 5000, seconds: 5, clients: 10 }
          : { runs: 3, firstMessages: 10_000, maxMessages: 200_000, seconds: 10, clients: 50 },
      ),
  },
  // --quick: the 1-client path only (the hot path's figure); the 100-browser fan-out in the full run.
  { id: 'latency', tier: 'hot', run: () => benchLatency(quick ? { runs: 1, seconds: 5, rate: 2000, receivers: [1] } : { runs: 3, seconds: 8, rate: 2000 }) },
  { id: 'history', tier: 'suite', run: () => benchHistory(quick ? { total: 1_000_000, queries: 9 } : { total: 10_000_000, queries: 21 }) },
  { id: 'store', tier: 'hot', run: () => benchStoreWrite(quick ? { readings: 100_000, runs: 1 } : { readings: 1_000_000, runs: 3 }) },
  { id: 'dashboard', tier: 'suite', run: () => benchDashboard({ runs: quick ? 2 : 3 }) },
  { id: 'soak', tier: 'scenario', run: () => benchDashboardSoak({ minutes: quick ? 1 : 3 }) },
  {
    id: 'connections',
    tier: 'suite',
    run: () =>
      benchConnections({
        runs: 1,
        clients: numArg('clients') ?? (quick ? 2000 : 10_000),
        seconds: numArg('seconds') ?? (quick ? 20 : 30),
        heapDir: process.argv.find((a) => a.startsWith('--heap-dir='))?.slice(11),
        skipBaseline: process.argv.includes('--skip-baseline'),
        quietRamp: process.argv.includes('--quiet-ramp'),
        listeners: numArg('listeners'),
      }),
  },
  { id: 'import', tier: 'suite', run: () => benchImport(quick ? { runs: 1, rows: 200_000 } : { runs: 3, rows: 500_000 }) },
  { id: 'packet-watch', tier: 'suite', run: () => benchPacketWatch(quick ? { runs: 3, packets: 200_000 } : { runs: 5, packets: 1_000_000 }) },
  { id: 'import-long-lines', tier: 'suite', run: () => benchImportLongLines(quick ? { runs: 1, mb: 10 } : { runs: 3, mb: 60 }) },
  // Seeding 10M rows takes minutes on a shared machine: --rows=N and --pg-rows=N set the stored sets (pg-rows=0: SQLite only, rows=0: PostgreSQL only).
  {
    id: 'mixed',
    tier: 'scenario',
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
        profile: process.argv.includes('--profile'),
      }),
  },
  {
    id: 'models',
    tier: 'suite',
    run: () =>
      benchModels(
        quick
          ? { runs: 1, latencyN: 1000, devices: 20, perDevice: 100, train: 4, test: 4 }
          : { runs: 3, latencyN: 5000, devices: 100, perDevice: 300, train: 8, test: 8 },
      ),
  },
  { id: 'shared-state', tier: 'suite', run: () => benchSharedState(quick ? { changes: 20, failovers: 3 } : { changes: 50, failovers: 3 }) },
  // Issue 19: NATS cluster ingest beside the embedded broker, takeover after kill -9, lag meanwhile (bench/cluster.ts).
  {
    id: 'cluster',
    tier: 'scenario',
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
    run: () =>
      benchFleet({
        ...(quick ? { runs: 1, devices: 5000, seconds: 10 } : { runs: 2, devices: 5000, seconds: 10 }),
        profile: process.argv.includes('--profile'),
        trace: process.argv.includes('--trace'),
        baseline: !process.argv.includes('--no-baseline'),
      }),
  },
  { id: 'server-soak', tier: 'scenario', run: () => benchServerSoak({ minutes: minutesArg ? Number(minutesArg) : quick ? 1 : 10, rate: 20_000, clients: 50 }) },
];

const figures: Figure[] = [];
const seconds: Record<string, number> = {};
const started = performance.now();
const loadAtStart = loadavg()[0];
const scenarios = process.argv.includes('--scenarios');
const picked = (b: (typeof benches)[number]) =>
  only ? only.includes(b.id) : b.tier === 'hot' || (!quick && b.tier === 'suite') || (scenarios && b.tier === 'scenario');
for (const b of benches) {
  if (!picked(b)) continue;
  process.stderr.write(`running ${b.id}...\n`);
  const t0 = performance.now();
  try {
    figures.push(...[await b.run()].flat());
  } catch (err) {
    process.stderr.write(`  ${b.id} failed: ${(err as Error).stack}\n`);
    figures.push({ id: b.id, name: b.id, value: NaN, unit: '', runs: [], notes: `failed: ${(err as Error).message}` });
  }
  seconds[b.id] = Math.round((performance.now() - t0) / 1000);
  process.stderr.write(`  ${b.id}: ${seconds[b.id]} s\n`);
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
    notes: `load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end; per benchmark: ${Object.entries(seconds)
      .map(([id, sec]) => `${id} ${sec} s`)
      .join(', ')}`,
  });
}

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
  JSON.stringify({ when: new Date().toISOString(), machine, quick, totalSeconds, seconds, figures }, null, 2) + '\n',
);
process.stdout.write(
  `\nmachine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, Node ${machine.node}; ${totalSeconds} s in all\n\n${table(figures)}\n`,
);

const recordedFile = join(root, 'bench/recorded', quick ? 'quick.json' : 'full.json');
const recorded = existsSync(recordedFile) ? (JSON.parse(readFileSync(recordedFile, 'utf8')) as { figures: RecordedFigure[] }).figures : [];
process.stdout.write(
  `\nAgainst the recorded ${quick ? 'quick' : 'full'} run (${recordedFile.slice(root.length)}):\n\n${changesTable(compare(figures, recorded))}\n`,
);
if (process.argv.includes('--record')) {
  mkdirSync(join(root, 'bench/recorded'), { recursive: true });
  writeFileSync(recordedFile, JSON.stringify({ machine, figures: record(recorded, figures, new Date().toISOString()) }, null, 2) + '\n');
  process.stdout.write(`recorded: ${recordedFile.slice(root.length)} (commit it with BENCHMARKS.md)\n`);
}
