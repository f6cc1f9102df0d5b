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

export type LoginReservation = { ok: true; ticket: LoginTicket; locked: boolean } | { ok: false; rule: 'login_slowed' | 'login_locked'; retryAfterSec: number };

/** An attempt already counted as a failure; a right password hands it back (`succeeded`). */
export interface LoginTicket {
  keys: string[];
  at: number;
}

/**
 * Brute force, slowed then stopped: failures are counted per IP and per username (both, so neither
 * many names from one address nor one name from many addresses gets far). Counts outlive restarts.
 * The server never sleeps on a request; an attempt that comes too soon is refused unchecked.
 *
 * An attempt is counted before its password is checked (`reserve`), one reservation at a time: 200
 * guesses sent at once meet the counts of the ones before them, so no more passwords are checked in
 * parallel than one after another. A right password then takes its count back.
 */
export class LoginThrottle {
  /** Reservations run one after another: each reads and writes the counts the next one sees. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: AuthStore,
    private readonly opts: LoginThrottleOptions = defaultLoginThrottle,
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
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

  /** Whether an attempt may be checked now, for every key it counts against (counts nothing). */
  async gate(keys: string[]): Promise<LoginGate> {
    const now = this.now();
    let worst: LoginGate = { ok: true };
    for (const k of keys) {
      const g = this.gateOf(await this.store.getLoginAttempt(k), now);
      if (!g.ok && (worst.ok || g.retryAfterSec > worst.retryAfterSec)) worst = g;
    }
    return worst;
  }

  /**
   * Lets an attempt through and counts it as a failure before the password is checked, or refuses
   * it (uncounted) when a key is slowed or locked. `locked`: this attempt locked a key.
   */
  reserve(keys: string[]): Promise<LoginReservation> {
    return this.serial(async () => {
      const g = await this.gate(keys);
      if (!g.ok) return g;
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
      return { ok: true as const, ticket: { keys, at: now }, locked };
    });
  }

  /**
   * The reserved attempt had the right password. The user's count is cleared; the IP's is handed back
   * its one attempt, not cleared (one good account must not launder guesses at others).
   */
  succeeded(ticket: LoginTicket, userKey: string): Promise<void> {
    return this.serial(async () => {
      for (const k of ticket.keys) {
        if (k === userKey) {
          await this.store.deleteLoginAttempt(k);
          continue;
        }
        const r = await this.store.getLoginAttempt(k);
        if (!r) continue;
        const failures = r.failures - 1;
        if (failures <= 0) await this.store.deleteLoginAttempt(k);
        else await this.store.saveLoginAttempt({ ...r, failures, lockedUntil: failures >= this.opts.lockAfter ? r.lockedUntil : null });
      }
    });
  }
}
