import type { Revocation, Revocations } from './revocations.js';

/**
 * Whether the sign-in an access token belongs to is still live, asked on every request. Answers are
 * cached for a few seconds (a store read per request would cost more than the request), and a
 * revocation in this process drops them at once, so signing out ends the token on the next request.
 */
export class SessionCheck {
  private cache = new Map<string, { userId: string; live: boolean; until: number }>();
  /** Bumped by every revocation: an answer looked up across one is not cached (it may predate it). */
  private epoch = 0;

  constructor(
    private readonly lookup: (family: string) => Promise<boolean>,
    revocations: Revocations,
    private readonly opts: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {
    revocations.on((r) => this.forget(r));
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async live(family: string, userId: string): Promise<boolean> {
    const now = this.now();
    const hit = this.cache.get(family);
    if (hit && hit.until > now && hit.userId === userId) return hit.live;
    const epoch = this.epoch;
    const live = await this.lookup(family);
    if (epoch !== this.epoch) return live;
    if (this.cache.size >= (this.opts.maxEntries ?? 10_000)) this.cache.clear();
    this.cache.set(family, { userId, live, until: now + (this.opts.ttlMs ?? 5000) });
    return live;
  }

  private forget(r: Revocation): void {
    this.epoch++;
    if (r.kind === 'session') this.cache.delete(r.family);
    else if (r.kind === 'user') for (const [family, e] of this.cache) if (e.userId === r.id) this.cache.delete(family);
  }
}
