import type { ScaleGroup } from './profiles.js';

/** The prediction series charted on the device page, on two axes: score with its threshold, RUL with its interval. */
export const SCORE_SERIES = ['anomaly_score', 'anomaly_threshold'];
export const RUL_SERIES = ['rul_days', 'rul_days_low', 'rul_days_high'];

/** Which of a device's metrics the model panel charts, and on which axis. */
export function modelChart(metrics: string[], labels: { score: string; rul: string }): { metrics: string[]; groups: ScaleGroup[] } {
  const score = SCORE_SERIES.filter((m) => metrics.includes(m));
  const rul = RUL_SERIES.filter((m) => metrics.includes(m));
  const groups: ScaleGroup[] = [];
  if (score.length) groups.push({ key: 'model:score', label: labels.score, metrics: score });
  if (rul.length) groups.push({ key: 'model:rul', label: labels.rul, metrics: rul });
  return { metrics: [...score, ...rul], groups };
}
