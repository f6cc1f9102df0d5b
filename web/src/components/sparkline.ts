// A small line of the last hour (bucket averages), with the latest live value at its right end, for
// the fleet table's rows. An SVG path, not a canvas: every canvas is a layer of its own for the
// compositor, and with one per row on screen Chromium re-layerised the page and copied canvas
// bitmaps on every scrolled frame (docs/fleet-table.md, stop 22). A path is painted with the row.

const W = 120;
const H = 24;

export const SPARK_W = W;
export const SPARK_H = H;

/** Coordinates to half a pixel: a live value that moves the line by less draws the same path (no repaint). */
const half = (x: number) => (Math.round(x * 2) / 2).toString();

/** A drawn sparkline: its path (`d`, empty when there is nothing to draw) and how many points it has. */
export interface SparklineShape {
  d: string;
  points: number;
}

/** The line in a W x H box: bucket averages, then the latest value when newer than the last bucket. */
export function sparkline(ts: number[], values: number[], from: number, to: number, latest: { ts: number; value: number } | undefined): SparklineShape {
  const extra = !!latest && (!ts.length || latest.ts > ts[ts.length - 1]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (extra) {
    lo = Math.min(lo, latest!.value);
    hi = Math.max(hi, latest!.value);
  }
  const span = hi - lo || 1;
  const px = (t: number) => half(((t - from) / Math.max(1, to - from)) * W);
  const py = (v: number) => half(H - 2 - ((v - lo) / span) * (H - 4));
  let d = '';
  for (let i = 0; i < ts.length; i++) d += `${i ? 'L' : 'M'}${px(ts[i])} ${py(values[i])}`;
  if (extra) d += `${d ? 'L' : 'M'}${px(latest!.ts)} ${py(latest!.value)}`;
  return { d, points: ts.length + (extra ? 1 : 0) };
}
