// A small line of the last hour (bucket averages), with the latest live value at its right end, for
// the fleet table's rows. Drawn on a canvas: a new live value repaints a few pixels instead of
// replacing an SVG path's text (which Chromium parses, styles and lays out again).

const W = 120;
const H = 24;

/** A CSS colour as the canvas takes it: custom properties (`var(--accent, #2f7ed8)`) resolved against the element. */
export function resolveColor(el: HTMLElement, color: string): string {
  const m = /^var\((--[\w-]+)\s*(?:,\s*(.+))?\)$/.exec(color.trim());
  if (!m) return color;
  const v = getComputedStyle(el).getPropertyValue(m[1]).trim();
  return v || m[2] || '#2f7ed8';
}

export const SPARK_W = W;
export const SPARK_H = H;

/** Paints the line on `canvas` (W x H CSS px): bucket averages, then the latest value when newer than the last bucket. */
export function drawSparkline(
  canvas: HTMLCanvasElement,
  stroke: string,
  ts: number[],
  values: number[],
  from: number,
  to: number,
  latest: { ts: number; value: number } | undefined,
): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const extra = !!latest && (!ts.length || latest.ts > ts[ts.length - 1]);
  const ratio = typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
  if (canvas.width !== W * ratio) {
    canvas.width = W * ratio;
    canvas.height = H * ratio;
  }
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
  const px = (t: number) => ((t - from) / Math.max(1, to - from)) * W;
  const py = (v: number) => H - 2 - ((v - lo) / span) * (H - 4);
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, W, H);
  g.beginPath();
  for (let i = 0; i < ts.length; i++) {
    if (i) g.lineTo(px(ts[i]), py(values[i]));
    else g.moveTo(px(ts[i]), py(values[i]));
  }
  if (extra) {
    if (ts.length) g.lineTo(px(latest!.ts), py(latest!.value));
    else g.moveTo(px(latest!.ts), py(latest!.value));
  }
  g.strokeStyle = stroke;
  g.lineWidth = 1.25;
  g.stroke();
}

/** How many points drawSparkline draws for these (the data-points attribute tests read). */
export function sparkPoints(ts: number[], latest: { ts: number; value: number } | undefined): number {
  return ts.length + (latest && (!ts.length || latest.ts > ts[ts.length - 1]) ? 1 : 0);
}
