import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Profile } from '../../../src/model/device.js';
import { formatValue } from '../state/format.js';
import { scaleGroups } from '../state/profiles.js';
import type { SeriesBuffer } from '../state/series-buffer.js';
import type { Signal } from '../state/signal.js';
import type { Theme } from '../theme.js';

export interface LiveChartProps {
  buffer: SeriesBuffer;
  /** Fires when the buffer changed; the chart redraws on the next animation frame. */
  changed: Signal;
  metrics: string[];
  profile: Profile | undefined;
  colors: Record<string, string>;
  hidden: ReadonlySet<string>;
  onToggle(metric: string, show: boolean): void;
  windowMs: number;
  /** The server's clock (epoch ms): the right edge of the window. */
  clock(): number;
  theme: Theme;
}

/**
 * One uPlot chart, one y axis per unit. React renders the frame once; points reach the canvas
 * through setData at most once per animation frame, never through React state.
 */
export function LiveChart(props: LiveChartProps) {
  const { buffer, changed, metrics, profile, colors, windowMs, theme } = props;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Latest callbacks and visibility without rebuilding the chart when they change.
  const live = useRef(props);
  live.current = props;
  const metricsKey = metrics.join('\u0000');
  const [narrow, setNarrow] = useState(false);
  // A phone has room for two y axes: they follow the first two units still shown.
  const axesKey = narrow ? metrics.filter((m) => !props.hidden.has(m)).join('\u0000') : '';

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const check = () => setNarrow(el.clientWidth < NARROW_PX);
    check();
    const ro = new ResizeObserver(check);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const css = getComputedStyle(el);
    const muted = css.getPropertyValue('--text-muted').trim() || '#888';
    const grid = css.getPropertyValue('--grid').trim() || 'rgba(128,128,128,.2)';
    const groups = scaleGroups(metrics, profile);
    const hidden = live.current.hidden;
    const axisGroups = narrow ? groups.filter((g) => g.metrics.some((m) => !hidden.has(m))).slice(0, 2) : groups;
    const windowEnd = () => Math.max(live.current.clock(), buffer.lastTs() ?? 0);

    const scales: uPlot.Scales = {
      x: { time: true, range: () => [windowEnd() - windowMs, windowEnd()] },
    };
    for (const g of groups) scales[g.key] = { auto: true, range: yRange };

    const axes: uPlot.Axis[] = [
      { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, space: narrow ? 55 : 80 },
      ...groups.map((g): uPlot.Axis => {
        const i = axisGroups.indexOf(g);
        return {
          show: i >= 0,
          scale: g.key,
          label: g.label,
          labelSize: 16,
          labelGap: 2,
          labelFont: 'bold 11px system-ui, sans-serif',
          font: '11px system-ui, sans-serif',
          side: i % 2 === 0 ? 3 : 1,
          stroke: g.metrics.length === 1 ? colors[g.metrics[0]] : muted,
          size: narrow ? 40 : 48,
          gap: 3,
          grid: { show: i === 0, stroke: grid, width: 1 },
          ticks: { show: false },
          values: (_u, splits) => splits.map((v) => (v == null ? '' : formatTick(v))),
        };
      }),
    ];

    const series: uPlot.Series[] = [
      {},
      ...metrics.map((m): uPlot.Series => {
        const unit = profile?.metrics[m]?.unit;
        const g = groups.find((x) => x.metrics.includes(m));
        return {
          label: unit ? `${m} (${unit})` : m,
          scale: g?.key,
          stroke: colors[m],
          width: LINE_WIDTH,
          show: !live.current.hidden.has(m),
          spanGaps: true,
          points: { size: 4 },
          value: (_u, v) => (v == null ? '—' : formatValue(v) + (unit ? ` ${unit}` : '')),
        };
      }),
    ];

    let markedHere = false;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: chartHeight(el.clientWidth),
      ms: 1,
      scales,
      axes,
      series,
      cursor: { drag: { x: false, y: false } },
      legend: { show: !narrow, live: true },
      hooks: {
        draw: [
          (u) => {
            if (!markedHere && u.data[0].length > 0) {
              markedHere = true;
              el.dataset.drawn = 'true';
              // Read by the benchmark: time from navigation to the first chart with data.
              performance.mark('chart-drawn');
            }
          },
        ],
        setSeries: [
          (u, idx, o) => {
            if (idx == null || idx < 1 || o.show === undefined) return;
            const m = metrics[idx - 1];
            if (m !== undefined && live.current.hidden.has(m) === o.show) live.current.onToggle(m, o.show);
          },
        ],
      },
    };

    const u = new uPlot(opts, buffer.toAligned(metrics) as uPlot.AlignedData, el);
    plot.current = u;
    el.dataset.rows = String(buffer.length);

    let frame = 0;
    let wait: ReturnType<typeof setTimeout> | null = null;
    let lastDraw = 0;
    let drawnVersion = -1;
    let drawnEnd = 0;
    const plotCssWidth = () => Math.max(1, u.bbox.width / uPlot.pxRatio);
    const draw = () => {
      frame = 0;
      lastDraw = performance.now();
      const end = windowEnd();
      // Keep a little beyond the left edge so the line runs off the chart instead of stopping short.
      buffer.trimBefore(end - windowMs - 5000);
      if (buffer.version === drawnVersion && Math.abs(end - drawnEnd) < 200) return;
      drawnVersion = buffer.version;
      drawnEnd = end;
      // A dense series (more than a point per two pixels) stroked wider than one device pixel is
      // very slow to rasterise (Skia leaves its hairline path: ~30x the cost at 50 Hz). Draw dense
      // data as a hairline; it reads the same at that density.
      const width = buffer.length > plotCssWidth() / 2 ? 1 / uPlot.pxRatio : LINE_WIDTH;
      for (let i = 1; i < u.series.length; i++) u.series[i].width = width;
      u.setData(buffer.toAligned(metrics) as uPlot.AlignedData);
      el.dataset.rows = String(buffer.length);
    };
    // At most one redraw per animation frame, and none before the window has moved by a pixel
    // (60 s over 1100 px: ~18 a second; on a phone ~5): a fast device would otherwise repaint
    // every frame for changes nobody can see.
    const request = () => {
      if (frame || wait) return;
      const minGap = Math.min(250, Math.max(1000 / 60, windowMs / plotCssWidth()));
      const due = lastDraw + minGap - performance.now();
      if (due <= 0) frame = requestAnimationFrame(draw);
      else
        wait = setTimeout(() => {
          wait = null;
          frame = requestAnimationFrame(draw);
        }, due);
    };
    const offChanged = changed.subscribe(request);
    // Slide the window even when the device is quiet.
    const tick = setInterval(request, 1000);
    request();

    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height: chartHeight(w) });
    });
    ro.observe(el);

    return () => {
      offChanged();
      clearInterval(tick);
      if (frame) cancelAnimationFrame(frame);
      if (wait) clearTimeout(wait);
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // metricsKey stands for metrics; colors follow metrics.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [buffer, changed, metricsKey, profile, windowMs, theme, narrow, axesKey]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    metrics.forEach((m, i) => {
      const show = !props.hidden.has(m);
      if (u.series[i + 1] && u.series[i + 1].show !== show) u.setSeries(i + 1, { show });
    });
  }, [props.hidden, metricsKey]);

  return <div ref={box} className="chart" data-testid="chart" />;
}

const NARROW_PX = 560;
/** Line width for sparse series; dense ones are drawn as 1-device-pixel hairlines (see draw). */
const LINE_WIDTH = 1.5;

/** Auto y range with 10 % padding; a flat line sits mid-chart instead of at the edge of 0..100. */
function yRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min == null || max == null) return [0, 1];
  if (min === max) {
    const d = Math.abs(min) * 0.1 || 1;
    return [min - d, max + d];
  }
  return uPlot.rangeNum(min, max, 0.1, true);
}

function chartHeight(width: number): number {
  return width < NARROW_PX ? 240 : 340;
}

function formatTick(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 10_000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toPrecision(4));
}
