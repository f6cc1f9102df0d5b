import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Pipeline } from '../../pipeline/ingest.js';
import type { Metrics } from '../../metrics.js';
import type { Logger } from '../../logger.js';
import type { Source } from '../source.js';
import { parseDeviceTopic, type TopicKind } from '../../model/topics.js';
import { createServer as createTlsServer } from 'node:tls';
import type { TopicMappings } from '../mappings/topic-mappings.js';
import { takeForeignTopic } from '../mappings/foreign-topic.js';
import { ConnectionGate, type ConnectionLimits, type ConnectionTicket } from './mqtt-connection-gate.js';
import { PacketSizeWatch } from './mqtt-packet-size.js';
import { PublishFastPath } from './mqtt-publish-fast-path.js';
import { enablePublishFrames, readPublishFrames, type PublishFrameCounts } from './mqtt-publish-frames.js';
import { useParserBytes } from './mqtt-parser-bytes.js';

const WATCH = Symbol('packet size watch');
const BROKER = Symbol('broker');
type WatchedSocket = Socket & { [WATCH]: PacketSizeWatch; [BROKER]: EmbeddedBroker };
/** Socket.read for every broker socket: the chunk passes the socket's packet size watch first. */
function watchedRead(this: WatchedSocket, size?: number): Buffer | string | null {
  // The class's own read (net.Socket's, or TLSSocket's), which this own property shadows.
  const chunk = (Object.getPrototypeOf(this) as Socket).read.call(this, size) as Buffer | string | null;
  if (chunk === null || typeof chunk === 'string') return chunk;
  const refused = this[WATCH].feed(chunk);
  if (!refused) return chunk;
  this[BROKER].refused(this, refused);
  return null;
}

/** What an unauthenticated socket may cost, and how many sockets there may be. */
export interface BrokerLimits {
  connections: ConnectionLimits;
  /** CONNECT must arrive (and, with TLS, the handshake finish) within this long. */
  connectTimeoutMs: number;
  /** Largest packet before CONNECT is accepted. */
  connectMaxBytes: number;
  /** Largest packet once accepted. */
  maxPacketBytes: number;
}

/** Roomy enough for any device, small enough that nobody can make the broker hold much before signing in. */
export const defaultBrokerLimits: BrokerLimits = {
  connections: { maxConnections: 0, perIp: 1000, pending: 500 },
  connectTimeoutMs: 10_000,
  connectMaxBytes: 16 * 1024,
  maxPacketBytes: 1024 * 1024,
};

/** A connected client as access control sees it: the broker can close it. */
export interface BrokerSession {
  /** Aedes sets it once the connection has gone. */
  readonly closed?: boolean;
  close(): void;
}

/** Who may connect, publish and subscribe (auth/mqtt-access.ts answers it; the broker knows no users). */
export interface BrokerAccess {
  /** info.assignedId: the client sent no id and the broker made one up. */
  authenticate(
    client: BrokerSession,
    info: { id: string; assignedId: boolean },
    ip: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<{ ok: true } | { ok: false; returnCode: 4 | 5; reason: string }>;
  /** The connection has gone: forget who it was. */
  forget(client: BrokerSession): void;
  /** A reason to refuse, or null. */
  checkPublish(client: object | null, topic: string): string | null;
  checkSubscribe(client: object | null, topic: string): boolean;
  /** false: the device is over its message rate. */
  takeMessage(device: string): boolean;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  pipeline: Pipeline;
  metrics: Metrics;
  logger: Logger;
  /** Device publishes other than telemetry (state, commands/ack, ota), seen as they arrive. */
  onDeviceMessage?: (device: string, kind: TopicKind, payload: Buffer) => void;
  /** Who may connect, publish and subscribe (absent: anyone, anything). */
  access?: BrokerAccess;
  /** Certificate and key (PEM): MQTTS instead of MQTT. */
  tls?: { cert: Buffer; key: Buffer };
  /** A fleet's own topics (factory/sensor/data, ...); a topic neither they nor devices/ cover is dead-lettered. */
  mappings?: TopicMappings;
  maxPayloadBytes?: number;
  limits?: BrokerLimits;
  /** In a listener process (sources/mqtt-listeners): the main process decides publishes and subscriptions. */
  intake?: BrokerIntake;
  /** false: every packet goes through mqtt-packet and Aedes (mqtt-publish-frames.ts); tests compare both. */
  publishFrames?: boolean;
}

/** Where a listener process hands every client publish and subscription (the main process answers). */
export interface BrokerIntake {
  publish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void;
  subscribe(client: Client | null, topic: string, done: (allowed: boolean) => void): void;
}

/**
 * The embedded MQTT broker (Aedes). Telemetry is taken into the pipeline inside authorizePublish,
 * which Aedes runs before it sends PUBACK: a QoS1 device is acknowledged only once its readings
 * are committed, and a slow store slows the device's socket instead of filling memory.
 */
export class EmbeddedBroker implements Source {
  readonly name = 'mqtt';
  private aedes!: Aedes;
  private server!: Server;
  private sockets = new Set<Socket>();
  /** By the socket Aedes reads (the TLS socket under MQTTS). */
  private tickets = new WeakMap<object, ConnectionTicket>();
  /** Clients that sent an empty client id: the broker gave them a random one, which binds to nobody. */
  private assignedIds = new WeakSet<object>();
  private gate!: ConnectionGate;
  /** @internal: read by tests (how many publishes skipped Aedes' forwarding). */
  fastPath?: PublishFastPath;
  /** @internal: read by tests (how many publish frames were read without mqtt-packet); absent when off. */
  publishFrames?: PublishFrameCounts;
  port = 0;

