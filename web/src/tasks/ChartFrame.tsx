import type { BucketSeries } from '../../../src/model/telemetry.js';
import { currentLanguage } from '../i18n/index.js';

/** A task screen's small SVG chart: its size and the padding that holds the axis labels. */
export interface ChartBox {
  w: number;
  h: number;
  pad: { l: number; r: number; t: number; b: number };
}

export const plotWidth = (b: ChartBox): number => b.w - b.pad.l - b.pad.r;
export const plotHeight = (b: ChartBox): number => b.h - b.pad.t - b.pad.b;

/** Time to x over [from, to]. */
export function timeScale(box: ChartBox, from: number, to: number): (ts: number) => number {
  const span = to - from || 1;
  return (ts) => box.pad.l + ((ts - from) / span) * plotWidth(box);
}

/**
 * A metric's bucketed history as a polyline of bucket averages, scaled so that every bucket's min and
 * max (and the `extra` values, e.g. a rule's limits) fit; a flat series gets a range of 2 around it.
 */
export function historyPlot(box: ChartBox, series: BucketSeries | undefined, from: number, to: number, extra: number[] = []) {
  const vals = [...(series?.min ?? []), ...(series?.max ?? []), ...extra].filter((v) => Number.isFinite(v));
  let yMin = vals.length ? Math.min(...vals) : 0;
  let yMax = vals.length ? Math.max(...vals) : 1;
  if (yMin === yMax) {
    yMin -= 1;
    yMax += 1;
  }
  const x = timeScale(box, from, to);
  const y = (v: number) => box.pad.t + (1 - (v - yMin) / (yMax - yMin)) * plotHeight(box);
  const line = series ? series.ts.map((ts, i) => `${x(ts).toFixed(1)},${y(series.avg[i]).toFixed(1)}`).join(' ') : '';
  return { x, y, yMin, yMax, line };
}

/** Formatters for chart labels in the current language. */
export function chartFormats() {
  const lang = currentLanguage();
  return {
    time: new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    num: new Intl.NumberFormat(lang, { maximumSignificantDigits: 4 }),
  };
}

/** The plot frame and its labels: the value at the top and bottom, the times at both ends, a note between them. */
export function ChartAxes({ box, from, to, top, bottom, note }: { box: ChartBox; from: number; to: number; top: string; bottom: string; note?: string }) {
  const { time } = chartFormats();
  return (
    <>
      <rect x={box.pad.l} y={box.pad.t} width={plotWidth(box)} height={plotHeight(box)} className="bt-frame" />
      <text x={box.pad.l - 6} y={box.pad.t + 10} textAnchor="end" className="bt-text">
        {top}
      </text>
      <text x={box.pad.l - 6} y={box.h - box.pad.b} textAnchor="end" className="bt-text">
        {bottom}
      </text>
      <text x={box.pad.l} y={box.h - 8} className="bt-text">
        {time.format(from)}
      </text>
      {note && (
        <text x={box.w / 2} y={box.h - 8} textAnchor="middle" className="bt-text">
          {note}
        </text>
      )}
      <text x={box.w - box.pad.r} y={box.h - 8} textAnchor="end" className="bt-text">
        {time.format(to)}
      </text>
    </>
  );
}
