import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { Source } from '../source.js';
import type { BrokerAccess, BrokerLimits, BrokerSession } from '../mqtt-broker/mqtt-broker.js';
import { Frame, decodeBatch, encodeResults, json, readFrames, sendJson, type AuthRequest } from './hub-frames.js';
import type { ListenerSettings } from './listener-process.js';
import type { PublishIntake } from './publish-intake.js';

export interface ListenerHubOptions {
  count: number;
  host: string;
  port: number;
  limits: BrokerLimits;
  /** The configured total (null: each listener's own descriptor limit less the headroom). */
  maxConnections: number | null;
  maxPayloadBytes: number;
  tls: { cert: Buffer; key: Buffer } | undefined;
  logLevel: string;
  access: BrokerAccess;
  intake: PublishIntake;
  metrics: Metrics;
  logger: Logger;
}

/** A device's connection on a listener, as access control in this process sees it. */
class RemoteSession implements BrokerSession {
  closed = false;
  constructor(
    readonly link: ListenerLink,
    readonly id: number,
    readonly clientId: string | null,
  ) {}
  close(): void {
    if (!this.closed) sendJson(this.link.socket, Frame.Close, { session: this.id });
  }
}

interface ListenerLink {
  index: number;
  socket: Socket;
  sessions: Map<number, RemoteSession>;
}

/**
 * V8 flags for listener processes. A listener's objects are its connections, long-lived and small;
 * what it allocates per message dies young. The default young generation (up to 3 x 16 MiB semi
 * spaces, resident once touched) was a fifth of an idle listener's RSS and, with 6 listeners
 * for 100,000 devices, ~200 MiB of the budget; 1 MiB semi spaces scavenge more often, cheaply.
 * The old generation grows 15% past what the last full collection kept instead of V8's own factor
 * (up to 4x): a listener's heap is its connections (~7 KiB each, ~130 MiB at 17,000), which a full
 * collection marks in tens of milliseconds, and between collections V8 let it double with
 * publishes promoted while they wait for their commit (BENCHMARKS.md, stop 24: 100,000 devices on 6
 * listeners, 292 -> 219 MiB each, no more CPU measured). Not for the server process: its heap at
 * 100,000 devices is ~800 MiB of live analytics, marked in full every 15% of growth; what that
 * costs its ingest could not be told at that scale on this machine (every run fell behind, with the
 * flag or without), so it keeps V8's factor.
 */
export const LISTENER_EXEC_ARGV = ['--max-semi-space-size=1', '--heap-growing-percent=15'];

// Generous: a listener loads Aedes and the broker code; on a machine at load 30 that took over 30 s.
const READY_TIMEOUT_MS = 120_000;

/**
 * MQTT served by listener processes (listener-process.ts), each with its own descriptor limit, so
 * one server can hold more devices than one process may have sockets. The listeners share the
 * MQTT port (node:cluster hands each accepted connection to the next one in turn); this process
 * signs devices in, applies the topic ACL and the message rate, and takes their publishes into the
 * pipeline in batches, answering each batch once every message in it is committed or spooled.
 */
export class MqttListenerHub implements Source {
  readonly name = 'mqtt';
  port = 0;
  private server?: Server;
  private dir?: string;
  private readonly token = randomBytes(24).toString('base64url');
  private readonly links = new Map<number, ListenerLink>();
  private readonly workers = new Map<number, Worker>();
  private readonly ready = new Map<number, () => void>();
  private readonly byClientId = new Map<string, RemoteSession>();
  private signedIn = 0;
  private stopping = false;
  private nextReq = 1;
  private readonly publishes = new Map<number, { left: number; errors: string[]; resolve: () => void; reject: (e: Error) => void }>();

  constructor(private readonly o: ListenerHubOptions) {}

