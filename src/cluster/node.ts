import { hostname } from 'node:os';
import client from 'prom-client';
import { connect, headers, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type JsMsg, type KV, type NatsConnection } from 'nats';
import type { Logger } from '../logger.js';
import type { Message } from '../model/reading.js';
import type { SeqDeviceState } from '../model/sequence.js';
import type { RawInput } from '../pipeline/ingest.js';
import type { PartitionFence, RejectedRecord } from '../stores/store.js';
import type { Source } from '../sources/source.js';
import { LiveFanout } from './live-fanout.js';
import { messageFromJson } from './message-json.js';
import { PartitionConsumer } from './partition-consumer.js';
import { PartitionLeases } from './partition-leases.js';
import { deviceOfSubject, deviceSubject, partitionFilter, partitionOf, partitionStream } from './partitions.js';

/** Header on messages a node judged before publishing them: the consumer stores them as they are. */
const JUDGED = 'Fieldscope-Judged';
export const LEASE_BUCKET = 'fieldscope_leases';

export interface ClusterOptions {
  /** NATS server URLs, comma-separated. */
  urls: string;
  node: string;
  partitions: number;
  leaseMs: number;
  replicas: number;
}

export interface ClusterDeps {
  logger: Logger;
  registry: client.Registry;
  /** Decodes and validates raw device payloads (what MQTT devices published into NATS). */
  judge(inputs: RawInput[]): { messages: Message[]; rejected: RejectedRecord[] };
  /**
   * Stores one batch of a partition through the commit path, fenced by the lease it was consumed
   * under; resolves once committed, rejects with FencedError when a newer lease owns the partition.
   */
  commit(messages: Message[], rejected: RejectedRecord[], fence: PartitionFence): Promise<void>;
  /** Claims the partition in the store for this lease's token; false when a newer lease did already. */
  fence(partition: number, token: number): Promise<boolean>;
  /** Sequence state as last committed, and the tracker that takes it for devices acquired here. */
  loadSequenceState(): Promise<SeqDeviceState[]>;
  sequence: { load(states: SeqDeviceState[]): void };
  /** Device ids this node knows, to name a partition's devices to those who rebuild state. */
  knownDevices(): string[];
}

export type PartitionListener = (partition: number, devices: string[]) => void | Promise<void>;

/** Default node name: host and process, unique while both live; only characters a KV key takes. */
export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * One Fieldscope node in cluster mode (docs/scale-out.md). It joins the NATS cluster, makes sure
 * the partition streams and the lease bucket exist, holds leases on its share of the partitions,
 * and consumes each partition it holds in order into the commit path. Messages it receives itself
 * (HTTP, the embedded broker, serial) it publishes into their device's partition and answers after
 * the stream's acknowledgement. What it commits goes out to every node's live feed.
 */
export class ClusterNode implements Source {
  readonly name = 'cluster';
  private nc: NatsConnection | null = null;
  /** The lease bucket's own connection (see start). */
  private leaseNc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private leases: PartitionLeases | null = null;
  private fanout: LiveFanout | null = null;
  private readonly consumers = new Map<number, PartitionConsumer>();
  private readonly lags = new Map<number, number>();
  /** The lease token of each partition this node may still judge for: from its fence claim until its release finished. */
  private readonly tokens = new Map<number, number>();
  private readonly startedAt = new Map<number, { t0: number; fenced: number }>();
  /** Consumers being made for partitions being started (from before the fence). */
  private readonly preparing = new Map<number, PartitionConsumer>();
  /**
   * Releases per partition so far: a start that sees the count move was released while it ran (the
   * lease lost during a long start: seen in CI after a 7.5 s event-loop stall). Without it the
   * consumer, set after the release found none to stop, kept consuming a partition not held here.
   */
  private readonly releases = new Map<number, number>();
  /** Per partition started, until its first commit: when each step of its start ended (performance.now). */
  private readonly timeline = new Map<number, { t0: number; fenced: number; state: number; consuming: number }>();
  private readonly acquiredListeners: PartitionListener[] = [];
  private readonly releasedListeners: PartitionListener[] = [];
  private readonly rebuildFailedListeners: ((partition: number, devices: string[]) => void)[] = [];
  /** Per partition started here: its acquired listeners (the devices' rebuild), settled or not. */
  private readonly rebuilding = new Map<number, Promise<void>>();
  private readonly remoteListeners: ((messages: Message[]) => void)[] = [];
  private lagTimer: NodeJS.Timeout | null = null;
  private readonly gauges;

