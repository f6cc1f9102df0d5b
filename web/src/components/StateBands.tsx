import { useEffect, useRef } from 'react';
import type { SeriesBuffer } from '../state/series-buffer.js';
import type { Signal } from '../state/signal.js';
import { type HistoryPage, mergeHistoryAndLive } from '../state/timeline.js';

/** Colours of an enum metric's states, by their order in the profile (fault_type: normal green, then warm to red). */
const STATE_COLORS = ['#2f9e44', '#f08c00', '#7048e8', '#e03131', '#1c7ed6', '#e64980', '#0ca678', '#5c940d'];
const MIXED = '#868e96';

/** The class of one point: a bucket whose min and max differ held several states ("mixed", -1). */
export function faultClassAt(min: number | null, max: number | null): number | null {
  if (min == null || max == null) return null;
  return Math.round(min) === Math.round(max) ? Math.round(min) : -1;
}

interface Props {
  metric: string;
  /** The profile's labels of the metric's values, in the language shown, by value. */
  labels: { value: number; label: string }[];
  mixedLabel: string;
  buffer: SeriesBuffer;
  changed: Signal;
  history: HistoryPage | null;
  range(): { from: number; to: number };
}

/** An enum metric (fault_type...) over the chart's range as labelled coloured state bands. */
export function StateBands({ metric, labels, mixedLabel, buffer, changed, history, range }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const hist = useRef(history);
  hist.current = history;
  const colorOf = (v: number) => {
    const i = labels.findIndex((l) => l.value === v);
    return i >= 0 ? STATE_COLORS[i % STATE_COLORS.length] : MIXED;
  };
  const labelsKey = labels.map((l) => `${l.value}:${l.label}`).join('|');
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const draw = () => {
      timer = null;
      const r = range();
      const w = c.clientWidth;
      const h = c.clientHeight;
      const dpr = window.devicePixelRatio || 1;
      if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
      if (c.height !== Math.round(h * dpr)) c.height = Math.round(h * dpr);
      const ctx = c.getContext('2d');
      if (!ctx) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const m = mergeHistoryAndLive(hist.current, buffer, [metric], r);
      const span = Math.max(1, r.to - r.from);
      const px = (t: number) => ((t - r.from) / span) * w;
      const seen = new Set<number>();
      // Runs of one state, each drawn once with its label when it is wide enough to read.
      let runStart = -1;
      let runCls: number | null = null;
      const runs: { x0: number; x1: number; cls: number }[] = [];
      for (let i = 0; i <= m.x.length; i++) {
        const cls = i < m.x.length ? faultClassAt(m.min[0][i], m.max[0][i]) : null;
        if (i < m.x.length && cls === runCls) continue;
        if (runCls !== null && runStart >= 0) {
          const x0 = Math.max(0, px(m.x[runStart]));
          const x1 = i < m.x.length ? px(m.x[i]) : px(Math.min(r.to, m.x[i - 1] + (hist.current?.bucketMs || 1000)));
          if (x1 >= 0 && x0 <= w) runs.push({ x0, x1: Math.min(w, x1), cls: runCls });
        }
        runStart = i;
        runCls = cls;
      }
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (const run of runs) {
        seen.add(run.cls);
        ctx.fillStyle = run.cls >= 0 ? colorOf(run.cls) : MIXED;
        ctx.fillRect(run.x0, 0, Math.max(1, run.x1 - run.x0 + 0.5), h);
        const text = run.cls >= 0 ? (labels.find((l) => l.value === run.cls)?.label ?? String(run.cls)) : mixedLabel;
        if (ctx.measureText(text).width + 8 < run.x1 - run.x0) {
          ctx.fillStyle = '#fff';
          ctx.fillText(text, run.x0 + 4, h / 2);
        }
      }
      c.dataset.points = String(m.x.length);
      c.dataset.runs = String(runs.length);
      c.dataset.classes = labels
        .filter((l) => seen.has(l.value))
        .map((l) => l.label)
        .join(',');
    };
    const request = () => {
      if (!timer) timer = setTimeout(draw, 500);
    };
    draw();
    const off = changed.subscribe(request);
    const tick = setInterval(request, 2000);
    return () => {
      off();
      clearInterval(tick);
      if (timer) clearTimeout(timer);
    };
    // labelsKey stands for labels (and their colours).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [buffer, changed, range, history, metric, labelsKey, mixedLabel]);

  return (
    <div className="fault-timeline">
      <canvas ref={canvas} className="fault-strip" data-testid={`state-bands-${metric}`} role="img" aria-label={labels.map((l) => l.label).join(', ')} />
      <div className="fault-legend">
        {labels.map((l) => (
          <span key={l.value}>
            <span className="swatch" style={{ background: colorOf(l.value) }} /> {l.label}
          </span>
        ))}
        <span>
          <span className="swatch" style={{ background: MIXED }} /> {mixedLabel}
        </span>
      </div>
    </div>
  );
}

const CHANNELS = ['normal', 'unbalance', 'looseness', 'unbalance_looseness'];

/** The four vibration channels' latest raw samples, one lane each. */
export function Waveform({
  buffer,
  changed,
  colors,
  seconds = 10,
}: {
  buffer: SeriesBuffer;
  changed: Signal;
  colors: Record<string, string>;
  seconds?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const draw = () => {
      timer = null;
      const w = c.clientWidth;
      const h = c.clientHeight;
      const dpr = window.devicePixelRatio || 1;
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      const ctx = c.getContext('2d');
      if (!ctx) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const last = buffer.lastTs();
      if (last === undefined) return;
      const from = last - seconds * 1000;
      let start = buffer.length;
      while (start > 0 && buffer.tsAt(start - 1) >= from) start--;
      const lane = h / CHANNELS.length;
      const style = getComputedStyle(c);
      ctx.font = '10px system-ui, sans-serif';
      let points = 0;
      // One scale for all lanes (so their amplitudes compare), fitted to what is on screen.
      let peak = 0.5;
      for (let i = start; i < buffer.length; i++) for (const ch of CHANNELS) peak = Math.max(peak, Math.abs(buffer.valueAt(ch, i) ?? 0));
      CHANNELS.forEach((ch, k) => {
        const mid = lane * k + lane / 2;
        ctx.strokeStyle = style.getPropertyValue('--grid') || 'rgba(128,128,128,.2)';
        ctx.beginPath();
        ctx.moveTo(0, mid);
        ctx.lineTo(w, mid);
        ctx.stroke();
        ctx.fillStyle = style.getPropertyValue('--text-muted') || '#888';
        ctx.fillText(ch, 4, lane * k + 11);
        ctx.strokeStyle = colors[ch] ?? '#2f7ed8';
        ctx.lineWidth = 1.25;
        ctx.beginPath();
        let first = true;
        for (let i = start; i < buffer.length; i++) {
          const v = buffer.valueAt(ch, i);
          if (v === undefined) continue;
          const x = ((buffer.tsAt(i) - from) / (seconds * 1000)) * w;
          const y = mid - (v / peak) * (lane / 2 - 2);
          if (first) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
          first = false;
          points++;
        }
        ctx.stroke();
      });
      c.dataset.points = String(points);
    };
    const request = () => {
      if (!timer) timer = setTimeout(draw, 200);
    };
    draw();
    const off = changed.subscribe(request);
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [buffer, changed, colors, seconds]);
  return <canvas ref={canvas} className="waveform" data-testid="waveform" />;
}
