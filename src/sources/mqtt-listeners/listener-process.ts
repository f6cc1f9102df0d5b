import { connect, type Socket } from 'node:net';
import type { Client, PublishPacket } from 'aedes';
import { createLogger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { Pipeline } from '../../pipeline/ingest.js';
import { EmbeddedBroker, type BrokerAccess, type BrokerIntake, type BrokerLimits, type BrokerSession } from '../mqtt-broker/mqtt-broker.js';
import { defaultMaxConnections } from '../mqtt-broker/mqtt-connection-gate.js';
import { Frame, decodeResults, encodeBatch, json, readFrames, sendJson, type AuthRequest, type BatchMessage } from './hub-frames.js';

/** What the main process tells a listener when it says hello. */
export interface ListenerSettings {
  host: string;
  port: number;
  limits: BrokerLimits;
  /** Each listener's share of the configured total, or null: its own descriptor limit less the headroom. */
  maxConnections: number | null;
  maxPayloadBytes: number;
  tls?: { cert: string; key: string };
  logLevel: string;
}

/** A batch goes out when it holds this many messages or bytes, or at the end of the current turn. */
const BATCH_MESSAGES = 1000;
const BATCH_BYTES = 1 << 20;

/**
 * One MQTT listener process: the embedded broker (Aedes, the same limits and packet watch), whose
 * every sign-in, publish and subscription is decided by the main process over the hub socket.
 * A QoS1 PUBLISH is acknowledged only when the main process answers its batch, which it does after
 * the batch is committed or spooled; if the main process goes, nothing more is acknowledged and the
 * listener closes its devices' connections and exits (they reconnect to the restarted server).
 */
class Listener implements BrokerAccess, BrokerIntake {
  private nextSession = 1;
  private readonly sessionOf = new WeakMap<object, number>();
  private readonly clients = new Map<number, BrokerSession>();
  private nextReq = 1;
  private readonly waiting = new Map<number, (body: Buffer) => void>();
  private nextBatch = 1;
  private batch: BatchMessage[] = [];
  private batchDones: ((err?: Error | null) => void)[] = [];
  private batchBytes = 0;
  private flushQueued = false;
  private readonly inflight = new Map<number, ((err?: Error | null) => void)[]>();
  broker?: EmbeddedBroker;

  constructor(private readonly hub: Socket) {}

  private ask(kind: Frame, value: Record<string, unknown>): Promise<Buffer> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.waiting.set(req, resolve);
      sendJson(this.hub, kind, { ...value, req });
    });
  }

  answered(body: Buffer): void {
    const { req } = json<{ req: number }>(body);
    const resolve = this.waiting.get(req);
    this.waiting.delete(req);
    resolve?.(body);
  }

  async authenticate(client: BrokerSession, info: { id: string; assignedId: boolean }, ip: string, username: string | undefined, password: Buffer | undefined) {
    const session = this.nextSession++;
    this.sessionOf.set(client, session);
    this.clients.set(session, client);
    const request: Omit<AuthRequest, 'req'> = { session, clientId: info.id, assignedId: info.assignedId, ip, username, password: password?.toString('base64') };
    const r = json<{ ok: true } | { ok: false; returnCode: 4 | 5; reason: string }>(await this.ask(Frame.Auth, { ...request }));
    if (!r.ok) this.forget(client);
    return r;
  }

  forget(client: BrokerSession): void {
    const session = this.sessionOf.get(client);
    if (session === undefined) return;
    // Its publishes go first: the main process checks each against the session, which Gone ends.
    this.flush();
    this.sessionOf.delete(client);
    this.clients.delete(session);
    sendJson(this.hub, Frame.Gone, { session });
  }

  // The intake decides (in the main process); these are never asked.
  checkPublish(): string | null {
    throw new Error('listener processes hand publishes to the main process');
  }
  checkSubscribe(): boolean {
    throw new Error('listener processes hand subscriptions to the main process');
  }
  takeMessage(): boolean {
    throw new Error('listener processes hand publishes to the main process');
  }

  publish(client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    // The server's own publishes (commands the main process sent) are not a device's data.
    if (!client) return done(null);
    const session = this.sessionOf.get(client);
    if (session === undefined) return done(new Error('publish from a connection that is not signed in'));
    const payload = packet.payload as Buffer;
    this.batch.push({ session, topic: packet.topic, payload });
    this.batchDones.push(done);
    this.batchBytes += payload.length + packet.topic.length + 10;
    if (this.batch.length >= BATCH_MESSAGES || this.batchBytes >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (!this.batch.length) return;
    const id = this.nextBatch++;
    this.inflight.set(id, this.batchDones);
    this.hub.write(encodeBatch(id, this.batch));
    this.batch = [];
    this.batchDones = [];
    this.batchBytes = 0;
  }

  batchAnswered(body: Buffer): void {
    const { id, results } = decodeResults(body);
    const dones = this.inflight.get(id);
    this.inflight.delete(id);
    if (!dones) return;
    for (let i = 0; i < dones.length; i++) {
      const refused = results[i];
      dones[i](refused === null || refused === undefined ? null : new Error(refused));
    }
  }

  subscribe(client: Client | null, topic: string, done: (allowed: boolean) => void): void {
    if (!client) return done(true);
    const session = this.sessionOf.get(client);
    if (session === undefined) return done(false);
    this.ask(Frame.Subscribe, { session, topic }).then((b) => done(json<{ allowed: boolean }>(b).allowed));
  }

  close(session: number): void {
    this.clients.get(session)?.close();
  }

  /** The main process has gone: nothing can be acknowledged any more. */
  lost(): void {
    const gone = new Error('the main process has gone; not acknowledged');
    for (const dones of this.inflight.values()) for (const d of dones) d(gone);
    for (const d of this.batchDones) d(gone);
    this.inflight.clear();
    this.batchDones = [];
    this.batch = [];
  }
}

