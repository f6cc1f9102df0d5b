/** A bucket per key (an IP, a user, a device): `burst` at once, refilled at `perSecond`. */
export interface BucketOptions {
  perSecond: number;
  burst: number;
  /** Most keys tracked; past it the fullest (idlest) buckets are forgotten, so a flood of addresses cannot fill memory. */
  maxKeys?: number;
  now?: () => number;
}

export type Take = { ok: true } | { ok: false; retryAfterSec: number };

/** The answer to every granted take: one object, not one per take (a device's every message takes). */
const TAKEN: Take = Object.freeze({ ok: true });

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly opts: BucketOptions) {}

  /** Most tokens one take can ever get (0: no limit). */
  get burst(): number {
    return this.opts.perSecond > 0 ? this.opts.burst : 0;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Takes n tokens from the key's bucket, or says how long until there are enough. */
  take(key: string, n = 1): Take {
    if (this.opts.perSecond <= 0) return TAKEN;
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= (this.opts.maxKeys ?? 100_000)) this.prune(now);
      b = { tokens: this.opts.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.perSecond);
      b.at = now;
    }
    if (b.tokens >= n) {
      b.tokens -= n;
      return TAKEN;
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil((n - b.tokens) / this.opts.perSecond)) };
  }

  private prune(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(k);
    }
    // Everyone is busy: forget the oldest half rather than grow.
    if (this.buckets.size >= (this.opts.maxKeys ?? 100_000)) {
      let drop = Math.ceil(this.buckets.size / 2);
      for (const k of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }
}
