import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Alarm } from '../../../src/model/alarm.js';
import type { Profile } from '../../../src/model/device.js';
import { formatAxisDay, formatAxisTime, formatInstant, formatValue } from '../state/format.js';
import { type ScaleGroup, scaleGroups } from '../state/profiles.js';
import type { SeriesBuffer } from '../state/series-buffer.js';
import type { Signal } from '../state/signal.js';
import { LIVE_WINDOW_MS, type HistoryPage, mergeHistoryAndLive, panRange, zoomRange } from '../state/timeline.js';
import type { Theme } from '../theme.js';
import { type OverlayStat, rolling, zOutliers } from '../state/overlays.js';
import type { Language } from '../i18n/catalogues.js';

/** Following live data over the last `span` ms, or a fixed range someone zoomed or scrolled to. */
export type ChartView = { mode: 'follow'; span: number } | { mode: 'fixed'; from: number; to: number };

/** A line computed from the chart's own data over the whole range shown (moving average, rolling min/max). */
export interface Overlay {
  key: string;
  metric: string;
  label: string;
  dash: number[];
  stat: OverlayStat;
  windowMs: number;
}

/** A horizontal line at a value on a metric's axis: a profile's range or a rule's threshold. */
export interface Threshold {
  metric: string;
  value: number;
  label: string;
  /** warn: the normal range's edge; limit: the valid range's edge (beyond it: the alarm band); rule: an alarm rule's threshold. */
  kind: 'warn' | 'limit' | 'rule';
  /** Which side is out of bounds (shaded as the alarm band). */
  side: 'low' | 'high';
}

export interface TimeChartProps {
  buffer: SeriesBuffer;
  changed: Signal;
  history: HistoryPage | null;
  metrics: string[];
  overlays: Overlay[];
  profile: Profile | undefined;
  colors: Record<string, string>;
  hidden: ReadonlySet<string>;
  view: ChartView;
  onView(v: ChartView): void;
  /** Plot area width in CSS px: the number of points worth asking the server for. */
  onPlotWidth(px: number): void;
  alarms: Alarm[];
  clock(): number;
  theme: Theme;
  thresholds?: Threshold[];
  /** Mark points more than 3 standard deviations from the range's mean. */
  outliers?: boolean;
  lang?: Language;
  /** Axes other than one per unit: e.g. a model's score and its threshold on one axis. */
  groups?: ScaleGroup[];
  /** Metrics drawn dashed (a threshold or an interval's edges stored as series). */
  dashed?: Record<string, number[]>;
}

/** The visible x range of a view at time `now`. */
export function viewRange(v: ChartView, now: number): { from: number; to: number } {
  return v.mode === 'follow' ? { from: now - v.span, to: now } : { from: v.from, to: v.to };
}

const severityColor: Record<string, string> = { critical: '#d62828', major: '#e8590c', minor: '#f08c00', warning: '#e0b000', info: '#4c8bf5' };

/**
 * One uPlot chart for live and stored data, one y axis per unit. Drag to zoom into a range, wheel
 * to zoom around the cursor, shift+wheel to scroll in time. Points reach the canvas through setData
 * at most once per animation frame, never through React state.
 */