  constructor(private readonly opts: EmbeddedBrokerOptions) {}

  async start(): Promise<void> {
    const { pipeline, metrics, logger } = this.opts;
    const access = this.opts.access;
    const intake = this.opts.intake;
    const limits = this.opts.limits ?? defaultBrokerLimits;
    this.gate = new ConnectionGate(limits.connections);
    this.aedes = await Aedes.createBroker({
      connectTimeout: limits.connectTimeoutMs,
      preConnect: (client, packet, done) => {
        if (!packet.clientId) this.assignedIds.add(client);
        done(null, true);
      },
      authenticate: (client, username, password, done) => {
        const accept = () => {
          // Signed in: the small pre-CONNECT packet limit gives way to the normal one.
          this.tickets.get(client.conn)?.accept();
          done(null, true);
        };
        if (!access) return accept();
        const ip = (client as unknown as { conn?: { remoteAddress?: string } }).conn?.remoteAddress ?? 'unknown';
        access.authenticate(client, { id: client.id, assignedId: this.assignedIds.has(client) }, ip, username, password).then(
          (r) => {
            if (r.ok) return accept();
            logger.warn({ client: client.id, username, ip, reason: r.reason }, 'mqtt connection refused');
            done(Object.assign(new Error(r.reason), { returnCode: r.returnCode }) as never, false);
          },
          (err: Error) => done(Object.assign(err, { returnCode: 3 }) as never, false),
        );
      },
      authorizeSubscribe: (client: Client | null, sub, done) => {
        if (intake) return intake.subscribe(client, sub.topic, (allowed) => done(null, allowed ? sub : null));
        // null: refused without dropping the connection (SUBACK 0x80).
        if (access && !access.checkSubscribe(client, sub.topic)) return done(null, null);
        done(null, sub);
      },
      authorizePublish: intake
        ? (client, packet, done) => intake.publish(client, packet, done)
        : (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void) => {
            // MQTT 3.1.1 has no way to refuse one publish: a refused client is disconnected (and counted).
            const refusal = access?.checkPublish(client, packet.topic);
            if (refusal) return done(new Error(refusal));
            const topic = parseDeviceTopic(packet.topic);
            if (client && access && topic?.kind === 'telemetry' && !access.takeMessage(topic.device)) {
              logger.warn({ client: client.id, device: topic.device }, 'device over its message rate; disconnected');
              return done(new Error(`device ${topic.device} is over its message rate`));
            }
            if (topic && topic.kind !== 'telemetry' && topic.kind !== 'commands' && client) {
              try {
                this.opts.onDeviceMessage?.(topic.device, topic.kind, packet.payload as Buffer);
              } catch (err) {
                logger.warn({ err: (err as Error).message, topic: packet.topic }, 'device message handler failed');
              }
            }
            if (!topic) {
              // The server's own publishes are not a device's data.
              if (!client) return done(null);
              return takeForeignTopic(pipeline, this.opts.mappings, packet.topic, packet.payload as Buffer, this.opts.maxPayloadBytes, (err) => {
                if (!err) return done(null);
                logger.error({ err: err.message, client: client.id }, 'could not store MQTT message; not acknowledged');
                done(err);
              });
            }
            if (topic.kind !== 'telemetry') return done(null);
            pipeline.acceptOneThen({ source: 'mqtt', device: topic.device, payload: packet.payload as Buffer }, (err) => {
              if (!err) return done(null);
              // No PUBACK: the device keeps the message and sends it again after reconnecting.
              logger.error({ err: err.message, client: client?.id }, 'could not store MQTT message; not acknowledged');
              done(err);
            });
          },
    });
    // A device publish nobody subscribes to is not forwarded through Aedes (mqtt-publish-fast-path.ts).
    this.fastPath = new PublishFastPath(this.aedes);
    this.fastPath.install();
    // A device's QoS 0/1 publish frames are read from the bytes (mqtt-publish-frames.ts).
    if (this.opts.publishFrames !== false) this.publishFrames = enablePublishFrames(this.aedes);
    this.aedes.on('client', () => metrics.mqttClients.set(this.aedes.connectedClients));
    this.aedes.on('clientDisconnect', () => metrics.mqttClients.set(this.aedes.connectedClients));
    this.aedes.on('clientError', (client, err) => logger.debug({ client: client?.id, err: err.message }, 'mqtt client error'));
    this.aedes.on('connectionError', (_client, err) => {
      if (/connect did not arrive in time/.test(err.message)) metrics.mqttRefused.inc({ reason: 'connect_timeout' });
    });

    // Tickets by peer address: under MQTTS the socket Aedes reads is not the raw one admitted.
    const byPeer = new Map<string, ConnectionTicket>();
    const peer = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;
    const onRaw = (raw: Socket) => {
      const ticket = this.gate.admit(raw.remoteAddress ?? 'unknown');
      if (typeof ticket === 'string') {
        // Closed before a byte is read: the descriptor is back at once.
        metrics.mqttRefused.inc({ reason: ticket });
        raw.destroy();
        return;
      }
      this.sockets.add(raw);
      // No Nagle (docs/live-latency.md): PUBACKs go out after the commit, not in step with the
      // device's publishes, so a PUBACK written while the previous one is unacknowledged would wait
      // for the device's delayed ACK (40 ms and more on Linux), and a device that keeps Nagle on waits
      // for that PUBACK's ACK before its next publish leaves. PUBACKs are already corked per turn.
      raw.setNoDelay(true);
      if (!this.opts.tls) return this.serve(raw, ticket, limits);
      const key = peer(raw);
      byPeer.set(key, ticket);
      raw.once('close', () => {
        this.sockets.delete(raw);
        ticket.release();
        if (byPeer.get(key) === ticket) byPeer.delete(key);
      });
    };
    this.server = this.opts.tls
      ? createTlsServer({ cert: this.opts.tls.cert, key: this.opts.tls.key, handshakeTimeout: limits.connectTimeoutMs }, (tlsSocket: Socket) => {
          const ticket = byPeer.get(peer(tlsSocket));
          if (!ticket) return tlsSocket.destroy();
          this.sockets.add(tlsSocket);
          this.serve(tlsSocket, ticket, limits);
        })
      : createServer();
    this.server.on('connection', onRaw);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Hands an admitted socket to Aedes, with its packet sizes watched before the parser sees a byte. */
  private serve(socket: Socket, ticket: ConnectionTicket, limits: BrokerLimits): void {
    (socket as WatchedSocket)[WATCH] = new PacketSizeWatch(this.packetLimits(limits), ticket);
    (socket as WatchedSocket)[BROKER] = this;
    // Aedes reads with socket.read(); every chunk passes the watch first, so a declared 250 MB packet
    // ends the connection on its first bytes instead of being buffered. One function for every
    // socket (it finds its watch on the socket): no closure per connection.
    socket.read = watchedRead;
    this.tickets.set(socket, ticket);
    const client = this.aedes.handle(socket);
    // The parser's byte list without a Duplex around it: ~0.7 KiB less per connection.
    useParserBytes(client);
    if (this.publishFrames) readPublishFrames(client);
    // One listener for everything a closed connection must give back (under MQTTS the raw socket's own listener releases the ticket).
    const tls = !!this.opts.tls;
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (!tls) ticket.release();
      this.opts.access?.forget(client);
    });
  }

