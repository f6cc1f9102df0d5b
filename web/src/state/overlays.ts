/**
 * Overlays computed from what the chart has for the whole visible range (downsampled history and
 * the live buffer merged), not from the live analytics stream: a moving average or a rolling
 * min/max covers the first pixel as well as the last. Where the chart's buckets are as wide as the
 * window or wider, the window holds one bucket and the overlay is that bucket's rollup (avg, min,
 * max), which is what an average over that window can honestly show at that resolution.
 */
export type OverlayStat = 'ma' | 'min' | 'max';

/**
 * The rolling `stat` over (x - windowMs, x] at every x. For 'ma' the window's mean of `avg`; for
 * 'min'/'max' the window's lowest `min` / highest `max`. null where the window holds no value.
 * `x` must be sorted ascending.
 */
export function rolling(
  x: ArrayLike<number>,
  avg: ArrayLike<number | null>,
  min: ArrayLike<number | null>,
  max: ArrayLike<number | null>,
  stat: OverlayStat,
  windowMs: number,
): (number | null)[] {
  const n = x.length;
  const out: (number | null)[] = new Array(n).fill(null);
  if (stat === 'ma') {
    let sum = 0;
    let count = 0;
    let lo = 0;
    for (let i = 0; i < n; i++) {
      const v = avg[i];
      if (v != null && Number.isFinite(v)) {
        sum += v;
        count++;
      }
      while (x[lo] <= x[i] - windowMs) {
        const u = avg[lo];
        if (u != null && Number.isFinite(u)) {
          sum -= u;
          count--;
        }
        lo++;
      }
      out[i] = count > 0 ? sum / count : null;
    }
    return out;
  }
  // Monotonic deque of indices: the window's extreme is at its head.
  const src = stat === 'min' ? min : max;
  const better = stat === 'min' ? (a: number, b: number) => a <= b : (a: number, b: number) => a >= b;
  const dq: number[] = [];
  let head = 0;
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (v != null && Number.isFinite(v)) {
      while (dq.length > head && better(v, src[dq[dq.length - 1]] as number)) dq.pop();
      dq.push(i);
    }
    while (dq.length > head && x[dq[head]] <= x[i] - windowMs) head++;
    out[i] = dq.length > head ? (src[dq[head]] as number) : null;
  }
  return out;
}

/**
 * Outliers of a series by z-score against the series itself over the range shown: the indices
 * whose |value - mean| / stddev exceeds `z`. None when fewer than 10 values or no spread.
 */
export function zOutliers(values: ArrayLike<number | null | undefined>, z = 3): number[] {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null || !Number.isFinite(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  if (n < 10) return [];
  const sd = Math.sqrt(m2 / (n - 1));
  if (!(sd > 0)) return [];
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v != null && Number.isFinite(v) && Math.abs(v - mean) / sd > z) out.push(i);
  }
  return out;
}
