import type { Figure } from './report.js';
import { fmt } from './report.js';

/** A figure as recorded by `npm run bench -- --record`, with when and how (quick or full) it was measured. */
export interface RecordedFigure extends Figure {
  when: string;
}

export interface Change {
  id: string;
  name: string;
  /** What was compared: the ratio to the same-run baseline when both runs have one (robust to load), else the value. */
  compared: 'ratio' | 'value';
  before: number;
  now: number;
  /** now / before - 1, signed so that > 0 is better. */
  gain: number;
  /** The change this figure's own repeats make plausible (the larger spread of the two runs, at least the floor). */
  noise: number;
  verdict: 'better' | 'worse' | 'within noise' | 'not measured';
  since: string;
}

/** Below this, a change is not told apart from a shared machine's noise even when the repeats agree. */
export const NOISE_FLOOR = 0.1;

/** Units where less is better (times, sizes, errors); rates and scores are better higher. */
const LOWER_IS_BETTER = /^(ms|us|µs|s|ns|MiB|GiB|KiB|MB|GB|KB|B|bytes|days|%)$|per /;

export const higherIsBetter = (f: Figure): boolean => !LOWER_IS_BETTER.test(f.unit.trim());

/** Relative spread of a figure's repeats: (max - min) / median; 0 for a single run. */
export function spread(values: number[]): number {
  const ok = values.filter(Number.isFinite);
  if (ok.length < 2) return 0;
  const sorted = [...ok].sort((a, b) => a - b);
  const mid = sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return mid === 0 ? 0 : (sorted.at(-1)! - sorted[0]) / Math.abs(mid);
}

/** Ratios of each repeat to its baseline, when a figure has as many baseline runs as runs. */
function ratioRuns(f: Figure): number[] {
  if (!f.baseline || f.baseline.runs.length !== f.runs.length) return [];
  const up = higherIsBetter(f);
  return f.runs.map((v, i) => (up ? v / f.baseline!.runs[i] : f.baseline!.runs[i] / v));
}

/**
 * The spread of a figure's ratio: of its paired repeats, or, when the baseline ran a different number
 * of times (history's raw GROUP BY: fewer, it is slow), the spreads of the two sides added (a ratio of
 * two noisy medians moves by about as much as both).
 */
export function ratioSpread(f: Figure): number {
  const paired = ratioRuns(f);
  if (paired.length) return spread(paired);
  return f.baseline ? spread(f.runs) + spread(f.baseline.runs) : spread(f.runs);
}

/** Each figure of this run beside the recorded one with the same id; figures never recorded are left out. */
export function compare(now: Figure[], recorded: RecordedFigure[]): Change[] {
  const byId = new Map(recorded.map((r) => [r.id, r]));
  const out: Change[] = [];
  for (const f of now) {
    const r = byId.get(f.id);
    if (!r || !Number.isFinite(f.value) || !Number.isFinite(r.value)) continue;
    const useRatio = f.ratio !== undefined && r.ratio !== undefined && Number.isFinite(f.ratio) && Number.isFinite(r.ratio);
    const before = useRatio ? r.ratio! : r.value;
    const current = useRatio ? f.ratio! : f.value;
    if (before === 0) continue;
    // A ratio is better higher by construction (report.ts); a value by its unit.
    const up = useRatio || higherIsBetter(f);
    const gain = up ? current / before - 1 : before / current - 1;
    const noise = Math.max(NOISE_FLOOR, useRatio ? Math.max(ratioSpread(f), ratioSpread(r)) : Math.max(spread(f.runs), spread(r.runs)));
    out.push({
      id: f.id,
      name: f.name,
      compared: useRatio ? 'ratio' : 'value',
      before,
      now: current,
      gain,
      noise,
      verdict: Math.abs(gain) <= noise ? 'within noise' : gain > 0 ? 'better' : 'worse',
      since: r.when,
    });
  }
  return out;
}

/**
 * Recorded figures of the benchmarks that ran (`ran`: their ids) that this run did not measure: a
 * benchmark that failed or was stopped, or a figure that is gone. Each is a row, so that a missing
 * figure is seen as such rather than left out of the comparison.
 */
export function notMeasured(now: Figure[], recorded: RecordedFigure[], ran: string[]): Change[] {
  const measured = new Set(now.filter((f) => Number.isFinite(f.value)).map((f) => f.id));
  return recorded
    .filter((r) => r.bench !== undefined && ran.includes(r.bench) && !measured.has(r.id))
    .map((r) => {
      const useRatio = r.ratio !== undefined && Number.isFinite(r.ratio);
      return {
        id: r.id,
        name: r.name,
        compared: useRatio ? ('ratio' as const) : ('value' as const),
        before: useRatio ? r.ratio! : r.value,
        now: NaN,
        gain: NaN,
        noise: NaN,
        verdict: 'not measured' as const,
        since: r.when,
      };
    });
}

/** The changes beyond noise first (worse before better), then the rest; one line each. */
export function changesTable(changes: Change[]): string {
  if (!changes.length) return 'No recorded figures to compare with (bench/recorded/; `--record` writes them).';
  const order = { 'not measured': 0, worse: 1, better: 2, 'within noise': 3 } as const;
  const rows = [...changes]
    .sort((a, b) => order[a.verdict] - order[b.verdict] || Math.abs(b.gain) - Math.abs(a.gain))
    .map((c) => [
      c.name,
      c.compared,
      fmt(c.before),
      c.verdict === 'not measured' ? '-' : fmt(c.now),
      c.verdict === 'not measured' ? '-' : `${c.gain >= 0 ? '+' : ''}${(c.gain * 100).toFixed(0)}%`,
      c.verdict === 'not measured' ? '-' : `±${(c.noise * 100).toFixed(0)}%`,
      c.verdict === 'within noise' ? c.verdict : c.verdict.toUpperCase(),
      c.since.slice(0, 10),
    ]);
  const head = ['benchmark', 'compared', 'recorded', 'now', 'change (+ better)', 'noise', 'verdict', 'recorded on'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** The recorded set with this run's figures replacing those of the same id. */
export function record(recorded: RecordedFigure[], now: Figure[], when: string): RecordedFigure[] {
  const next = new Map(recorded.map((r) => [r.id, r]));
  for (const f of now) if (Number.isFinite(f.value)) next.set(f.id, { ...f, when });
  return [...next.values()].sort((a, b) => a.id.localeCompare(b.id));
}
