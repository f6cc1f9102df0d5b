import type { BucketSeries } from '../../../src/model/telemetry.js';
import type { BacktestResult } from './api.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';

const W = 720;
const H = 220;
const PAD = { l: 48, r: 12, t: 12, b: 28 };

/** Where a backtest's alarms and limits fall over a metric's history, in chart coordinates. */
export function previewGeometry(
  series: BucketSeries | undefined,
  from: number,
  to: number,
  limits: number[],
  alarms: BacktestResult['alarms'],
): {
  line: string;
  yMin: number;
  yMax: number;
  limits: { v: number; y: number }[];
  bands: { x: number; w: number }[];
  x(ts: number): number;
  y(v: number): number;
} {
  const vals = [...(series?.min ?? []), ...(series?.max ?? []), ...limits].filter((v) => Number.isFinite(v));
  let yMin = vals.length ? Math.min(...vals) : 0;
  let yMax = vals.length ? Math.max(...vals) : 1;
  if (yMin === yMax) {
    yMin -= 1;
    yMax += 1;
  }
  const span = to - from || 1;
  const x = (ts: number) => PAD.l + ((ts - from) / span) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - (v - yMin) / (yMax - yMin)) * (H - PAD.t - PAD.b);
  const pts = series ? series.ts.map((ts, i) => `${x(ts).toFixed(1)},${y(series.avg[i]).toFixed(1)}`) : [];
  return {
    line: pts.join(' '),
    yMin,
    yMax,
    limits: limits.filter((v) => Number.isFinite(v)).map((v) => ({ v, y: y(v) })),
    bands: alarms.map((a) => {
      const x0 = x(Math.max(from, a.raisedAt));
      const x1 = x(Math.min(to, a.clearedAt ?? to));
      return { x: x0, w: Math.max(2, x1 - x0) };
    }),
    x,
    y,
  };
}

/** The metric's history with the rule's limits and the alarms the backtest would have raised, as bands. */
export function BacktestChart({
  series,
  from,
  to,
  limits,
  alarms,
  metric,
  device,
}: {
  series: BucketSeries | undefined;
  from: number;
  to: number;
  limits: number[];
  alarms: BacktestResult['alarms'];
  metric: string;
  device: string;
}) {
  const { t } = useTranslation('rules');
  const g = previewGeometry(series, from, to, limits, alarms);
  const lang = currentLanguage();
  const time = new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const num = new Intl.NumberFormat(lang, { maximumSignificantDigits: 4 });
  return (
    <figure className="backtest-chart" data-testid="backtest-chart" data-points={series?.ts.length ?? 0} data-bands={g.bands.length}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('preview.chartLabel', { metric, device, count: alarms.length })}>
        <rect x={PAD.l} y={PAD.t} width={W - PAD.l - PAD.r} height={H - PAD.t - PAD.b} className="bt-frame" />
        {g.bands.map((b, i) => (
          <rect key={i} x={b.x} y={PAD.t} width={b.w} height={H - PAD.t - PAD.b} className="bt-band" data-testid="backtest-band" />
        ))}
        {g.limits.map((l, i) => (
          <g key={i}>
            <line x1={PAD.l} x2={W - PAD.r} y1={l.y} y2={l.y} className="bt-limit" />
            <text x={W - PAD.r - 4} y={l.y - 4} textAnchor="end" className="bt-text">
              {num.format(l.v)}
            </text>
          </g>
        ))}
        {g.line && <polyline points={g.line} className="bt-line" data-testid="backtest-line" />}
        <text x={PAD.l - 6} y={PAD.t + 10} textAnchor="end" className="bt-text">
          {num.format(g.yMax)}
        </text>
        <text x={PAD.l - 6} y={H - PAD.b} textAnchor="end" className="bt-text">
          {num.format(g.yMin)}
        </text>
        <text x={PAD.l} y={H - 8} className="bt-text">
          {time.format(from)}
        </text>
        <text x={W - PAD.r} y={H - 8} textAnchor="end" className="bt-text">
          {time.format(to)}
        </text>
      </svg>
      <figcaption>{series?.ts.length ? t('preview.caption', { metric, device }) : t('preview.noHistory', { metric, device })}</figcaption>
    </figure>
  );
}
