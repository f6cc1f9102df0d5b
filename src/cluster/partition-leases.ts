import type { KV } from 'nats';
import type { Logger } from '../logger.js';
import { assignPartitions } from './lease-assignment.js';

interface Held {
  revision: number;
  /** When the bucket last confirmed the lease (local clock). */
  renewedAt: number;
}

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
    await this.renewOnce();
    await this.tickOnce();
    this.schedule();
    this.scheduleRenewal();
  }

  private get period(): number {
    return Math.max(100, Math.floor(this.opts.leaseMs / 3));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tickOnce().finally(() => {
        this.ticking = null;
        this.schedule();
      });
    }, this.period);
  }

  /**
   * Renewals on a loop of their own: taking a partition (loading its state, rebuilding its
   * devices) and handing one over (finishing its batches) can take longer than a lease on a
   * loaded machine, and must never keep the leases already held, or this node's membership, from
   * being renewed meanwhile (they would expire, and the partitions churn from node to node).
   */
  private scheduleRenewal(): void {
    if (this.stopped) return;
    this.renewTimer = setTimeout(() => {
      this.renewing = this.renewOnce().finally(() => {
        this.renewing = null;
        this.scheduleRenewal();
      });
    }, this.period);
  }

  /** Releases every lease (after the consumers finished) so other nodes take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.renewTimer) clearTimeout(this.renewTimer);
    await this.ticking;
    await this.renewing;
    await Promise.all([...this.releasing]);
    for (const [p, h] of [...this.held]) await this.giveBack(p, h, 'stopping');
    await this.kv.delete(memberKey(this.opts.node)).catch(() => undefined);
  }

  /** Keeps this node's membership and every lease it holds alive; a lease found taken is released. */
  private async renewOnce(): Promise<void> {
    const { node, leaseMs, logger } = this.opts;
    try {
      await this.kv.put(memberKey(node), JSON.stringify({ at: Date.now() }));
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'cluster: lease bucket unreachable');
    }
    await Promise.all(
      [...this.held].map(async ([p, h]) => {
        const now = Date.now();
        try {
          // Kept even when handed over meanwhile: the give-back deletes the key at the revision it now has.
          h.revision = await this.kv.update(partitionKey(p), node, h.revision);
          h.renewedAt = now;
        } catch (err) {
          // A wrong revision: someone else holds it now. No answer for half a lease: assume the same,
          // and stop before the bucket lets another node start.
          const lost = !/timeout|disconnect|closed|no responders/i.test((err as Error).message) || now - h.renewedAt > leaseMs / 2;
          // Given back or forfeited meanwhile: released already.
          if (lost && this.held.get(p) === h) {
            logger.warn({ partition: p, err: (err as Error).message }, 'cluster: partition lease lost');
            this.held.delete(p);
            // Not awaited here: finishing the partition's batches must not hold up the other renewals.
            const r = this.handlers
              .released(p, 'lost')
              .catch((e: Error) => logger.error({ partition: p, err: e.message }, 'cluster: release failed'))
              .finally(() => this.releasing.delete(r));
            this.releasing.add(r);
          }
        }
      }),
    );
  }

  private async tickOnce(): Promise<void> {
    const { node, partitions, logger } = this.opts;
    try {
      this.members = await this.listMembers();
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