  /** Shared by every connection. */
  private sharedPacketLimits?: { beforeAccept: number; afterAccept: number };
  private packetLimits(limits: BrokerLimits): { beforeAccept: number; afterAccept: number } {
    return (this.sharedPacketLimits ??= { beforeAccept: limits.connectMaxBytes, afterAccept: limits.maxPacketBytes });
  }

  /** @internal: a watched socket declared a packet over its limit. */
  refused(socket: Socket, refused: NonNullable<ReturnType<PacketSizeWatch['feed']>>): void {
    this.opts.metrics.mqttRefused.inc({ reason: refused.reason });
    this.opts.logger.warn(
      { ip: socket.remoteAddress, reason: refused.reason, declared: refused.declared, limit: refused.limit },
      'mqtt connection closed: packet over the limit',
    );
    socket.destroy();
  }

  /** Publishes from the server side (commands, retained state). */
  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) =>
      this.aedes.publish(
        {
          cmd: 'publish',
          topic,
          payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
          qos: opts.qos ?? 1,
          retain: opts.retain ?? false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  describe() {
    return {
      status: (this.server?.listening ? 'up' : 'down') as 'up' | 'down',
      detail: { mode: 'embedded', port: this.port, clients: this.aedes?.connectedClients ?? 0, topicMappings: this.opts.mappings?.list() ?? [] },
    };
  }
}
