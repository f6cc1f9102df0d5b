import type { AuthStore } from '../stores/store.js';
import type { LoginAttemptRecord } from '../model/auth.js';

export interface LoginThrottleOptions {
  /** Failures after which each further attempt must wait, the wait doubling each time... */
  slowAfter: number;
  /** ...first wait, ms (doubles per further failure, at most lockMs)... */
  slowMs: number;
  /** ...and after this many failures the key is locked... */
  lockAfter: number;
  /** ...for this long. */
  lockMs: number;
  now?: () => number;
}

export const defaultLoginThrottle: LoginThrottleOptions = { slowAfter: 3, slowMs: 1000, lockAfter: 10, lockMs: 15 * 60_000 };

export type LoginGate = { ok: true } | { ok: false; rule: 'login_slowed' | 'login_locked'; retryAfterSec: number };

/**
 * Brute force, slowed then stopped: failures are counted per IP and per username (both, so neither
 * many names from one address nor one name from many addresses gets far). Counts outlive restarts.
 * The server never sleeps on a request; an attempt that comes too soon is refused unchecked.
 */
export class LoginThrottle {
  constructor(
    private readonly store: AuthStore,
    private readonly opts: LoginThrottleOptions = defaultLoginThrottle,
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private gateOf(r: LoginAttemptRecord | undefined, now: number): LoginGate {
    if (!r) return { ok: true };
    if (r.lockedUntil !== null && r.lockedUntil > now) return { ok: false, rule: 'login_locked', retryAfterSec: Math.ceil((r.lockedUntil - now) / 1000) };
    if (r.lockedUntil !== null) return { ok: true };
    if (r.failures >= this.opts.slowAfter) {
      const wait = Math.min(this.opts.lockMs, this.opts.slowMs * 2 ** (r.failures - this.opts.slowAfter));
      if (r.lastAt + wait > now) return { ok: false, rule: 'login_slowed', retryAfterSec: Math.ceil((r.lastAt + wait - now) / 1000) };
    }
    return { ok: true };
  }

  /** Whether an attempt may be checked now, for every key it counts against. */
  async gate(keys: string[]): Promise<LoginGate> {
    const now = this.now();
    let worst: LoginGate = { ok: true };
    for (const k of keys) {
      const g = this.gateOf(await this.store.getLoginAttempt(k), now);
      if (!g.ok && (worst.ok || g.retryAfterSec > worst.retryAfterSec)) worst = g;
    }
    return worst;
  }

  /** Counts a failure; returns true when it locked a key. */
  async failed(keys: string[]): Promise<boolean> {
    const now = this.now();
    let locked = false;
    for (const k of keys) {
      const r = await this.store.getLoginAttempt(k);
      // A lock that has run out, or a count gone quiet for as long as a lock, starts the count again.
      const stale = !r || (r.lockedUntil !== null && r.lockedUntil <= now) || now - r.lastAt > this.opts.lockMs;
      const failures = stale ? 1 : r.failures + 1;
      const lock = failures >= this.opts.lockAfter;
      locked ||= lock;
      await this.store.saveLoginAttempt({ key: k, failures, lastAt: now, lockedUntil: lock ? now + this.opts.lockMs : null });
    }
    return locked;
  }

  /** A right password clears the user's count (not the IP's: one good account must not launder guesses at others). */
  async succeeded(userKey: string): Promise<void> {
    await this.store.deleteLoginAttempt(userKey);
  }
}