  constructor(
    readonly opts: ClusterOptions,
    private readonly deps: ClusterDeps,
  ) {
    if (!/^[A-Za-z0-9_-]+$/.test(opts.node)) throw new Error(`clusterNodeId: letters, digits, _ and - only, got "${opts.node}"`);
    if (!(opts.partitions >= 1)) throw new Error(`clusterPartitions: at least 1, got ${opts.partitions}`);
    const r = [deps.registry];
    this.gauges = {
      owned: new client.Gauge({ name: 'fieldscope_cluster_partitions_owned', help: 'Partitions this node holds a lease on', registers: r }),
      lag: new client.Gauge({
        name: 'fieldscope_cluster_partition_lag',
        help: 'Messages of an owned partition not yet stored and acknowledged here (pending + unacknowledged)',
        labelNames: ['partition'] as const,
        registers: r,
      }),
      nodes: new client.Gauge({ name: 'fieldscope_cluster_nodes', help: 'Live nodes in the lease bucket, as this node last saw them', registers: r }),
      fenced: new client.Counter({
        name: 'fieldscope_cluster_fenced_batches_total',
        help: 'Partition batches this node consumed but the store refused because a newer lease owned the partition (left to the owner)',
        registers: r,
      }),
    };
  }

  /**
   * Called with a partition's known devices once it is ours, right before its consumer starts; the
   * promise is not waited for before the first message is committed (only before the partition is
   * released). What must not see those messages first, the listener holds back synchronously.
   */
  onPartitionAcquired(listener: PartitionListener): void {
    this.acquiredListeners.push(listener);
  }

  /** An acquired listener failed: the partition is being given back; what was held for it must be let go. */
  onRebuildFailed(listener: (partition: number, devices: string[]) => void): void {
    this.rebuildFailedListeners.push(listener);
  }

  /** Called after a partition's consumer stopped here (handed over, lost, or stopping). */
  onPartitionReleased(listener: PartitionListener): void {
    this.releasedListeners.push(listener);
  }

  /** Live messages another node committed (this node's own reach its followers through the commit path). */
  onRemoteCommitted(listener: (messages: Message[]) => void): void {
    this.remoteListeners.push(listener);
  }

  /** True when this node currently consumes the device's partition. */
  owns(device: string): boolean {
    return this.consumers.has(partitionOf(device, this.opts.partitions));
  }

  owned(): number[] {
    return this.leases?.owned() ?? [];
  }

  /**
   * The lease a judgement of the device's committed messages is fenced by, or null when this node
   * does not hold its partition (any more): then its owner judges them, from the rule watermark.
   */
  fenceOf(device: string): PartitionFence | null {
    const partition = partitionOf(device, this.opts.partitions);
    const token = this.tokens.get(partition);
    return token === undefined ? null : { partition, token };
  }

  async start(): Promise<void> {
    const { opts, deps } = this;
    const servers = opts.urls
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const nc = (this.nc = await connect({
      servers,
      name: `fieldscope-${opts.node}`,
      maxReconnectAttempts: -1,
    }));
    this.js = nc.jetstream();
    const jsm = (this.jsm = await nc.jetstreamManager());
    for (let p = 0; p < opts.partitions; p++) await this.ensureStream(jsm, p);
    await this.js.views.kv(LEASE_BUCKET, { replicas: opts.replicas, ttl: opts.leaseMs, history: 1 });
    // Leases on a connection of their own, with requests bounded to a third of a lease: on the
    // shared one a renewal's answer queued behind up to a thousand delivered partition messages, and
    // a request that got no answer waited the client's 5 s default, longer than the lease.
    const leaseNc = (this.leaseNc = await connect({
      servers,
      name: `fieldscope-${opts.node}-leases`,
      maxReconnectAttempts: -1,
    }));
    const kv: KV = await leaseNc.jetstream({ timeout: Math.max(250, Math.floor(opts.leaseMs / 3)) }).views.kv(LEASE_BUCKET, { bindOnly: true });
    const fanout = (this.fanout = new LiveFanout(nc, opts.node, deps.logger));
    fanout.onRemote((messages) => {
      for (const l of this.remoteListeners) l(messages);
    });
    fanout.start();
    this.leases = new PartitionLeases(
      kv,
      { node: opts.node, partitions: opts.partitions, leaseMs: opts.leaseMs, logger: deps.logger },
      { acquired: (p, token) => this.acquire(p, token), released: (p) => this.release(p) },
    );
    await this.leases.start();
    this.lagTimer = setInterval(() => void this.refreshLag(), 1000);
    this.lagTimer.unref();
  }

