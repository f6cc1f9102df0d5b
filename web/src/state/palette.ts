/** Series colours that read on both light and dark backgrounds, assigned by metric position. */
export const seriesPalette = ['#2f7ed8', '#e8743b', '#19a979', '#c45ab3', '#d1a400', '#5899da', '#945ecf', '#13a4b4', '#e35f5f', '#6c8893'];

export function seriesColors(metrics: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  metrics.forEach((m, i) => (out[m] = seriesPalette[i % seriesPalette.length]));
  return out;
}
