import type { KV, KvEntry, QueuedIterator } from 'nats';
import type { Logger } from '../logger.js';
import { assignPartitions } from './lease-assignment.js';

interface Held {
  revision: number;
  /** When the last renewal the bucket confirmed was sent (local clock): the lease lasts at least a lease from here. */
  renewedAt: number;
  inFlight?: Promise<void> | null;
}

/**
 * A lease not confirmed for this share of the lease is given up here. The bucket expires it no
 * sooner than a lease after the last confirmed renewal was sent, so this node stops consuming first;
 * with renewals every lease/3, it takes two missed rounds (and their retries).
 */
const STOP_FRACTION = 0.8;

export interface LeaseHandlers {
  /**
   * The lease is ours: get ready, then start consuming. `token` (the bucket's revision when it was
   * created) is larger than any earlier holder's: commits are fenced by it. A throw gives the lease back.
   */
  acquired(partition: number, token: number): Promise<void>;
  /** The lease goes (handed over, lost, or stopping): stop consuming and finish what was taken. */
  released(partition: number, why: 'handover' | 'lost' | 'stopping'): Promise<void>;
}

const memberKey = (node: string) => `node.${node}`;
/** After a key's expiry is due, how long before looking: the server's expiry timer has fired by then. */
const EXPIRY_SLACK_MS = 30;
/** How many lease periods a partition meant for another live node stays free before this node takes it meanwhile. */
const STEAL_LEASES = 3;
const partitionKey = (p: number) => `part.${p}`;

/**
 * Partition ownership through a JetStream key-value bucket, nothing home-made: the bucket's TTL
 * expires a lease that is not renewed, `create` and `update(revision)` are its compare-and-set.
 * Each node keeps a member key alive, computes the balanced assignment over the live members, and
 * every tick renews what it holds, hands over what now belongs to another live node, and takes
 * what is free and belongs to it (or has been free for a whole lease period).
 */
export class PartitionLeases {
  private readonly held = new Map<number, Held>();
  private readonly freeSince = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  /** Releases of leases found lost, running beside the renewals (stop waits for them). */
  private readonly releasing = new Set<Promise<void>>();
  private stopped = false;
  private members: string[] = [];
  private nextRenewal = 0;
  /** The bucket's change feed: when each member and lease was last written, to look again right at its expiry. */
  private watcher: QueuedIterator<KvEntry> | null = null;
  private readonly expiryChecks = new Map<string, NodeJS.Timeout>();
  /** Members as the watch last saw them written (local clock); one not written for a lease has expired. */
  private readonly memberSeen = new Map<string, number>();
  /** A look at the bucket was asked for while a tick ran: another one right after it. */
  private again = false;

  constructor(
    private readonly kv: KV,
    private readonly opts: { node: string; partitions: number; leaseMs: number; logger: Logger },
    private readonly handlers: LeaseHandlers,
  ) {}

  /** Partitions this node holds a lease on, ascending. */
  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Live members as last seen in the bucket. */
  liveNodes(): string[] {
    return [...this.members];
  }

  async start(): Promise<void> {
    this.nextRenewal = Date.now();
    await this.renewOnce();
    await this.watch();
    // Renewing before the first tick: starting what it claims can outlast a lease.
    this.scheduleRenewal();
    await this.tickOnce();
    this.schedule();
  }