  private async ensureStream(jsm: JetStreamManager, p: number): Promise<void> {
    const name = partitionStream(p);
    try {
      const info = await jsm.streams.info(name);
      if (info.config.num_replicas !== this.opts.replicas)
        this.deps.logger.warn(
          { stream: name, replicas: info.config.num_replicas, configured: this.opts.replicas },
          'cluster: partition stream has another replica count; left as it is',
        );
      return;
    } catch {
      // Not there yet.
    }
    try {
      await jsm.streams.add({
        name,
        subjects: [partitionFilter(p)],
        // A work queue: acknowledged messages leave the stream, and a new consumer starts at the oldest unacknowledged.
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        num_replicas: this.opts.replicas,
      });
    } catch (err) {
      // Another node created it at the same moment.
      await jsm.streams.info(name).catch(() => {
        throw err;
      });
    }
  }

  private async acquire(p: number, token: number): Promise<void> {
    const { deps } = this;
    const releasesAtStart = this.releases.get(p) ?? 0;
    // The fence first: from here no commit under an older lease lands (one in flight is waited for),
    // so the state read below is the last the partition will ever get from an earlier owner.
    const t0 = performance.now();
    // The server-side consumer (0.5-2 s on an R3 stream under load) is made while the fence and the
    // state are claimed and loaded; nothing is delivered before start(). Deleting the last owner's
    // consumer first is safe: whatever it still commits is fenced or precedes the fence. Only older
    // leases' consumers are deleted (named by token): a stale claim cannot delete a newer owner's.
    const consumer = this.newConsumer(p, token);
    consumer.prepare().catch(() => undefined);
    this.preparing.set(p, consumer);
    let fenced: boolean;
    try {
      fenced = await deps.fence(p, token);
    } catch (err) {
      this.preparing.delete(p);
      throw err;
    }
    if (!fenced) {
      this.preparing.delete(p);
      throw new Error(`partition ${p}: the store knows a newer lease than this one (token ${token})`);
    }
    this.startedAt.set(p, { t0, fenced: performance.now() });
    // From here the devices' committed messages may be judged here (the replay of what the last owner left unjudged first).
    this.tokens.set(p, token);
    try {
      await this.startPartition(p, token, releasesAtStart);
    } catch (err) {
      this.tokens.delete(p);
      throw err;
    }
  }

  private newConsumer(p: number, token: number): PartitionConsumer {
    const { deps } = this;
    return new PartitionConsumer(
      this.js!,
      this.jsm!,
      p,
      token,
      (msgs) => this.handle(msgs, { partition: p, token }),
      deps.logger,
      (err) => {
        this.gauges.fenced.inc();
        deps.logger.warn({ partition: p, token, err: err.message }, 'cluster: batch refused by the partition fence (a newer owner has the partition)');
        void this.leases?.forfeit(p);
      },
      (firstFetchAt, firstCommitAt) => {
        const at = this.timeline.get(p);
        this.timeline.delete(p);
        if (!at) return;
        // The takeover's timeline, wall clock (epoch ms) so it lines up with a kill seen elsewhere (bench/cluster.ts).
        const wall = (t: number) => Math.round(Date.now() - (performance.now() - t));
        deps.logger.info(
          {
            partition: p,
            startedAt: wall(at.t0),
            fencedAt: wall(at.fenced),
            stateAt: wall(at.state),
            consumingAt: wall(at.consuming),
            firstFetchAt: wall(firstFetchAt),
            firstCommitAt: wall(firstCommitAt),
          },
          'cluster: partition first commit',
        );
      },
    );
  }