export function TimeChart(props: TimeChartProps) {
  const { buffer, changed, metrics, overlays, profile, colors, theme } = props;
  const box = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const request = useRef<() => void>(() => {});
  const live = useRef(props);
  live.current = props;
  const metricsKey = metrics.join('\u0000') + '|' + overlays.map((o) => o.key).join('\u0000');
  const [narrow, setNarrow] = useState(false);
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
    const groups = live.current.groups ?? scaleGroups(metrics, profile);
    const dashed = live.current.dashed ?? {};
    const hidden = live.current.hidden;
    const axisGroups = narrow ? groups.filter((g) => g.metrics.some((m) => !hidden.has(m))).slice(0, 2) : groups;
    const range = () => {
      const p = live.current;
      const now = Math.max(p.clock(), p.view.mode === 'follow' ? (buffer.lastTs() ?? 0) : 0);
      return viewRange(p.view, now);
    };
    const groupOf = (m: string) => groups.find((x) => x.metrics.includes(m))!;

    const scales: uPlot.Scales = {
      x: {
        time: true,
        range: () => {
          const r = range();
          return [r.from, r.to];
        },
      },
    };
    for (const g of groups) scales[g.key] = { auto: true, range: yRange };

    const axes: uPlot.Axis[] = [
      {
        stroke: muted,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        space: narrow ? 55 : 80,
        // Times in the language's own format (uPlot's built-in names are English).
        values: (_u, splits) => timeTicks(splits, live.current.lang ?? 'en'),
      },
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

    // Series: x, each metric's line, each overlay, then each metric's bucket min and max (the band).
    const n = metrics.length;
    const lineSeries = metrics.map((m): uPlot.Series => ({
      label: m,
      scale: groupOf(m).key,
      stroke: colors[m],
      width: LINE_WIDTH,
      dash: dashed[m],
      show: !hidden.has(m),
      spanGaps: true,
      points: { show: false },
    }));
    const overlaySeries = overlays.map((o): uPlot.Series => ({
      label: o.label,
      scale: groupOf(o.metric)?.key,
      stroke: colors[o.metric],
      width: 1.25,
      dash: o.dash,
      show: !hidden.has(o.metric),
      spanGaps: true,
      points: { show: false },
    }));
    const envelope = (m: string, which: string): uPlot.Series => ({
      label: `${m} ${which}`,
      scale: groupOf(m).key,
      stroke: withAlpha(colors[m], 0.35),
      width: 0.5,
      show: !hidden.has(m),
      spanGaps: false,
      points: { show: false },
    });
    const series: uPlot.Series[] = [{}, ...lineSeries, ...overlaySeries, ...metrics.map((m) => envelope(m, 'min')), ...metrics.map((m) => envelope(m, 'max'))];
    const minIdx = (k: number) => 1 + n + overlays.length + k;
    const maxIdx = (k: number) => 1 + n + overlays.length + n + k;
    const bands: uPlot.Band[] = metrics.map((m, k) => ({ series: [maxIdx(k), minIdx(k)], fill: withAlpha(colors[m], 0.12) }));

    let markedHere = false;
    const columns = () => {
      const p = live.current;
      const r = range();
      // Overlays need the window before the first visible point too: merge from that far back.
      const margin = overlays.reduce((w, o) => Math.max(w, o.windowMs), 0);
      const merged = mergeHistoryAndLive(p.history, buffer, metrics, { from: r.from - margin, to: r.to });
      let start = 0;
      while (start < merged.x.length && merged.x[start] < r.from) start++;
      const cut = <T,>(a: T[]) => (start ? a.slice(start) : a);
      const over = overlays.map((o) => {
        const k = metrics.indexOf(o.metric);
        return cut(rolling(merged.x, merged.avg[k], merged.min[k], merged.max[k], o.stat, o.windowMs));
      });
      const x = cut(merged.x);
      el.dataset.rows = String(x.length);
      el.dataset.resolution = p.history ? p.history.resolution : 'live';
      // How much of the range each overlay covers (the first overlay's share of points with a value).
      el.dataset.overlayCoverage = over.length && x.length ? String(over[0].filter((v) => v != null).length / x.length) : '';
      return [x, ...merged.avg.map(cut), ...over, ...merged.min.map(cut), ...merged.max.map(cut)] as uPlot.AlignedData;
    };

    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: chartHeight(el.clientWidth),
      ms: 1,
      scales,
      axes,
      series,
      bands,
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      legend: { show: false },
      hooks: {
        draw: [
          (u) => {
            el.dataset.alarmMarkers = String(drawAlarms(u, live.current.alarms));
            el.dataset.thresholds = String(drawThresholds(u, live.current.thresholds ?? [], groupOf, live.current.hidden, colors));
            el.dataset.outliers = String(live.current.outliers ? drawOutliers(u, metrics, live.current.hidden, colors) : 0);
            if (!markedHere && u.data[0].length > 0) {
              markedHere = true;
              el.dataset.drawn = 'true';
              // Read by the benchmark: time from navigation to the first chart with data.
              performance.mark('chart-drawn');
            }
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width < 5) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            live.current.onView({ mode: 'fixed', from: Math.round(from), to: Math.round(Math.min(to, live.current.clock())) });
          },
        ],
        setCursor: [(u) => showTip(u, tip.current, metrics, overlays, profile, colors, live.current.hidden, live.current.lang ?? 'en')],
        setSize: [(u) => live.current.onPlotWidth(Math.round(u.bbox.width / uPlot.pxRatio))],
      },
    };

    const u = new uPlot(opts, columns(), el);
    // How many times this chart was built (read by tests: a page's first chart is built once).
    el.dataset.builds = String(Number(el.dataset.builds ?? 0) + 1);
    plot.current = u;
    props.onPlotWidth(Math.round(u.bbox.width / uPlot.pxRatio));

    // Wheel: zoom around the cursor; shift+wheel (or a sideways swipe): scroll through time.
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const p = live.current;
      const now = p.clock();
      const r = range();
      const sideways = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
      let next: { from: number; to: number };
      if (sideways) next = panRange(r, (e.shiftKey ? e.deltaY : e.deltaX) > 0 ? 0.15 : -0.15, now);
      else {
        const at = u.posToVal(e.offsetX, 'x');
        next = zoomRange(r, Number.isFinite(at) ? at : r.to, e.deltaY > 0 ? 1.25 : 0.8, 10_000, now);
      }
      p.onView(next.to >= now - 1000 ? { mode: 'follow', span: next.to - next.from } : { mode: 'fixed', ...next });
    };
    u.over.addEventListener('wheel', onWheel, { passive: false });
    u.over.addEventListener('mouseleave', () => tip.current && (tip.current.hidden = true));

    let frame = 0;
    let wait: ReturnType<typeof setTimeout> | null = null;
    let lastDraw = 0;
    /** The last draw had points: until then new data is drawn at the next frame (the page's first chart waits for nothing). */
    let drewPoints = false;
    const plotCssWidth = () => Math.max(1, u.bbox.width / uPlot.pxRatio);
    const draw = () => {
      frame = 0;
      lastDraw = performance.now();
      // The live buffer covers the live window and a margin; older data comes from history.
      buffer.trimBefore(live.current.clock() - LIVE_WINDOW_MS * 2);
      const data = columns();
      // Dense series stroked wider than one device pixel are very slow to rasterise (Skia leaves
      // its hairline path): draw them as hairlines; they read the same at that density.
      const width = data[0].length > plotCssWidth() / 2 ? 1 / uPlot.pxRatio : LINE_WIDTH;
      for (let i = 1; i <= n; i++) u.series[i].width = width;
      u.setData(data);
      drewPoints = data[0].length > 0;
    };
    // At most one redraw per animation frame, and none before the window moved by about a pixel.
    const req = () => {
      if (!drewPoints && wait) {
        clearTimeout(wait);
        wait = null;
      }
      if (frame || wait) return;
      const r = range();
      const minGap = drewPoints ? Math.min(250, Math.max(1000 / 60, (r.to - r.from) / plotCssWidth())) : 0;
      const due = lastDraw + minGap - performance.now();
      if (due <= 0) frame = requestAnimationFrame(draw);
      else
        wait = setTimeout(() => {
          wait = null;
          frame = requestAnimationFrame(draw);
        }, due);
    };
    request.current = req;
    const offChanged = changed.subscribe(req);
    const tick = setInterval(req, 1000);
    req();

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
      u.over.removeEventListener('wheel', onWheel);
      u.destroy();
      plot.current = null;
      request.current = () => {};
    };
    // metricsKey stands for metrics and overlays; colors follow metrics.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [buffer, changed, metricsKey, profile, theme, narrow, axesKey]);

  // New history, view or alarms: redraw with what is there now.
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    request.current();
  }, [props.history, props.view, props.alarms, props.thresholds, props.outliers]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    const n = metrics.length;
    const want = (i: number): boolean => {
      if (i <= n) return !props.hidden.has(metrics[i - 1]);
      if (i <= n + overlays.length) return !props.hidden.has(overlays[i - n - 1].metric);
      const k = (i - n - overlays.length - 1) % n;
      return !props.hidden.has(metrics[k]);
    };
    for (let i = 1; i < u.series.length; i++) if (u.series[i].show !== want(i)) u.setSeries(i, { show: want(i) });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.hidden, metricsKey]);

  return (
    <div className="chart-wrap">
      <div ref={box} className="chart" data-testid="chart" data-view={props.view.mode === 'follow' ? `follow:${props.view.span}` : 'fixed'} />
      <div ref={tip} className="chart-tip" hidden data-testid="chart-tip" />
    </div>
  );
}

