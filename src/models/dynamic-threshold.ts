import type { DynamicThreshold } from './manifest.js';

/** Decides whether a score is anomalous; answers the threshold it applied (undefined: no decision). */
export interface AnomalyJudge {
  judge(score: number): number | undefined;
}

export const staticJudge = (threshold: number | undefined): AnomalyJudge => ({ judge: () => threshold });

/**
 * Seed 003's "dynamic threshold, adjusted automatically", per device: median + k x 1.4826 x MAD
 * of the device's recent normal scores (robust: a few spikes do not drag it). Only scores at or
 * below the threshold in force join the window, so a fault that lasts does not become normal.
 * While fewer than `min_samples` scores are in, the static threshold decides, and with none every
 * score joins (a bundle is put on a machine believed healthy: docs/models.md).
 */
export class RollingThreshold implements AnomalyJudge {
  private readonly ring: Float64Array;
  private n = 0;
  private next = 0;
  private cached: number | undefined;
  private stale = true;

  constructor(
    private readonly spec: DynamicThreshold,
    private readonly fallback: number | undefined,
  ) {
    this.ring = new Float64Array(spec.window);
  }

  /** The threshold in force now. */
  current(): number | undefined {
    if (this.n < this.spec.min_samples) return this.fallback;
    if (this.stale) {
      const sorted = this.ring.slice(0, this.n).sort();
      const median = middle(sorted);
      const dev = sorted.map((v) => Math.abs(v - median)).sort();
      const t = median + this.spec.k * 1.4826 * middle(dev);
      this.cached = this.spec.floor === undefined ? t : Math.max(this.spec.floor, t);
      this.stale = false;
    }
    return this.cached;
  }

  judge(score: number): number | undefined {
    const t = this.current();
    if (t === undefined || score <= t) {
      this.ring[this.next] = score;
      this.next = (this.next + 1) % this.ring.length;
      this.n = Math.min(this.n + 1, this.ring.length);
      this.stale = true;
    }
    return t;
  }
}

function middle(sorted: Float64Array): number {
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** The judge a bundle's manifest asks for: rolling when `anomaly_dynamic` is set, else static. */
export function judgeFor(thresholds: { anomaly_score?: number; anomaly_dynamic?: DynamicThreshold }): AnomalyJudge {
  return thresholds.anomaly_dynamic ? new RollingThreshold(thresholds.anomaly_dynamic, thresholds.anomaly_score) : staticJudge(thresholds.anomaly_score);
}