  private async startPartition(p: number, token: number, releasesAtStart: number): Promise<void> {
    const { deps, opts } = this;
    const consumer = this.preparing.get(p) ?? this.newConsumer(p, token);
    this.preparing.delete(p);
    // Sequence watermarks as the last owner committed them: no false gap, no second copy. The
    // only state storing exactly once needs, so the only one loaded before the consumer starts.
    const states = (await deps.loadSequenceState()).filter((s) => partitionOf(s.device, opts.partitions) === p);
    deps.sequence.load(states);
    const devices = [...new Set([...states.map((s) => s.device), ...deps.knownDevices().filter((d) => partitionOf(d, opts.partitions) === p)])].sort();
    const tState = performance.now();
    // The listeners (the devices' rebuild) start now and run beside the consumer: each holds back
    // what it must (the judgement of those devices) synchronously, before the first delivery.
    // Awaiting them first made the takeover 10-21 s under load (BENCHMARKS.md, 2026-11-28).
    const rebuilt = this.rebuildInBackground(p, devices);
    try {
      await consumer.start();
    } catch (err) {
      // Not ours to judge after all: the rebuild finishes (or fails) before the lease is given back.
      await rebuilt;
      throw err;
    }
    if ((this.releases.get(p) ?? 0) !== releasesAtStart) {
      await consumer.stop();
      await rebuilt;
      throw new Error(`partition ${p}: the lease went while its consumer started (token ${token})`);
    }
    this.consumers.set(p, consumer);
    this.gauges.owned.set(this.consumers.size);
    const at = this.startedAt.get(p)!;
    this.timeline.set(p, { t0: at.t0, fenced: at.fenced, state: tState, consuming: performance.now() });
    this.startedAt.delete(p);
    const took = {
      partition: p,
      devices: devices.length,
      ms: Math.round(performance.now() - at.t0),
      fenceMs: Math.round(at.fenced - at.t0),
      stateMs: Math.round(tState - at.fenced),
      consumerMs: Math.round(performance.now() - tState),
    };
    // Starting a partition is the takeover's own cost beside the lease expiry: said loudly when it outlasts a lease.
    if (took.ms > opts.leaseMs) deps.logger.warn(took, 'cluster: starting a partition took longer than a lease');
    else deps.logger.info(took, 'cluster: partition started');
  }

  /**
   * Runs the acquired listeners beside the partition's consumer; the promise (never rejected) is
   * awaited before the partition is released. A listener that fails leaves the devices' state
   * half-built: the partition is given back (its next owner rebuilds from the store, where what
   * was committed here and not judged is after the rule watermark).
   */
  private rebuildInBackground(p: number, devices: string[]): Promise<void> {
    const { deps } = this;
    const t0 = performance.now();
    let running: Promise<unknown>;
    try {
      running = Promise.all(this.acquiredListeners.map((l) => l(p, devices)));
    } catch (err) {
      running = Promise.reject(err);
    }
    const done = running.then(
      () => {
        deps.logger.info({ partition: p, devices: devices.length, ms: Math.round(performance.now() - t0) }, 'cluster: partition devices rebuilt');
      },
      (err: Error) => {
        deps.logger.error({ partition: p, err: err.message }, 'cluster: rebuilding the devices of a taken partition failed; giving it back');
        for (const l of this.rebuildFailedListeners) l(p, devices);
        // Not awaited: the give-back awaits this very promise.
        setImmediate(() => void this.leases?.forfeit(p));
      },
    );
    this.rebuilding.set(p, done);
    return done;
  }

  private async release(p: number): Promise<void> {
    this.releases.set(p, (this.releases.get(p) ?? 0) + 1);
    const consumer = this.consumers.get(p);
    this.consumers.delete(p);
    this.lags.delete(p);
    this.gauges.lag.remove(String(p));
    this.gauges.owned.set(this.consumers.size);
    if (consumer) {
      await consumer.stop();
      // The acknowledgements must reach the server before the lease goes, or the next owner gets them again.
      await this.nc?.flush().catch(() => undefined);
    }
    // What was committed here is judged here, after the rebuild, before the lease goes.
    await this.rebuilding.get(p);
    this.rebuilding.delete(p);
    const devices = this.deps.knownDevices().filter((d) => partitionOf(d, this.opts.partitions) === p);
    try {
      for (const l of this.releasedListeners) await l(p, devices);
    } finally {
      this.tokens.delete(p);
    }
  }

