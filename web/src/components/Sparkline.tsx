import { memo } from 'react';

/** A small line of the last hour (bucket averages), with the latest live value at its right end. */
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
  const W = 120;
  const H = 24;
  const xs = [...ts];
  const ys = [...values];
  if (latest && (!xs.length || latest.ts > xs[xs.length - 1])) {
    xs.push(latest.ts);
    ys.push(latest.value);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ys) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo || 1;
  const px = (t: number) => ((t - from) / Math.max(1, to - from)) * W;
  const py = (v: number) => H - 2 - ((v - lo) / span) * (H - 4);
  const d = xs.map((t, i) => `${i ? 'L' : 'M'}${px(t).toFixed(1)},${py(ys[i]).toFixed(1)}`).join('');
  return (
    <svg className="sparkline" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-points={xs.length}>
      <path d={d} fill="none" stroke={color} strokeWidth="1.25" />
    </svg>
  );
});
