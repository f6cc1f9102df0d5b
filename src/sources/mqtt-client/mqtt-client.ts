import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Pipeline } from '../../pipeline/ingest.js';
import type { Logger } from '../../logger.js';
import type { Source } from '../source.js';
import { parseDeviceTopic, type TopicKind } from '../../model/topics.js';
import type { MappedInput, TopicMappings } from '../mappings/topic-mappings.js';

export interface ExternalBrokerOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** File paths of PEM files for TLS (mqtts://). */
  ca?: string;
  cert?: string;
  key?: string;
  pipeline: Pipeline;
  logger: Logger;
  /**
   * Shared subscription group, for several Fieldscope processes on one broker (each gets a share of
   * the messages). Off by default: Mosquitto 2.0 does not restore a shared subscription of a
   * persistent session after its own restart, so what devices publish between the broker's restart
   * and our reconnect would reach no one; a plain subscription is restored and queued for us.
   */
  group?: string;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** What devices publish beside telemetry (state and its will, command answers, OTA progress), as from the embedded broker. */
  onDeviceMessage?: (device: string, kind: TopicKind, payload: Buffer) => void;
  /** A fleet's own topics, subscribed in the same group and stored like telemetry. */
  mappings?: TopicMappings;
}

/**
 * Not shared in the group: every Fieldscope keeps its own view of which devices are online, and
 * a command's answer must reach the one that sent it.
 */
const DEVICE_TOPICS = ['devices/+/state', 'devices/+/commands/ack', 'devices/+/ota'];

/**
 * Handed to mqtt.js in place of an ack for telemetry: it frees the reader for the next message
 * (and reports this "error", which we ignore) while the PUBACK waits for the commit.
 */
const DEFERRED = new Error('puback deferred until the readings are committed');

/** mqtt.js sends its own PUBACKs through this method; it is not in its type declarations. */
type PacketSender = { _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode?: number }): void };

const LEGACY_SHARED = '$share/fieldscope/devices/+/telemetry';

/** A week: the broker keeps our session (and queues QoS1 messages for it) this long while we are away. */
const SESSION_EXPIRY_S = 7 * 24 * 3600;

/**
 * Fieldscope as a client of an existing broker (Mosquitto, EMQX, HiveMQ). QoS1 with a persistent
 * session under a stable client id; PUBACK goes out only once the readings are committed (or
 * spooled), so the broker keeps anything we could not store and delivers it again after a reconnect.
 */
export class ExternalBroker implements Source {
  readonly name = 'mqtt';
  private client: MqttClient | null = null;
  private stopped = false;
  private connected = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Counts connections: an ack belongs to the connection its message came on. */
  private generation = 0;
  received = 0;
  /** The mapping filters subscribed on this session, so a mapping changed through the API is followed. */
  private mappedFilters = new Set<string>();
  private offMappings: (() => void) | null = null;

  constructor(private readonly opts: ExternalBrokerOptions) {}

  get topic(): string {
    return this.share('devices/+/telemetry');
  }

