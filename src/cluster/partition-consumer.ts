import {
  AckPolicy,
  DeliverPolicy,
  nanos,
  type Consumer,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from 'nats';
import type { Logger } from '../logger.js';
import { FencedError } from '../stores/store.js';
import { partitionStream } from './partitions.js';

/**
 * A partition's durable consumer, named by the lease token (epoch) it was made under: a new owner
 * deletes only consumers of older epochs, so a stale claim (lease gone while its consumer was being
 * made) can never delete the consumer of the owner that superseded it.
 */
export const consumerName = (p: number, token: number): string => `fs_part_${p}_${token}`;

/** The epoch of a partition's consumer by its name (0 for the unnumbered fs_part_<n> of earlier versions), or null when not the partition's. */
export function consumerEpoch(name: string, p: number): number | null {
  const m = /^fs_part_(\d+)(?:_(\d+))?$/.exec(name);
  if (!m || Number(m[1]) !== p) return null;
  return m[2] === undefined ? 0 : Number(m[2]);
}

/** A newer owner's consumer is on the server: this claim is stale. */
export class SupersededConsumerError extends Error {}

const RETRY_MS = 1000;
/** Delivered and not yet acknowledged, at most: the server stops sending past it (backpressure). */
const MAX_ACK_PENDING = 5000;

/**
 * Reads one partition stream through its durable pull consumer, in order, one batch at a time:
 * everything delivered since the last batch goes to `handle` together, and is acknowledged only
 * after `handle` resolved (the readings are committed). A batch that fails is retried in place, so
 * order holds. On start the consumer is created afresh: the stream is a work queue, so it starts
 * at the oldest message nobody acknowledged, which is exactly where the last owner stopped, with no
 * wait for an acknowledgement timeout.
 */
export class PartitionConsumer {
  private messages: ConsumerMessages | null = null;
  private preparing: Promise<Consumer> | null = null;
  private running: Promise<void> | null = null;
  private queue: JsMsg[] = [];
  private draining: Promise<void> | null = null;
  private stopping = false;
  /** A commit was refused for a newer lease: nothing more is stored or acknowledged here. */
  private fenced = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly partition: number,
    /** The lease token this consumer is made under (its epoch). */
    readonly token: number,
    private readonly handle: (msgs: JsMsg[]) => Promise<void>,
    private readonly logger: Logger,
    /** A batch was refused because a newer lease owns the partition; its messages stay unacknowledged for the owner. */
    private readonly onFenced: (err: FencedError) => void = () => {},
    /** Once, after the first batch was committed: when it was delivered and when committed (performance.now). */
    private readonly onFirstCommit: (fetchedAt: number, committedAt: number) => void = () => {},
  ) {}

  private firstFetchAt = 0;
  private committedOnce = false;

  /**
   * Recreates the durable consumer on the server (0.5-2 s on an R3 stream under load). Nothing is
   * delivered until `start`: it may run while the partition's devices are being rebuilt.
   */
  prepare(): Promise<Consumer> {
    this.preparing ??= (async () => {
      const stream = partitionStream(this.partition);
      const name = consumerName(this.partition, this.token);
      // A work-queue stream takes one consumer at a time: the older epochs' go first. Another
      // claim's may be added between the listing and the add (the add is then refused): looked again.
      for (let attempt = 1; ; attempt++) {
        const others = await this.otherConsumers(stream, name);
        const newer = others.filter((o) => o.epoch > this.token);
        if (newer.length)
          throw new SupersededConsumerError(`partition ${this.partition}: consumer ${newer[0].name} of a newer lease exists (this one is ${this.token})`);
        for (const o of others) await this.jsm.consumers.delete(stream, o.name).catch(() => undefined);
        try {
          await this.jsm.consumers.add(stream, {
            durable_name: name,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: nanos(60_000),
            max_ack_pending: MAX_ACK_PENDING,
          });
          return this.js.consumers.get(stream, name);
        } catch (err) {
          if (attempt >= 5) throw err;
        }
      }
    })();
    return this.preparing;
  }

  /** The partition's consumers on the server other than `name`, with their epochs. */
  private async otherConsumers(stream: string, name: string): Promise<{ name: string; epoch: number }[]> {
    const out: { name: string; epoch: number }[] = [];
    for await (const ci of this.jsm.consumers.list(stream) as AsyncIterable<ConsumerInfo>) {
      const epoch = consumerEpoch(ci.name, this.partition);
      if (epoch !== null && ci.name !== name) out.push({ name: ci.name, epoch });
    }
    return out;
  }

  async start(): Promise<void> {
    const consumer = await this.prepare();
    this.messages = await consumer.consume({ max_messages: 1000 });
    this.running = this.read(this.messages);
  }

  private async read(it: ConsumerMessages): Promise<void> {
    try {
      for await (const m of it) {
        if (!this.firstFetchAt) this.firstFetchAt = performance.now();
        this.queue.push(m);
        this.draining ??= this.drain().finally(() => (this.draining = null));
      }
    } catch (err) {
      if (!this.stopping) this.logger.warn({ partition: this.partition, err: (err as Error).message }, 'cluster: partition consumer ended');
    }
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.fenced) {
      const batch = this.queue.splice(0);
      for (;;) {
        try {
          await this.handle(batch);
          break;
        } catch (err) {
          if (err instanceof FencedError) {
            // Neither acknowledged nor retried: the newer owner's consumer gets these messages.
            this.fenced = true;
            this.queue = [];
            this.messages?.stop();
            this.onFenced(err);
            return;
          }
          // Not acknowledged: if this node stops now, the next owner gets the batch again, in order.
          if (this.stopping) return;
          this.logger.error({ partition: this.partition, err: (err as Error).message }, 'cluster: batch not stored; retrying');
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
      for (const m of batch) m.ack();
      if (!this.committedOnce) {
        this.committedOnce = true;
        this.onFirstCommit(this.firstFetchAt, performance.now());
      }
    }
  }

  /** Not yet processed here: delivered and unacknowledged plus not yet delivered. */
  async lag(): Promise<number> {
    const info = await this.jsm.consumers.info(partitionStream(this.partition), consumerName(this.partition, this.token));
    return info.num_pending + info.num_ack_pending;
  }

  /** Stops fetching, finishes (stores and acknowledges) what was delivered. */
  async stop(): Promise<void> {
    // A batch that fails from here on is left unacknowledged for the next owner instead of retried.
    this.stopping = true;
    this.messages?.stop();
    await this.running;
    await this.draining;
  }
}