/** Threshold lines on their metric's axis, and beyond a valid range's edge a light alarm band. */
function drawThresholds(
  u: uPlot,
  list: Threshold[],
  groupOf: (m: string) => { key: string } | undefined,
  hidden: ReadonlySet<string>,
  colors: Record<string, string>,
): number {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  let drawn = 0;
  ctx.save();
  for (const th of list) {
    if (hidden.has(th.metric)) continue;
    const scale = groupOf(th.metric)?.key;
    if (!scale || !u.scales[scale] || u.scales[scale].min == null) continue;
    const y = u.valToPos(th.value, scale, true);
    if (!Number.isFinite(y)) continue;
    const color = th.kind === 'rule' ? '#d62828' : th.kind === 'limit' ? '#e8590c' : (colors[th.metric] ?? '#888');
    if (th.kind !== 'warn') {
      // The alarm band: from the line to the plot's edge on the out-of-bounds side.
      const y0 = Math.max(top, Math.min(top + height, y));
      ctx.fillStyle = withAlpha(color.startsWith('#') ? color : '#d62828', 0.07);
      if (th.side === 'high') ctx.fillRect(left, top, width, y0 - top);
      else ctx.fillRect(left, y0, width, top + height - y0);
    }
    if (y < top || y > top + height) continue;
    ctx.strokeStyle = color;
    ctx.lineWidth = 1 * uPlot.pxRatio;
    ctx.setLineDash(th.kind === 'warn' ? [4 * uPlot.pxRatio, 4 * uPlot.pxRatio] : [8 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = color;
    ctx.font = `${10 * uPlot.pxRatio}px system-ui, sans-serif`;
    ctx.textAlign = 'right';
    ctx.fillText(th.label, left + width - 4 * uPlot.pxRatio, y - 3 * uPlot.pxRatio);
    drawn++;
  }
  ctx.restore();
  return drawn;
}

/** Rings around the points of each shown metric more than 3 standard deviations from the range's mean. */
function drawOutliers(u: uPlot, metrics: string[], hidden: ReadonlySet<string>, colors: Record<string, string>): number {
  const ctx = u.ctx;
  let marked = 0;
  ctx.save();
  ctx.lineWidth = 1.5 * uPlot.pxRatio;
  metrics.forEach((m, k) => {
    if (hidden.has(m)) return;
    const s = u.series[1 + k];
    const ys = u.data[1 + k];
    for (const i of zOutliers(ys)) {
      const x = u.valToPos(u.data[0][i], 'x', true);
      const y = u.valToPos(ys[i] as number, s.scale!, true);
      ctx.strokeStyle = colors[m] ?? '#d62828';
      ctx.beginPath();
      ctx.arc(x, y, 5 * uPlot.pxRatio, 0, Math.PI * 2);
      ctx.stroke();
      marked++;
    }
  });
  ctx.restore();
  return marked;
}

function drawAlarms(u: uPlot, alarms: Alarm[]): number {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  let drawn = 0;
  ctx.save();
  for (const a of alarms) {
    const x0 = u.valToPos(a.raisedAt, 'x', true);
    const x1 = a.clearedAt != null ? u.valToPos(a.clearedAt, 'x', true) : left + width;
    if (x1 < left || x0 > left + width) continue;
    const color = severityColor[a.severity] ?? '#d62828';
    // The time the alarm was open, shaded; its raise, a line with a flag on top.
    ctx.fillStyle = withAlpha(color, 0.08);
    const sx = Math.max(left, x0);
    ctx.fillRect(sx, top, Math.max(1, Math.min(left + width, x1) - sx), height);
    if (x0 >= left && x0 <= left + width) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5 * uPlot.pxRatio;
      ctx.beginPath();
      ctx.moveTo(x0, top);
      ctx.lineTo(x0, top + height);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.beginPath();
      const s = 6 * uPlot.pxRatio;
      ctx.moveTo(x0 - s, top);
      ctx.lineTo(x0 + s, top);
      ctx.lineTo(x0, top + s * 1.4);
      ctx.fill();
    }
    drawn++;
  }
  ctx.restore();
  return drawn;
}

function showTip(
  u: uPlot,
  tip: HTMLDivElement | null,
  metrics: string[],
  overlays: Overlay[],
  profile: Profile | undefined,
  colors: Record<string, string>,
  hidden: ReadonlySet<string>,
  lang: Language,
): void {
  if (!tip) return;
  const i = u.cursor.idx;
  if (i == null || u.cursor.left == null || u.cursor.left < 0) {
    tip.hidden = true;
    return;
  }
  const n = metrics.length;
  const x = u.data[0][i];
  const rows: string[] = [];
  metrics.forEach((m, k) => {
    if (hidden.has(m)) return;
    const v = u.data[1 + k][i];
    const lo = u.data[1 + n + overlays.length + k][i];
    const hi = u.data[1 + n + overlays.length + n + k][i];
    const unit = profile?.metrics[m]?.unit ?? '';
    const range = lo != null && hi != null && lo !== hi ? ` <span class="tip-range">${formatValue(lo, lang)}…${formatValue(hi, lang)}</span>` : '';
    rows.push(
      `<div><span class="swatch" style="background:${colors[m]}"></span>${esc(m)} <b>${v == null ? '—' : formatValue(v, lang)}</b> ${esc(unit)}${range}</div>`,
    );
  });
  overlays.forEach((o, k) => {
    if (hidden.has(o.metric)) return;
    const v = u.data[1 + n + k][i];
    if (v != null) rows.push(`<div class="tip-overlay">${esc(o.label)} ${formatValue(v, lang)}</div>`);
  });
  tip.innerHTML = `<div class="tip-time">${esc(formatInstant(x, lang))}</div>${rows.join('')}`;
  tip.hidden = false;
  const left = u.cursor.left + u.bbox.left / uPlot.pxRatio;
  const boxW = u.over.parentElement?.clientWidth ?? u.width;
  tip.style.left = `${Math.min(left + 12, boxW - 190)}px`;
  tip.style.top = `${(u.cursor.top ?? 0) + 10}px`;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function withAlpha(hex: string | undefined, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex ?? '');
  if (!m) return `rgba(128,128,128,${a})`;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

const NARROW_PX = 560;
const LINE_WIDTH = 1.5;

function yRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min == null || max == null) return [0, 1];
  if (min === max) {
    const d = Math.abs(min) * 0.1 || 1;
    return [min - d, max + d];
  }
  return uPlot.rangeNum(min, max, 0.1, true);
}

function chartHeight(width: number): number {
  return width < NARROW_PX ? 260 : 360;
}

function formatTick(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 10_000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toPrecision(4));
}

/** x-axis labels: times of day, with the date where a tick starts a new day (or when ticks are days apart). */
function timeTicks(splits: number[], lang: Language): string[] {
  const step = splits.length > 1 ? splits[1] - splits[0] : 0;
  let lastDay = '';
  return splits.map((v) => {
    const day = formatAxisDay(v, lang);
    const time = formatAxisTime(v, lang, step < 60_000);
    const newDay = day !== lastDay;
    lastDay = day;
    if (step >= 86_400_000) return day;
    return newDay ? `${time}\n${day}` : time;
  });
}
