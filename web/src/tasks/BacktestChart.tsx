import type { BucketSeries } from '../../../src/model/telemetry.js';
import type { BacktestResult } from './api.js';
import { useTranslation } from '../i18n/index.js';
import { ChartAxes, chartFormats, historyPlot, plotHeight, type ChartBox } from './ChartFrame.js';

const BOX: ChartBox = { w: 720, h: 220, pad: { l: 48, r: 12, t: 12, b: 28 } };

/** Where a backtest's alarms and limits fall over a metric's history, in chart coordinates. */
export function previewGeometry(series: BucketSeries | undefined, from: number, to: number, limits: number[], alarms: BacktestResult['alarms']) {
  const plot = historyPlot(BOX, series, from, to, limits);
  return {
    ...plot,
    limits: limits.filter((v) => Number.isFinite(v)).map((v) => ({ v, y: plot.y(v) })),
    bands: alarms.map((a) => {
      const x0 = plot.x(Math.max(from, a.raisedAt));
      const x1 = plot.x(Math.min(to, a.clearedAt ?? to));
      return { x: x0, w: Math.max(2, x1 - x0) };
    }),
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
  const { num } = chartFormats();
  return (
    <figure className="backtest-chart" data-testid="backtest-chart" data-points={series?.ts.length ?? 0} data-bands={g.bands.length}>
      <svg viewBox={`0 0 ${BOX.w} ${BOX.h}`} role="img" aria-label={t('preview.chartLabel', { metric, device, count: alarms.length })}>
        {g.bands.map((b, i) => (
          <rect key={i} x={b.x} y={BOX.pad.t} width={b.w} height={plotHeight(BOX)} className="bt-band" data-testid="backtest-band" />
        ))}
        {g.limits.map((l, i) => (
          <g key={i}>
            <line x1={BOX.pad.l} x2={BOX.w - BOX.pad.r} y1={l.y} y2={l.y} className="bt-limit" />
            <text x={BOX.w - BOX.pad.r - 4} y={l.y - 4} textAnchor="end" className="bt-text">
              {num.format(l.v)}
            </text>
          </g>
        ))}
        {g.line && <polyline points={g.line} className="bt-line" data-testid="backtest-line" />}
        <ChartAxes box={BOX} from={from} to={to} top={num.format(g.yMax)} bottom={num.format(g.yMin)} />
      </svg>
      <figcaption>{series?.ts.length ? t('preview.caption', { metric, device }) : t('preview.noHistory', { metric, device })}</figcaption>
    </figure>
  );
}