  private async handle(msgs: JsMsg[], fence: PartitionFence): Promise<void> {
    const messages: Message[] = [];
    const rejected: RejectedRecord[] = [];
    for (const m of msgs) {
      const device = deviceOfSubject(m.subject);
      const receivedAt = Math.floor(m.info.timestampNanos / 1e6);
      if (device && m.headers?.get(JUDGED) === '1') {
        const r = messageFromJson(m.data, device);
        if ('message' in r) messages.push(r.message);
        else
          rejected.push({
            at: receivedAt,
            source: 'mqtt',
            device,
            field: r.field,
            rule: 'cluster_message',
            error: r.error,
            payload: Buffer.from(m.data).toString('utf8').slice(0, 16384),
          });
        continue;
      }
      const j = this.deps.judge([{ source: 'mqtt', device: device ?? undefined, payload: Buffer.from(m.data), receivedAt }]);
      messages.push(...j.messages);
      rejected.push(...j.rejected);
    }
    await this.deps.commit(messages, rejected, fence);
  }

  /**
   * The edge: publishes judged messages into their devices' partitions and resolves once every one
   * is in its replicated stream (the stream's acknowledgement). Messages whose device id cannot be a
   * NATS subject token come back as dead letters.
   */
  async publish(messages: Message[]): Promise<RejectedRecord[]> {
    const js = this.js;
    if (!js) throw new Error('cluster: not connected to NATS');
    const refused: RejectedRecord[] = [];
    await Promise.all(
      messages.map(async (m) => {
        if (m.device.includes('.')) {
          refused.push({
            at: m.receivedAt,
            source: m.source,
            device: m.device,
            field: 'device',
            rule: 'cluster_subject',
            error: 'in cluster mode a device id cannot contain "." (it separates NATS subject tokens)',
            payload: JSON.stringify(m).slice(0, 16384),
          });
          return;
        }
        const h = headers();
        h.set(JUDGED, '1');
        // The stream drops a second copy within its duplicate window (a sender that retried).
        const msgID = m.seq === undefined ? undefined : `${m.device}:${m.seq}:${m.ts}`;
        await js.publish(deviceSubject(m.device), JSON.stringify(m), { headers: h, msgID });
      }),
    );
    return refused;
  }

  /** Tells every other node what this node committed live. */
  announce(messages: Message[]): void {
    this.fanout?.publish(messages);
  }

  private async refreshLag(): Promise<void> {
    for (const [p, c] of this.consumers) {
      try {
        const n = await c.lag();
        if (!this.consumers.has(p)) continue;
        this.lags.set(p, n);
        this.gauges.lag.set({ partition: String(p) }, n);
      } catch {
        // Unknown this round (the stream is electing a leader); the last figure stays.
      }
    }
    this.gauges.nodes.set(this.leases?.liveNodes().length ?? 0);
  }

  describe(): { status: 'up' | 'down'; detail: Record<string, unknown> } {
    const nc = this.nc;
    const up = !!nc && !nc.isClosed() && this.leases !== null;
    const lag: Record<string, number | null> = {};
    for (const p of this.consumers.keys()) lag[p] = this.lags.get(p) ?? null;
    return {
      status: up ? 'up' : 'down',
      detail: {
        node: this.opts.node,
        server: nc?.getServer() ?? null,
        partitions: this.opts.partitions,
        nodes: this.leases?.liveNodes() ?? [],
        owned: [...this.consumers.keys()].sort((a, b) => a - b),
        lag,
      },
    };
  }

  async stop(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.leases?.stop();
    this.fanout?.stop();
    await this.nc?.drain().catch(() => undefined);
    await this.leaseNc?.drain().catch(() => undefined);
    this.nc = null;
    this.leaseNc = null;
  }
}