  /**
   * Watches the bucket instead of only polling it: the bucket's expiry leaves no event on this
   * server version (nats-server 2.9), but every renewal does, so a look is due a lease after the
   * last write of another node's lease or member key (its expiry), and at once on a delete (a
   * node that stopped). The polling tick stays, for what the watch might miss.
   */
  private async watch(): Promise<void> {
    const { node, leaseMs } = this.opts;
    try {
      this.watcher = await this.kv.watch({ key: '>' });
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'cluster: cannot watch the lease bucket; polling only');
      return;
    }
    void (async () => {
      for await (const e of this.watcher!) {
        if (this.stopped) break;
        const mine = e.key === memberKey(node) || (e.key.startsWith('part.') && e.string() === node && e.operation === 'PUT');
        if (e.key.startsWith('node.')) {
          if (e.operation === 'PUT') this.memberSeen.set(e.key.slice('node.'.length), Date.now());
          else this.memberSeen.delete(e.key.slice('node.'.length));
        }
        clearTimeout(this.expiryChecks.get(e.key));
        this.expiryChecks.delete(e.key);
        if (mine) continue;
        if (e.operation !== 'PUT') {
          this.kick();
          continue;
        }
        const t = setTimeout(() => {
          this.expiryChecks.delete(e.key);
          this.kick();
        }, leaseMs + EXPIRY_SLACK_MS);
        t.unref();
        this.expiryChecks.set(e.key, t);
      }
    })().catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'cluster: lease bucket watch ended; polling only'));
  }

  /** A look at the bucket now (or right after the one running). */
  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  private get period(): number {
    return Math.max(100, Math.floor(this.opts.leaseMs / 3));
  }

  private schedule(delay = this.period): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tickOnce().finally(() => {
        this.ticking = null;
        const again = this.again;
        this.again = false;
        this.schedule(again ? 0 : this.period);
      });
    }, delay);
  }

  /**
   * Renewals on a loop of their own: taking a partition (loading its state, rebuilding its
   * devices) and handing one over (finishing its batches) can take longer than a lease on a
   * loaded machine, and must never keep the leases already held, or this node's membership, from
   * being renewed meanwhile (they would expire, and the partitions churn from node to node).
   */
  private scheduleRenewal(): void {
    if (this.stopped) return;
    // Fixed rate from when the last round was due, not from when it ended: a slow round trip must
    // not push the next renewal later (the gaps that added up to a lapsed lease).
    const due = (this.nextRenewal = Math.max(this.nextRenewal + this.period, Date.now()));
    this.renewTimer = setTimeout(() => {
      const lateMs = Date.now() - due;
      // The event loop held the timer back: said, so a lapse under load can be told from a slow round trip.
      if (lateMs > this.period / 2) this.opts.logger.warn({ lateMs, periodMs: this.period }, 'cluster: lease renewal timer late (event loop blocked)');
      // Not awaited before the next round: a lease whose renewal is still retrying is skipped by
      // that round (one request per lease), the others are renewed on time.
      this.renewing = this.renewOnce();
      this.checkDeadlines();
      this.scheduleRenewal();
    }, due - Date.now());
  }

  /** Releases every lease (after the consumers finished) so other nodes take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.watcher?.stop();
    for (const t of this.expiryChecks.values()) clearTimeout(t);
    await this.ticking;
    await this.renewing;
    await Promise.all([...this.releasing]);
    for (const [p, h] of [...this.held]) await this.giveBack(p, h, 'stopping');
    await this.kv.delete(memberKey(this.opts.node)).catch(() => undefined);
  }

  /**
   * One renewal round. The member key and every lease are renewed each on its own, not one after
   * the other: a round used to put the member key first and only then update the leases, so one
   * slow answer (up to the client's 5 s request timeout) held every lease back at once, and all of
   * them expired together. Each request is bounded (the lease connection's timeout, a fraction of
   * the lease), a failed one is retried at once while the lease is still ours, and a lease not
   * confirmed for STOP_FRACTION of a lease is let go here, before the bucket can hand it to
   * another node (commits after that are refused by the fence anyway).
   */
  private async renewOnce(): Promise<void> {
    const { node, logger } = this.opts;
    const member = this.kv.put(memberKey(node), JSON.stringify({ at: Date.now() })).catch((err: Error) => {
      logger.warn({ err: err.message }, 'cluster: lease bucket unreachable');
    });
    await Promise.all([member, ...[...this.held].map(([p, h]) => this.renewLease(p, h))]);
  }

  private async renewLease(p: number, h: Held): Promise<void> {
    const { node, leaseMs, logger } = this.opts;
    // One request per lease at a time: a second one would carry the revision the first is replacing.
    if (h.inFlight) return h.inFlight;
    const run = async () => {
      for (let attempt = 0; this.held.get(p) === h; attempt++) {
        // Sent now: the server's expiry counts from when it stores the update, later than this.
        const sent = Date.now();
        if (sent - h.renewedAt >= leaseMs * STOP_FRACTION) {
          this.lose(p, h, `not renewed for ${sent - h.renewedAt} ms`);
          return;
        }
        try {
          // Kept even when handed over meanwhile: the give-back deletes the key at the revision it now has.
          h.revision = await this.kv.update(partitionKey(p), node, h.revision);
          h.renewedAt = sent;
          if (attempt > 0) logger.info({ partition: p, attempts: attempt + 1, sinceMs: Date.now() - sent }, 'cluster: lease renewed after a retry');
          return;
        } catch (err) {
          const message = (err as Error).message;
          // Let go meanwhile (a deadline, a forfeit): nothing of this holding to renew or adopt.
          if (this.held.get(p) !== h) return;
          if (/wrong last sequence/i.test(message)) {
            // An earlier update that timed out here may still have landed: the key then holds our
            // name at a newer revision. Anything else (expired, another holder) is lost.
            const entry = await this.kv.get(partitionKey(p)).catch(() => null);
            if (entry && entry.operation === 'PUT' && entry.string() === node && entry.revision > h.revision) {
              h.revision = entry.revision;
              continue;
            }
            this.lose(p, h, message);
            return;
          }
          // A timeout, a reconnect: tried again at once, the deadline above decides when to give up.
          logger.warn({ partition: p, err: message, attempt }, 'cluster: lease renewal failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(200, 20 * 2 ** attempt)));
        }
      }
    };
    h.inFlight = run().finally(() => (h.inFlight = null));
    return h.inFlight;
  }

  /** The lease is not (surely) ours any more: stop consuming. Not awaited by the renewals. */
  private lose(p: number, h: Held, why: string): void {
    // Given back or forfeited meanwhile: released already.
    if (this.held.get(p) !== h) return;
    this.opts.logger.warn({ partition: p, err: why }, 'cluster: partition lease lost');
    this.held.delete(p);
    const r = this.handlers
      .released(p, 'lost')
      .catch((e: Error) => this.opts.logger.error({ partition: p, err: e.message }, 'cluster: release failed'))
      .finally(() => this.releasing.delete(r));
    this.releasing.add(r);
  }

  /** The deadline check apart from the renewals: a renewal stuck in flight does not keep a lease past it. */
  private checkDeadlines(): void {
    const now = Date.now();
    for (const [p, h] of [...this.held]) if (now - h.renewedAt >= this.opts.leaseMs * STOP_FRACTION) this.lose(p, h, `not renewed for ${now - h.renewedAt} ms`);
  }

  private async tickOnce(): Promise<void> {
    const { node, partitions, logger } = this.opts;
    try {
      // A member the watch has not seen written for a lease is gone, listed or not (the listing
      // can still name a key the server is about to expire; waiting for it cost a tick).
      const now = Date.now();
      this.members = (await this.listMembers()).filter((m) => m === node || !this.memberSeen.has(m) || now - this.memberSeen.get(m)! <= this.opts.leaseMs);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'cluster: lease bucket unreachable');
    }
    const want = assignPartitions(partitions, this.members.length ? this.members : [node]);
    if (this.stopped) return;

    for (const [p, h] of [...this.held]) {
      if (want[p] !== node && this.members.includes(want[p])) await this.giveBack(p, h, 'handover');
    }

    // Claim first, start after: every free partition that is ours is claimed at once (a compare-and-set,
    // quick), then started; starting one (fence, state, device rebuild, consumer) can take seconds on
    // a loaded machine, and a partition handed over to this node that stayed free meanwhile was taken
    // back by its old owner ("free for a whole lease"), handed over again, and so on: two nodes never
    // settled. What came free while partitions were being started is claimed before the tick ends.
    // Once per tick each: one that could not be started is given back, and tried again next tick.
    const tried = new Set<number>();
    for (;;) {
      const claimed = await this.claimFree(want, tried);
      if (!claimed.length || this.stopped) break;
      for (const [p] of claimed) tried.add(p);
      await Promise.all(claimed.map(([p, h]) => this.startHeld(p, h)));
    }
  }

  /** Takes the lease of every free partition this node should take now; returns them, not yet started. */
  private async claimFree(want: string[], tried: Set<number>): Promise<[number, Held][]> {
    const { node, partitions, leaseMs } = this.opts;
    const claimed: [number, Held][] = [];
    for (let p = 0; p < partitions && !this.stopped; p++) {
      if (this.held.has(p) || tried.has(p)) continue;
      let entry;
      try {
        entry = await this.kv.get(partitionKey(p));
      } catch {
        continue;
      }
      const now = Date.now();
      if (entry && entry.operation === 'PUT') {
        this.freeSince.delete(p);
        continue;
      }
      if (!this.freeSince.has(p)) this.freeSince.set(p, now);
      // A free partition another live node should take, still free after STEAL_LEASES leases: that
      // node is not taking it (refused, stuck); take it meanwhile. Not sooner: the node may be busy
      // starting its other partitions. A dead node's partitions are not waited for: once its member
      // key expires it is out of `want`.
      if (want[p] !== node && now - this.freeSince.get(p)! < STEAL_LEASES * leaseMs) continue;
      let revision: number;
      try {
        revision = await this.kv.create(partitionKey(p), node);
      } catch {
        continue; // another node was faster: its lease, fairly won
      }
      this.freeSince.delete(p);
      const h: Held = { revision, renewedAt: now };
      // Renewed from here on by the renewal loop, started or not.
      this.held.set(p, h);
      claimed.push([p, h]);
    }
    return claimed;
  }

  private async startHeld(p: number, h: Held): Promise<void> {
    const { node, logger } = this.opts;
    // Lost or given back while others were claimed: not ours to start.
    if (this.held.get(p) !== h || this.stopped) return;
    try {
      await this.handlers.acquired(p, h.revision);
      logger.info({ partition: p, node }, 'cluster: partition acquired');
    } catch (err) {
      logger.error({ partition: p, err: (err as Error).message }, 'cluster: could not start on an acquired partition; giving it back');
      await this.giveBack(p, h, 'lost');
    }
  }

  /**
   * A commit under this lease was refused because a newer lease owns the partition (the store's
   * fence): whatever the bucket said when last renewed, it is not ours any more. Stops consuming it.
   */
  async forfeit(p: number): Promise<void> {
    const h = this.held.get(p);
    if (!h) return;
    this.opts.logger.warn({ partition: p }, 'cluster: partition lease superseded (commit fenced): stopped consuming it');
    await this.giveBack(p, h, 'lost');
  }

  /**
   * Live members from the bucket's `node.*` keys. The listing is a consumer the client iterates
   * until it has seen every key, with no deadline of its own: on a stalled connection it was seen
   * to wait for ever, and this node's assignment (and handovers) froze with it. Bounded to one lease.
   */
  private async listMembers(): Promise<string[]> {
    const keys = await this.kv.keys('node.*');
    let timer: NodeJS.Timeout | undefined;
    const listing = (async () => {
      // A set: the listing may name a key twice when it is renewed while being listed.
      const live = new Set<string>([this.opts.node]);
      for await (const k of keys) live.add(k.slice('node.'.length));
      return [...live].sort();
    })();
    try {
      return await Promise.race([
        listing,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            keys.stop();
            reject(new Error(`listing the members took over ${this.opts.leaseMs} ms`));
          }, this.opts.leaseMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      listing.catch(() => undefined);
    }
  }

  private async giveBack(p: number, h: Held, why: 'handover' | 'lost' | 'stopping'): Promise<void> {
    // Once per holding: a renewal that failed and a forfeit can both get here.
    if (this.held.get(p) !== h) return;
    this.held.delete(p);
    await this.handlers.released(p, why).catch((e: Error) => this.opts.logger.error({ partition: p, err: e.message }, 'cluster: release failed'));
    // Only at the revision we hold: if it has moved on, it is not ours to delete.
    await this.kv.delete(partitionKey(p), { previousSeq: h.revision }).catch(() => undefined);
    if (why === 'handover') this.opts.logger.info({ partition: p }, 'cluster: partition handed over');
  }
}