async function main(): Promise<void> {
  const path = process.env.FIELDSCOPE_LISTENER_HUB;
  const token = process.env.FIELDSCOPE_LISTENER_TOKEN;
  const index = Number(process.env.FIELDSCOPE_LISTENER_INDEX);
  if (!path || !token) throw new Error('FIELDSCOPE_LISTENER_HUB and FIELDSCOPE_LISTENER_TOKEN must be set (the main process starts listeners)');
  delete process.env.FIELDSCOPE_LISTENER_TOKEN;
  const hub = connect(path);
  hub.setNoDelay?.(true);
  const listener = new Listener(hub);
  let settings: ListenerSettings | undefined;
  const settled = new Promise<ListenerSettings>((resolve, reject) => {
    hub.once('error', reject);
    readFrames(hub, (kind, body) => {
      switch (kind) {
        case Frame.Settings:
          settings = json<ListenerSettings>(body);
          return resolve(settings);
        case Frame.BatchResult:
          return listener.batchAnswered(body);
        case Frame.AuthResult:
        case Frame.SubscribeResult:
          return listener.answered(body);
        case Frame.Close:
          return listener.close(json<{ session: number }>(body).session);
        case Frame.Publish: {
          const p = json<{ req: number; topic: string; payload: string; qos: 0 | 1; retain: boolean }>(body);
          void listener.broker?.publish(p.topic, Buffer.from(p.payload, 'base64'), { qos: p.qos, retain: p.retain }).then(
            () => sendJson(hub, Frame.PublishDone, { req: p.req }),
            (err: Error) => sendJson(hub, Frame.PublishDone, { req: p.req, error: err.message }),
          );
          return;
        }
      }
    });
  });
  hub.on('close', () => {
    listener.lost();
    process.exit(1);
  });
  sendJson(hub, Frame.Hello, { index, token });
  const s = await settled;
  const logger = createLogger(s.logLevel).child({ listener: index });
  // The broker counts refusals on these two; the main process's /metrics shows them.
  const metrics = {
    mqttClients: { set: () => undefined },
    mqttRefused: { inc: (labels: { reason: string }) => sendJson(hub, Frame.Refused, labels) },
  } as unknown as Metrics;
  const limits: BrokerLimits = {
    ...s.limits,
    connections: { ...s.limits.connections, maxConnections: s.maxConnections ?? defaultMaxConnections() },
  };
  const broker = new EmbeddedBroker({
    host: s.host,
    port: s.port,
    // Never read: the intake takes every publish (a listener has no pipeline of its own).
    pipeline: undefined as unknown as Pipeline,
    metrics,
    logger,
    access: listener,
    intake: listener,
    // Publish frames read from the socket's bytes (mqtt-publish-frames.ts), as in the main process.
    // Each payload is a view of its read chunk until the batch is encoded (this turn or the next);
    // Node allocates a new buffer for every socket read, so the view stays the device's bytes.
    tls: s.tls ? { cert: Buffer.from(s.tls.cert, 'base64'), key: Buffer.from(s.tls.key, 'base64') } : undefined,
    maxPayloadBytes: s.maxPayloadBytes,
    limits,
  });
  await broker.start();
  listener.broker = broker;
  sendJson(hub, Frame.Ready, { port: broker.port, maxConnections: limits.connections.maxConnections });
  process.on('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
}

main().catch((err: Error) => {
  process.stderr.write(`fieldscope mqtt listener: ${err.message}\n`);
  process.exit(1);
});
