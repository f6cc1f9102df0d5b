import type { DegradationParams } from './builtin-runtime.js';

const DAY_MS = 86_400_000;
/** Beyond this, "no failure in sight": a flat or improving trend. */
export const RUL_CAP_DAYS = 3650;

/** Health index of one scaled step: RMS of its z-scores (0 when healthy, grows with wear in any direction). */
export function healthIndex(w: Float32Array, f: number, step: number): number {
  let s = 0;
  for (let j = 0; j < f; j++) s += w[step * f + j] ** 2;
  return Math.sqrt(s / f);
}

/**
 * RUL by degradation trend: a least-squares line through the health index over time, extrapolated
 * to the failure threshold; the 95% interval comes from the slope's standard error.
 * Returns [rul_days, rul_low_days, rul_high_days, health_index].
 */
export function degradationRul(w: Float32Array, f: number, times: Float64Array, p: DegradationParams): [number, number, number, number] {
  const steps = w.length / f;
  const n = Math.min(steps, p.trend_steps ?? steps);
  const first = steps - n;
  const t0 = times[steps - 1];
  let st = 0,
    sh = 0;
  const xs: number[] = [],
    ys: number[] = [];
  for (let i = first; i < steps; i++) {
    const x = (times[i] - t0) / DAY_MS;
    const y = healthIndex(w, f, i);
    xs.push(x);
    ys.push(y);
    st += x;
    sh += y;
  }
  const mx = st / n,
    my = sh / n;
  let sxx = 0,
    sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  const hiNow = ys[n - 1];
  const cap = Math.min(RUL_CAP_DAYS, p.max_rul_days ?? RUL_CAP_DAYS);
  if (hiNow >= p.failure_threshold) return [0, 0, 0, hiNow];
  if (n < 3 || sxx === 0) return [cap, 0, cap, hiNow];
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - (intercept + slope * xs[i])) ** 2;
  const se = Math.sqrt(sse / Math.max(1, n - 2) / sxx);
  // Extrapolate from the fitted level now (x = 0), not from one noisy reading.
  const level = Math.min(intercept, p.failure_threshold);
  const until = (s: number) => (s > 0 ? Math.min(cap, Math.max(0, (p.failure_threshold - level) / s)) : cap);
  return [until(slope), until(slope + 1.96 * se), until(slope - 1.96 * se), hiNow];
}
