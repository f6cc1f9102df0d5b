import { memo, useLayoutEffect, useRef } from 'react';

const W = 120;
const H = 24;

/** A CSS colour as the canvas takes it: custom properties (`var(--accent, #2f7ed8)`) resolved against the element. */
function resolveColor(el: HTMLElement, color: string): string {
  const m = /^var\((--[\w-]+)\s*(?:,\s*(.+))?\)$/.exec(color.trim());
  if (!m) return color;
  const v = getComputedStyle(el).getPropertyValue(m[1]).trim();
  return v || m[2] || '#2f7ed8';
}

/**
 * A small line of the last hour (bucket averages), with the latest live value at its right end.
 * Drawn on a canvas: a new live value each second repaints a few pixels instead of replacing an
 * SVG path's text (which Chromium parses, styles and lays out again), for every row on screen.
 */
export const Sparkline = memo(function Sparkline({
  ts,
  values,
  from,
  to,
  latest,
  color,
  label,
}: {
  ts: number[];
  values: number[];
  from: number;
  to: number;
  latest?: { ts: number; value: number };
  color: string;
  label: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const stroke = useRef<string | null>(null);
  const extra = !!latest && (!ts.length || latest.ts > ts[ts.length - 1]);
  const points = ts.length + (extra ? 1 : 0);
  useLayoutEffect(() => {
    const canvas = ref.current;
    const g = canvas?.getContext('2d');
    if (!canvas || !g) return;
    const ratio = typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
    if (canvas.width !== W * ratio) {
      canvas.width = W * ratio;
      canvas.height = H * ratio;
    }
    // Read once per canvas: getComputedStyle on every repaint would force a style pass per row.
    if (stroke.current === null) stroke.current = resolveColor(canvas, color);
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
    g.strokeStyle = stroke.current;
    g.lineWidth = 1.25;
    g.stroke();
  }, [ts, values, from, to, latest, extra, color]);
  return <canvas ref={ref} className="sparkline" style={{ width: W, height: H }} role="img" aria-label={label} data-points={points} />;
});
