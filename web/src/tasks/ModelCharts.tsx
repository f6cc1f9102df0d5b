import { useRef, useState } from 'react';
import type { BucketSeries } from '../../../src/model/telemetry.js';
import { useTranslation } from '../i18n/index.js';
import { ChartAxes, chartFormats, historyPlot, plotHeight, plotWidth, timeScale, type ChartBox } from './ChartFrame.js';
import type { BacktestPoint } from './models-api.js';

const BOX: ChartBox = { w: 720, h: 200, pad: { l: 52, r: 12, t: 12, b: 26 } };
const PAD = BOX.pad;
const PLOT_W = plotWidth(BOX);
const PLOT_H = plotHeight(BOX);

/**
 * Anomaly scores span orders of magnitude (a worn bearing scores thousands against a threshold of
 * ten), so they are drawn on log10(1 + score): the threshold and the healthy scores stay readable.
 */
export const logScore = (v: number): number => Math.log10(1 + Math.max(0, v));

/** Chart coordinates of a backtest: the score line, the threshold line (per window: a dynamic one moves), flagged windows, RUL with its interval. */
export function backtestGeometry(points: BacktestPoint[]) {
  const from = points[0]?.ts ?? 0;
  const to = points.at(-1)?.ts ?? 1;
  const x = timeScale(BOX, from, to);
  const scores = points.filter((p) => p.anomaly_score !== undefined);
  const sTop = Math.max(1e-9, ...scores.map((p) => logScore(Math.max(p.anomaly_score!, p.anomaly_threshold ?? 0))));
  const ys = (v: number) => PAD.t + (1 - logScore(v) / sTop) * PLOT_H;
  const rul = points.filter((p) => p.rul_days !== undefined);
  const rTop = Math.max(1e-9, ...rul.map((p) => p.rul_days_high ?? p.rul_days!));
  const yr = (v: number) => PAD.t + (1 - Math.max(0, v) / rTop) * PLOT_H;
  const line = (ps: BacktestPoint[], y: (p: BacktestPoint) => number) => ps.map((p) => `${x(p.ts).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
  const withThreshold = scores.filter((p) => p.anomaly_threshold !== undefined);
  const withInterval = rul.filter((p) => p.rul_days_low !== undefined && p.rul_days_high !== undefined);
  return {
    from,
    to,
    scoreMax: 10 ** sTop - 1,
    rulMax: rTop,
    score: line(scores, (p) => ys(p.anomaly_score!)),
    threshold: line(withThreshold, (p) => ys(p.anomaly_threshold!)),
    thresholdY: withThreshold.length ? ys(withThreshold.at(-1)!.anomaly_threshold!) : null,
    flagged: scores.filter((p) => p.anomaly === 1).map((p) => ({ x: x(p.ts), y: ys(p.anomaly_score!) })),
    rul: line(rul, (p) => yr(p.rul_days!)),
    interval: withInterval.length
      ? [
          ...withInterval.map((p) => `${x(p.ts).toFixed(1)},${yr(p.rul_days_high!).toFixed(1)}`),
          ...[...withInterval].reverse().map((p) => `${x(p.ts).toFixed(1)},${yr(p.rul_days_low!).toFixed(1)}`),
        ].join(' ')
      : '',
    hasScores: scores.length > 0,
    hasRul: rul.length > 0,
  };
}

/** A backtest on screen: anomaly scores against the threshold (flagged windows marked), and RUL with its 95% interval. */
export function ModelBacktestChart({ points, device }: { points: BacktestPoint[]; device: string }) {
  const { t } = useTranslation('models');
  const g = backtestGeometry(points);
  const { num } = chartFormats();
  const axes = (top: string, note: string) => <ChartAxes box={BOX} from={g.from} to={g.to} top={top} bottom="0" note={note} />;
  return (
    <div className="model-charts">
      {g.hasScores && (
        <figure className="backtest-chart" data-testid="model-backtest-scores" data-points={points.length} data-flagged={g.flagged.length}>
          <svg viewBox={`0 0 ${BOX.w} ${BOX.h}`} role="img" aria-label={t('backtest.scoresLabel', { device, count: g.flagged.length })}>
            {g.threshold && <polyline points={g.threshold} className="bt-limit model-threshold" data-testid="model-backtest-threshold" />}
            <polyline points={g.score} className="bt-line" data-testid="model-backtest-score-line" />
            {g.flagged.map((f, i) => (
              <circle key={i} cx={f.x} cy={f.y} r={2.5} className="model-flag" />
            ))}
            {axes(num.format(g.scoreMax), t('backtest.logScale'))}
          </svg>
          <figcaption>{t('backtest.scoresCaption')}</figcaption>
        </figure>
      )}
      {g.hasRul && (
        <figure className="backtest-chart" data-testid="model-backtest-rul">
          <svg viewBox={`0 0 ${BOX.w} ${BOX.h}`} role="img" aria-label={t('backtest.rulLabel', { device })}>
            {g.interval && <polygon points={g.interval} className="model-interval" />}
            <polyline points={g.rul} className="bt-line" />
            {axes(t('days', { value: num.format(g.rulMax) }), '')}
          </svg>
          <figcaption>{t('backtest.rulCaption')}</figcaption>
        </figure>
      )}
    </div>
  );
}

/**
 * A metric's stored history with the healthy window shaded; drag across it to mark another window.
 * The inputs beside it say the same range in words and can be typed instead.
 */
export function HealthyWindowChart({
  series,
  from,
  to,
  selFrom,
  selTo,
  metric,
  device,
  onSelect,
}: {
  series: BucketSeries | undefined;
  from: number;
  to: number;
  selFrom: number | null;
  selTo: number | null;
  metric: string;
  device: string;
  onSelect(from: number, to: number): void;
}) {
  const { t } = useTranslation('models');
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ a: number; b: number } | null>(null);
  const { num } = chartFormats();
  const span = to - from || 1;
  const { x, yMin, yMax, line } = historyPlot(BOX, series, from, to);
  /** Pointer x in the chart's own units, as a time. */
  const at = (clientX: number) => {
    const r = svg.current!.getBoundingClientRect();
    const vx = ((clientX - r.left) / r.width) * BOX.w;
    return from + (Math.min(PLOT_W, Math.max(0, vx - PAD.l)) / PLOT_W) * span;
  };
  const band = drag ? { a: Math.min(drag.a, drag.b), b: Math.max(drag.a, drag.b) } : selFrom !== null && selTo !== null ? { a: selFrom, b: selTo } : null;
  return (
    <figure className="backtest-chart healthy-chart" data-testid="healthy-chart" data-points={series?.ts.length ?? 0}>
      <svg
        ref={svg}
        viewBox={`0 0 ${BOX.w} ${BOX.h}`}
        role="img"
        aria-label={t('fit.chartLabel', { metric, device })}
        onPointerDown={(e) => {
          if (!series?.ts.length) return;
          (e.target as Element).setPointerCapture?.(e.pointerId);
          const ts = at(e.clientX);
          setDrag({ a: ts, b: ts });
        }}
        onPointerMove={(e) => drag && setDrag({ a: drag.a, b: at(e.clientX) })}
        onPointerUp={() => {
          if (drag && Math.abs(drag.b - drag.a) > span / 200) onSelect(Math.round(Math.min(drag.a, drag.b)), Math.round(Math.max(drag.a, drag.b)));
          setDrag(null);
        }}
      >
        {band && (
          <rect
            x={Math.max(PAD.l, x(band.a))}
            y={PAD.t}
            width={Math.max(1, Math.min(BOX.w - PAD.r, x(band.b)) - Math.max(PAD.l, x(band.a)))}
            height={PLOT_H}
            className="healthy-band"
            data-testid="healthy-band"
          />
        )}
        {line && <polyline points={line} className="bt-line" />}
        <ChartAxes box={BOX} from={from} to={to} top={num.format(yMax)} bottom={num.format(yMin)} />
      </svg>
      <figcaption>{series?.ts.length ? t('fit.chartCaption', { metric }) : t('fit.noHistory', { metric, device })}</figcaption>
    </figure>
  );
}
