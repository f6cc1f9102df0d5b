/** One figure of BENCHMARKS.md: a median over runs, beside a baseline measured in the same run. */
export interface Figure {
  id: string;
  name: string;
  value: number;
  unit: string;
  runs: number[];
  baseline?: { name: string; value: number; runs: number[] };
  /** value / baseline (for rates) or baseline / value (for times), so that higher is better. */
  ratio?: number;
  target?: string;
  met?: boolean;
  notes?: string;
  /** The benchmark (bench/run.ts id) that measured it: a recorded figure it no longer gives is named. */
  bench?: string;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function table(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    Number.isFinite(f.value) ? `${fmt(f.value)} ${f.unit}` : 'NOT measured',
    f.baseline ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.name})` : '-',
    typeof f.ratio === 'number' && Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)}x` : '-',
    f.target ?? '-',
    f.met === undefined ? '-' : f.met ? 'met' : 'NOT met',
  ]);
  const head = ['benchmark', 'median', 'baseline (same run)', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}