  private share(filter: string): string {
    return this.opts.group ? `$share/${this.opts.group}/${filter}` : filter;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: SESSION_EXPIRY_S },
      // We reconnect ourselves, with backoff and jitter, so a fleet of servers does not stampede a restarted broker.
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      username: o.username,
      password: o.password,
      ca: o.ca ? readFileSync(o.ca) : undefined,
      cert: o.cert ? readFileSync(o.cert) : undefined,
      key: o.key ? readFileSync(o.key) : undefined,
      // mqtt.js reads the next message only once the previous one is acked, so acking after the
      // commit would hold one message at a time (about 600 msg/s against PostgreSQL). Telemetry is
      // therefore released at once and PUBACKed by us after its commit, in arrival order.
      customHandleAcks: (topic, payload, packet, done) => {
        const t = parseDeviceTopic(topic);
        const mapped = t ? null : (o.mappings?.map(topic, payload) ?? null);
        if (packet.qos !== 1 || packet.messageId === undefined || (t?.kind !== 'telemetry' && !mapped)) return this.handle(topic, t, mapped, payload, done);
        const messageId = packet.messageId;
        done(DEFERRED);
        this.handle(topic, t, mapped, payload, () => (this.client as unknown as PacketSender)._sendPacket({ cmd: 'puback', messageId }));
      },
    };
    this.offMappings = o.mappings?.onChange(() => this.followMappings()) ?? null;
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('connect', (connack) => {
      this.connected = true;
      this.attempt = 0;
      o.logger.info({ url: o.url, sessionPresent: connack.sessionPresent }, 'connected to external broker');
      const mapped = (o.mappings?.filters() ?? []).map((f) => this.share(f));
      // A filter of a mapping removed while we were away may still be in the resumed session.
      const gone = [...this.mappedFilters].filter((f) => !mapped.includes(f));
      if (gone.length) client.unsubscribe(gone, () => undefined);
      this.mappedFilters = new Set(mapped);
      // Earlier versions always subscribed in the group "fieldscope": drop that subscription from a
      // session they left behind, or each message would arrive twice.
      if (!o.group) client.unsubscribe(LEGACY_SHARED, () => undefined);
      const topics = o.onDeviceMessage ? [this.topic, ...mapped, ...DEVICE_TOPICS] : [this.topic, ...mapped];
      client.subscribe(topics, { qos: 1 }, (err) => {
        if (err) o.logger.error({ err: err.message }, 'subscribe failed');
      });
    });
    client.on('close', () => {
      this.connected = false;
      this.generation++;
      this.scheduleReconnect();
    });
    client.on('error', (err) => err === DEFERRED || o.logger.warn({ err: err.message }, 'external broker error'));
    // The first connection may fail too: start() does not wait for it, the backoff loop keeps trying.
  }

  private handle(
    topic: string,
    t: ReturnType<typeof parseDeviceTopic>,
    mapped: MappedInput | null,
    payload: Buffer,
    done: (err: Error | number, code?: number) => void,
  ): void {
    if (t && t.kind !== 'telemetry' && t.kind !== 'commands') {
      try {
        this.opts.onDeviceMessage?.(t.device, t.kind, payload);
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message, topic }, 'device message handler failed');
      }
      return done(0);
    }
    const input = mapped ? mapped.input : t?.kind === 'telemetry' ? { source: 'mqtt' as const, device: t.device, payload } : null;
    if (!input) return done(0);
    this.received++;
    const generation = this.generation;
    this.opts.pipeline.acceptOne(input).then(
      () => {
        // A PUBACK for a message of a connection that has since closed would go out on the new
        // one, where the broker may have given that packet id to another message, which it would
        // then drop as delivered. The broker sends ours again; storing it again adds nothing.
        if (generation === this.generation) done(0);
      },
      (err: Error) => {
        // No PUBACK: drop the connection so the broker delivers the message again once we are back.
        this.opts.logger.error({ err: err.message }, 'could not store MQTT message; not acknowledged, reconnecting');
        this.client?.end(true, () => this.scheduleReconnect());
      },
    );
  }

  /** Subscribes to the filters of mappings added through the API and drops those of removed ones, without a reconnect. */
  private followMappings(): void {
    const c = this.client;
    const want = new Set((this.opts.mappings?.filters() ?? []).map((f) => this.share(f)));
    const add = [...want].filter((f) => !this.mappedFilters.has(f));
    const drop = [...this.mappedFilters].filter((f) => !want.has(f));
    if (!c || !this.connected) return; // the next connect subscribes to what is wanted then
    this.mappedFilters = want;
    if (add.length)
      c.subscribe(add, { qos: 1 }, (err) => err && this.opts.logger.error({ err: err.message, filters: add }, 'subscribe to mapped topics failed'));
    // Another mapping may still need a filter the removed one had; only filters no mapping wants go.
    if (drop.length) c.unsubscribe(drop, () => undefined);
  }

  /** Publishes through the external connection (commands to devices). Refused while disconnected, so the sender retries later. */
  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const c = this.client;
    // Not handed to mqtt.js while down: its offline queue has no bound, and the command service retries anyway.
    if (!c || !this.connected) return Promise.reject(new Error('not connected to the external broker'));
    return new Promise((resolve, reject) =>
      c.publish(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false }, (err) => (err ? reject(err) : resolve())),
    );
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer || !this.client) return;
    const min = this.opts.backoffMinMs ?? 200;
    const max = this.opts.backoffMaxMs ?? 30_000;
    const base = Math.min(max, min * 2 ** this.attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopped || !this.client || this.connected) return;
      this.client.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offMappings?.();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    if (!c) return;
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
  }

  describe() {
    return {
      status: (this.connected ? 'up' : 'down') as 'up' | 'down',
      detail: {
        mode: 'external',
        url: redactUrl(this.opts.url),
        clientId: this.opts.clientId,
        topic: this.topic,
        received: this.received,
        topicMappings: this.opts.mappings?.list() ?? [],
      },
    };
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'invalid url';
  }
}
