import { SPARK_W, resolveColor, traceSparkline } from './sparkline.js';

/** One row's line: its hour (bucket averages), the latest live value, and the time axis. */
export interface SparkLine {
  ts: number[];
  values: number[];
  latest: { ts: number; value: number } | undefined;
  from: number;
  to: number;
}

/**
 * Every visible row's sparkline on one canvas laid over the table's sparkline column, instead of a
 * canvas per row: a second's live values repaint one bitmap (one canvas resource for the
 * compositor, one stroke) instead of forty. The canvas sits in the scrolled content, so it scrolls
 * with the rows; it spans the rows in the DOM [start, end) and is moved (a transform, no layout)
 * and repainted when that window moves. Each row keeps a placeholder of the line's size (its
 * accessible name and point count), from which the canvas takes its place: measured once, and again
 * after a resize, never in between.
 */
export class SharedSparklines {
  readonly canvas: HTMLCanvasElement;
  private lines = new Map<number, SparkLine>();
  private start = 0;
  private end = 0;
  private dirty = false;
  /** Where row 0's line would be in the scrolled content, and the rows' pitch (CSS px); null: measure again. */
  private origin: { x: number; y: number; pitch: number } | null = null;
  private stroke: string | null = null;
  private placed = '';

  constructor(
    private readonly scroller: HTMLElement,
    private readonly rowPx: number,
  ) {
    const c = document.createElement('canvas');
    c.className = 'fleet-spark-canvas';
    // The rows' placeholders carry the lines' names for assistive technology; the pixels are decoration.
    c.setAttribute('aria-hidden', 'true');
    c.style.width = `${SPARK_W}px`;
    c.style.height = '0px';
    scroller.appendChild(c);
    this.canvas = c;
  }

  destroy(): void {
    this.canvas.remove();
  }

  /** The layout changed (a resize): the placeholders' place is measured again at the next paint. */
  invalidate(): void {
    this.origin = null;
    this.dirty = true;
  }

  /** The rows [start, end) are in the DOM: lines of rows outside are dropped. */
  window(start: number, end: number): void {
    if (start === this.start && end === this.end) return;
    for (const i of this.lines.keys()) if (i < start || i >= end) this.lines.delete(i);
    this.start = start;
    this.end = end;
    this.dirty = true;
  }

  /** Row `index`'s line (null: none, its placeholder is empty). */
  set(index: number, line: SparkLine | null): void {
    if (line) this.lines.set(index, line);
    else if (!this.lines.delete(index)) return;
    this.dirty = true;
  }

  /**
   * Repaints if anything changed. `measure` gives two placeholders on screen (their row indexes)
   * when the canvas's place is not known; reading their boxes is the one layout read, once.
   */
  paint(measure: () => { a: HTMLElement; ai: number; b: HTMLElement; bi: number } | null): void {
    if (!this.dirty) return;
    if (!this.origin) {
      const m = measure();
      if (!m) return;
      const s = this.scroller.getBoundingClientRect();
      const ra = m.a.getBoundingClientRect();
      const rb = m.b.getBoundingClientRect();
      const pitch = m.bi !== m.ai ? (rb.top - ra.top) / (m.bi - m.ai) : this.rowPx;
      if (!(pitch > 0) || ra.width === 0) return;
      this.origin = {
        x: ra.left - s.left - this.scroller.clientLeft + this.scroller.scrollLeft,
        y: ra.top - s.top - this.scroller.clientTop + this.scroller.scrollTop - m.ai * pitch,
        pitch,
      };
      this.placed = '';
    }
    this.dirty = false;
    const { x, y, pitch } = this.origin;
    const rows = Math.max(0, this.end - this.start);
    const ratio = typeof devicePixelRatio === 'number' && devicePixelRatio > 0 ? devicePixelRatio : 1;
    const cssH = Math.ceil(rows * pitch);
    const c = this.canvas;
    if (c.width !== Math.ceil(SPARK_W * ratio) || c.height !== Math.ceil(cssH * ratio)) {
      c.width = Math.ceil(SPARK_W * ratio);
      c.height = Math.ceil(cssH * ratio);
      c.style.height = `${cssH}px`;
    }
    const place = `translate(${x}px, ${y + this.start * pitch}px)`;
    if (place !== this.placed) c.style.transform = this.placed = place;
    const g = c.getContext('2d');
    if (!g) return;
    if (this.stroke === null) this.stroke = resolveColor(c, 'var(--accent, #2f7ed8)');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, SPARK_W, cssH);
    g.beginPath();
    for (const [i, l] of this.lines) traceSparkline(g, 0, (i - this.start) * pitch, l.ts, l.values, l.from, l.to, l.latest);
    g.strokeStyle = this.stroke;
    g.lineWidth = 1.25;
    g.stroke();
  }
}
