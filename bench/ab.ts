// Before/after of one change, back to back on a shared machine: rounds alternate the two builds
// (before: another checkout's bin/fieldscope.js, built; after: this one), each round one run of
// the benchmark, so both sides see the same load. Prints every round's figures and the medians.
//   node --import tsx bench/ab.ts --before=/path/to/old/bin/fieldscope.js --only=latency|fleet|ingest [--rounds=3]
import { benchLatency } from './latency.js';
import { benchFleet } from './fleet.js';
import { benchIngest } from './ingest.js';
import { median } from './lib/procs.js';
import type { Figure } from './lib/report.js';

const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const before = arg('before');
const only = arg('only');
const rounds = Number(arg('rounds') ?? 3);
if (!before || (only !== 'latency' && only !== 'fleet' && only !== 'ingest')) {
  process.stderr.write('usage: bench/ab.ts --before=PATH/bin/fieldscope.js --only=latency|fleet|ingest [--rounds=N]\n');
  process.exit(2);
}
const run = (): Promise<Figure[]> =>
  only === 'latency'
    ? benchLatency({ runs: 1, seconds: 15, rate: 2000 })
    : only === 'ingest'
      ? // One round of figure 1/1c (its own bare-Mosquitto round included): CPU per message is the figure to read.
        benchIngest({ runs: 1, messages: 4_000_000, seconds: 20, clients: 100 })
      : benchFleet({ runs: 1, devices: 5000, seconds: 20, baseline: false });

const results: Record<'before' | 'after', Figure[][]> = { before: [], after: [] };
for (let r = 0; r < rounds; r++) {
  for (const side of ['before', 'after'] as const) {
    if (side === 'before') process.env.FIELDSCOPE_BENCH_SERVER = before;
    else delete process.env.FIELDSCOPE_BENCH_SERVER;
    const load = (await import('node:os')).loadavg()[0].toFixed(1);
    // A server that could not start in time (a loaded machine) is tried once more, not the round lost.
    const figs = await run().catch((err: Error) => {
      process.stderr.write(`round ${r + 1} ${side}: ${err.message.split('\n')[0]}; once more\n`);
      return run();
    });
    results[side].push(figs);
    process.stderr.write(
      `round ${r + 1} ${side} (load ${load}): ${figs.map((f) => `${f.id} ${f.value.toFixed(2)}${f.baseline ? ` (base ${f.baseline.value.toFixed(2)})` : ''}`).join(', ')}\n`,
    );
  }
}
process.stdout.write('\nmedians of the rounds (before -> after):\n');
for (const f of results.after[0]) {
  const of = (side: 'before' | 'after', pick: (x: Figure) => number | undefined) =>
    median(results[side].map((figs) => pick(figs.find((x) => x.id === f.id)!) ?? NaN));
  const base = (side: 'before' | 'after') => of(side, (x) => x.baseline?.value);
  process.stdout.write(
    `  ${f.id}: ${of('before', (x) => x.value).toFixed(2)} -> ${of('after', (x) => x.value).toFixed(2)} ${f.unit}` +
      (f.baseline ? `  (baseline ${base('before').toFixed(2)} / ${base('after').toFixed(2)})` : '') +
      '\n',
  );
}
process.exit(0);
