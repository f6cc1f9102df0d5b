import { useEffect, useRef } from 'react';
import type { SeriesBuffer } from '../state/series-buffer.js';
import type { Signal } from '../state/signal.js';
import { type HistoryPage, mergeHistoryAndLive } from '../state/timeline.js';

export const FAULT_CLASSES = [
  { value: 0, name: 'normal', color: '#2f9e44' },
  { value: 1, name: 'unbalance', color: '#f08c00' },
  { value: 2, name: 'looseness', color: '#7048e8' },
  { value: 3, name: 'both', color: '#e03131' },
] as const;
const MIXED = '#868e96';

/** The class of one point: a bucket whose min and max differ held several classes ("mixed"). */
export function faultClassAt(min: number | null, max: number | null): number | null {
  if (min == null || max == null) return null;
  return Math.round(min) === Math.round(max) ? Math.round(min) : -1;
}

interface Props {
  buffer: SeriesBuffer;
  changed: Signal;
  history: HistoryPage | null;
  range(): { from: number; to: number };
}

/** fault_type over the chart's range as a coloured strip (normal, unbalance, looseness, both). */
export function FaultTimeline({ buffer, changed, history, range }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const hist = useRef(history);
  hist.current = history;
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
      const m = mergeHistoryAndLive(hist.current, buffer, ['fault_type'], r);
      const span = Math.max(1, r.to - r.from);
      const px = (t: number) => ((t - r.from) / span) * w;
      const counts = [0, 0, 0, 0];
      for (let i = 0; i < m.x.length; i++) {
        const cls = faultClassAt(m.min[0][i], m.max[0][i]);
        if (cls === null) continue;
        const x0 = Math.max(0, px(m.x[i]));
        const x1 = i + 1 < m.x.length ? px(m.x[i + 1]) : px(Math.min(r.to, m.x[i] + (hist.current?.bucketMs || 1000)));
        if (x1 < 0 || x0 > w) continue;
        if (cls >= 0 && cls < 4) counts[cls]++;
        ctx.fillStyle = FAULT_CLASSES[cls]?.color ?? MIXED;
        ctx.fillRect(x0, 0, Math.max(1, Math.min(w, x1) - x0 + 0.5), h);
      }
      c.dataset.points = String(m.x.length);
      c.dataset.classes = counts
        .map((n, i) => (n ? FAULT_CLASSES[i].name : ''))
        .filter(Boolean)
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
  }, [buffer, changed, range, history]);

  return (
    <div className="fault-timeline">
      <canvas ref={canvas} className="fault-strip" data-testid="fault-timeline" />
      <div className="fault-legend">
        {FAULT_CLASSES.map((f) => (
          <span key={f.value}>
            <span className="swatch" style={{ background: f.color }} /> {f.name}
          </span>
        ))}
        <span>
          <span className="swatch" style={{ background: MIXED }} /> mixed
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