  async start(): Promise<void> {
    // A private directory (0700): only this user can reach the socket; the token proves the listener is ours.
    this.dir = mkdtempSync(join(tmpdir(), 'fieldscope-hub-'));
    const path = join(this.dir, 'hub.sock');
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(path, () => resolve());
    });
    const here = fileURLToPath(import.meta.url);
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({ exec: join(here, '..', `listener-process${extname(here)}`), args: [], execArgv: [...process.execArgv, ...LISTENER_EXEC_ARGV] });
    await Promise.all(Array.from({ length: this.o.count }, (_, i) => this.spawn(i, path)));
  }

  private spawn(index: number, path: string): Promise<void> {
    const worker = cluster.fork({ FIELDSCOPE_LISTENER_HUB: path, FIELDSCOPE_LISTENER_TOKEN: this.token, FIELDSCOPE_LISTENER_INDEX: String(index) });
    this.workers.set(index, worker);
    worker.on('exit', (code, signal) => {
      if (this.workers.get(index) === worker) this.workers.delete(index);
      if (this.stopping) return;
      this.o.logger.error({ listener: index, code, signal }, 'mqtt listener process exited; starting it again (its devices reconnect)');
      setTimeout(() => void this.spawn(index, path).catch((err: Error) => this.o.logger.error({ err: err.message }, 'mqtt listener did not restart')), 1000);
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mqtt listener ${index} was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      worker.once('exit', (code) => reject(new Error(`mqtt listener ${index} exited (${code}) before it was ready`)));
      this.ready.set(index, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    let link: ListenerLink | undefined;
    socket.on('error', (err) => this.o.logger.warn({ err: err.message }, 'mqtt listener channel error'));
    readFrames(socket, (kind, body) => {
      if (!link) {
        const hello = kind === Frame.Hello ? json<{ index: number; token: string }>(body) : undefined;
        if (!hello || hello.token !== this.token) return socket.destroy();
        link = { index: hello.index, socket, sessions: new Map() };
        this.links.set(hello.index, link);
        sendJson(socket, Frame.Settings, this.settings());
        return;
      }
      this.onFrame(link, kind, body);
    });
    socket.on('close', () => {
      if (!link) return;
      if (this.links.get(link.index) === link) this.links.delete(link.index);
      for (const s of link.sessions.values()) this.gone(s);
      link.sessions.clear();
      for (const [req, p] of this.publishes) this.publishAnswered(req, p, 'listener gone');
    });
  }

  private settings(): ListenerSettings {
    const { o } = this;
    return {
      host: o.host,
      // The configured port, even 0: node:cluster gives every worker listening on 0 the same one.
      port: o.port,
      limits: o.limits,
      maxConnections: o.maxConnections ? Math.ceil(o.maxConnections / o.count) : null,
      maxPayloadBytes: o.maxPayloadBytes,
      tls: o.tls ? { cert: o.tls.cert.toString('base64'), key: o.tls.key.toString('base64') } : undefined,
      logLevel: o.logLevel,
    };
  }

  private onFrame(link: ListenerLink, kind: Frame, body: Buffer): void {
    switch (kind) {
      case Frame.Ready: {
        const { port } = json<{ port: number }>(body);
        this.port ||= port;
        if (port !== this.port) this.o.logger.error({ listener: link.index, port, expected: this.port }, 'mqtt listener serves another port');
        this.ready.get(link.index)?.();
        this.ready.delete(link.index);
        return;
      }
      case Frame.Batch:
        return this.batch(link, body);
      case Frame.Auth:
        return void this.auth(link, json<AuthRequest>(body));
      case Frame.Gone: {
        const s = link.sessions.get(json<{ session: number }>(body).session);
        if (s) this.gone(s);
        return;
      }
      case Frame.Subscribe: {
        const r = json<{ req: number; session: number; topic: string }>(body);
        const s = link.sessions.get(r.session);
        sendJson(link.socket, Frame.SubscribeResult, { req: r.req, allowed: !!s && this.o.access.checkSubscribe(s, r.topic) });
        return;
      }
      case Frame.Refused:
        this.o.metrics.mqttRefused.inc(json<{ reason: string }>(body));
        return;
      case Frame.PublishDone: {
        const r = json<{ req: number; error?: string }>(body);
        const p = this.publishes.get(r.req);
        if (p) this.publishAnswered(r.req, p, r.error);
        return;
      }
    }
  }

  private async auth(link: ListenerLink, r: AuthRequest): Promise<void> {
    const session = new RemoteSession(link, r.session, r.assignedId ? null : r.clientId);
    link.sessions.set(r.session, session);
    let result: { ok: true } | { ok: false; returnCode: 3 | 4 | 5; reason: string };
    try {
      result = await this.o.access.authenticate(
        session,
        { id: r.clientId, assignedId: r.assignedId },
        r.ip,
        r.username,
        r.password === undefined ? undefined : Buffer.from(r.password, 'base64'),
      );
    } catch (err) {
      result = { ok: false, returnCode: 3, reason: (err as Error).message };
    }
    if (!result.ok) {
      this.o.logger.warn({ client: r.clientId, username: r.username, ip: r.ip, reason: result.reason }, 'mqtt connection refused');
      link.sessions.delete(r.session);
    } else if (!session.closed) {
      this.signedIn++;
      this.o.metrics.mqttClients.set(this.signedIn);
      if (session.clientId !== null) {
        // As one broker would: the same client id signing in again takes the session over (the listener does so among its own).
        const before = this.byClientId.get(session.clientId);
        if (before && before.link !== link) before.close();
        this.byClientId.set(session.clientId, session);
      }
    }
    sendJson(
      link.socket,
      Frame.AuthResult,
      result.ok ? { req: r.req, ok: true } : { req: r.req, ok: false, returnCode: result.returnCode, reason: result.reason },
    );
  }

  private gone(s: RemoteSession): void {
    if (s.closed) return;
    s.closed = true;
    s.link.sessions.delete(s.id);
    this.o.access.forget(s);
    if (s.clientId !== null && this.byClientId.get(s.clientId) === s) this.byClientId.delete(s.clientId);
    this.signedIn = Math.max(0, this.signedIn - 1);
    this.o.metrics.mqttClients.set(this.signedIn);
  }

  /** Answers once every message of the batch is committed, spooled or refused: the listener acknowledges only then. */
  private batch(link: ListenerLink, body: Buffer): void {
    const { id, messages } = decodeBatch(body);
    const results: (string | null)[] = new Array(messages.length).fill(null);
    let left = messages.length;
    const settle = () => {
      if (--left === 0 && !link.socket.destroyed) link.socket.write(encodeResults(id, results));
    };
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const s = link.sessions.get(m.session);
      if (!s) {
        results[i] = 'connection gone before its publish was taken';
        settle();
        continue;
      }
      this.o.intake.take(s, m.topic, m.payload).then(settle, (err: Error) => {
        results[i] = err.message;
        settle();
      });
    }
    if (messages.length === 0) link.socket.write(encodeResults(id, results));
  }

  /** The server's own publish (a command), to every listener: the device is on one of them. */
  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const links = [...this.links.values()];
    if (!links.length) return Promise.reject(new Error('no mqtt listener is running'));
    const req = this.nextReq++;
    const body = {
      req,
      topic,
      payload: (typeof payload === 'string' ? Buffer.from(payload) : payload).toString('base64'),
      qos: opts.qos ?? 1,
      retain: opts.retain ?? false,
    };
    return new Promise((resolve, reject) => {
      this.publishes.set(req, { left: links.length, errors: [], resolve, reject });
      for (const l of links) sendJson(l.socket, Frame.Publish, body);
    });
  }

  private publishAnswered(req: number, p: { left: number; errors: string[]; resolve: () => void; reject: (e: Error) => void }, error?: string): void {
    if (error) p.errors.push(error);
    if (--p.left > 0) return;
    this.publishes.delete(req);
    if (p.errors.length) p.reject(new Error(`publish failed on a listener: ${p.errors.join('; ')}`));
    else p.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers.values()].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Process ids of the listeners (the bench reads their memory). */
  pids(): number[] {
    return [...this.workers.values()].map((w) => w.process.pid!).filter(Boolean);
  }

  describe() {
    return {
      status: (this.links.size === this.o.count ? 'up' : 'down') as 'up' | 'down',
      detail: {
        mode: 'listeners',
        port: this.port,
        listeners: this.links.size,
        of: this.o.count,
        clients: this.signedIn,
        // Signed-in devices per listener, by index.
        perListener: Array.from({ length: this.o.count }, (_, i) => this.links.get(i)?.sessions.size ?? 0),
        pids: this.pids(),
      },
    };
  }
}
