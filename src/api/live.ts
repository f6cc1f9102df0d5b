import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { DeviceRegistry } from '../devices/registry.js';
import type { Metrics } from '../metrics.js';
import type { AlarmServices } from './alarm-context.js';
import type { AuthServices } from '../auth/setup.js';
import type { LiveAlarm, LiveClientMessage, LiveServerMessage, LiveStats } from '../model/live.js';
import { throttlePerKey, type DeviceStats } from '../analytics/live-stats.js';
import { revokes } from '../auth/revocations.js';
import type { Message } from '../model/reading.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { tsIn, type TsUnit } from './ts-unit.js';
import { LiveFramesParam, LiveStatsParam, TsUnitParam } from '../model/schemas/telemetry.js';

/**
 * Past this much unsent data in the socket, a client's messages wait in its own queue instead (the
 * kernel and the browser are not keeping up); the queue is bounded by MAX_QUEUED_BYTES.
 */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** A client whose queue grows past this is closed with LIVE_TOO_SLOW (its messages counted as dropped). */
const MAX_QUEUED_BYTES = 2 * 1024 * 1024;
/** How often a client with a queue is looked at again when no new messages come to push it. */
const DRAIN_CHECK_MS = 50;
const MAX_SUBSCRIPTIONS = 1000;
/** Close code for a client that could not keep up (4000-4999: private use; 4001 is "revoked"). */
export const LIVE_TOO_SLOW = 4008;

/** How a connection wants its messages: one WebSocket message each (the first protocol), or batched per turn. */
export type LiveFrames = 'single' | 'batch';
/** Which stats a connection gets: of every device it hears of ('*' too), or only of those it named. */
export type LiveStatsFor = 'all' | 'named';

interface LiveClient {
  socket: WebSocket;
  all: boolean;
  devices: Set<string>;
  /** Readings' ts as whole µs (?tsUnit=us on the upgrade) instead of ms with a fraction. */
  micros: boolean;
  frames: LiveFrames;
  /** 'named': stats only for devices in `devices`, even when subscribed to '*'. */
  statsFor: LiveStatsFor;
  /** Messages (serialised) held back while the socket is backed up, oldest first. */
  queue: string[];
  queuedBytes: number;
}

/** One message for the live feed, serialised once, with the audience it goes to. */
interface Outgoing {
  device: string | null;
  /** Toasts: every client, whatever it subscribed to. */
  everyone: boolean;
  /** A stats message (clients with statsFor 'named' get it only for devices they named). */
  stats?: boolean;
  text: string;
  /** The same message with ts in µs, made once when a client asked for µs. */
  inMicros?: () => string;
}

export interface LiveHubParts {
  devices: DeviceRegistry;
  /** Stats, alarm changes and toasts (absent: readings and device state only). */
  alarmServices?: AlarmServices;
  metrics: Metrics;
  version: string;
}

/**
 * Fans committed readings and device state out to WebSocket subscribers. Everything that happens in
 * one turn of the event loop (a commit's readings, the device changes it caused) is sent when that
 * turn's work is done: to a 'batch' client as one WebSocket message, in order; to a 'single' client
 * as one message each (the first protocol). The flush runs as a microtask, before any other I/O,
 * so coalescing adds no wait: at 5,000 readings/s a browser gets one message per commit instead
 * of one per reading.
 */
export class LiveHub {
  private clients = new Set<LiveClient>();
  private stats: { push(key: string, s: DeviceStats): void; stop(): void } | null = null;
  private turn: Outgoing[] = [];
  private flushQueued = false;
  private drainTimer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly ctx: LiveHubParts) {
    ctx.devices.onChange((ev) => this.broadcast(ev.device, JSON.stringify(ev)));
    const a = ctx.alarmServices;
    if (a) {
      // Stats at most once per second per device (the latest wins); alarm changes and toasts as they happen.
      this.stats = throttlePerKey<DeviceStats>(
        1000,
        (s) => this.clients.size && this.broadcast(s.device, JSON.stringify({ type: 'stats', ...s } satisfies LiveStats), false, undefined, true),
      );
      // Wanted only while a browser is connected: with none, no snapshot is built per message.
      a.analytics.onStats(
        (s) => this.clients.size && this.stats?.push(s.device, s),
        () => this.clients.size > 0,
      );
      a.engine.onChange((c) => this.broadcast(c.alarm.device, JSON.stringify({ type: 'alarm', event: c.type, alarm: c.alarm } satisfies LiveAlarm)));
      a.toasts.onToast((t) => this.broadcast(null, JSON.stringify(t), true));
    }
  }

  /** Live readings as validated, before or after their commit (app.ts wires both; docs/live-latency.md). */
  readings(messages: Message[]): void {
    if (!this.clients.size || !messages.length) return;
    // receivedAt is absent on messages that did not come through this node's transports.
    const at = messages[0]?.receivedAt;
    if (Number.isFinite(at)) this.ctx.metrics.liveStageSeconds.observe({ stage: 'hub' }, Math.max(0, Date.now() - at) / 1000);
    for (const m of messages) {
      const msg: LiveServerMessage = { type: 'readings', device: m.device, ts: m.ts, seq: m.seq ?? null, values: m.values };
      let micros: string | undefined;
      this.broadcast(m.device, JSON.stringify(msg), false, () => (micros ??= JSON.stringify({ ...msg, ts: tsIn('us', m.ts) })));
    }
    // Now, not at the end of the turn: the commit's followers after this one (models) need not be waited for.
    this.flush();
  }

  /**
   * Queues a message for every client subscribed to the device, or for every client (serialised
   * once, whatever the audience; inMicros, when given, once more for the clients that asked for µs).
   * It goes out at the end of this turn.
   */
  broadcast(device: string | null, text: string, everyone = false, inMicros?: () => string, stats = false): void {
    if (!this.clients.size) return;
    this.turn.push({ device, everyone, text, inMicros, stats });
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Sends what this turn queued: one message per batch client, one per reading to the others. */
  flush(): void {
    this.flushQueued = false;
    const turn = this.turn;
    if (!turn.length) return;
    this.turn = [];
    // Clients of everything see the same list: joined once per unit and framing, not once per client.
    const shared = new Map<string, string[] | string>();
    for (const c of this.clients) {
      let texts: string[];
      // A client of everything that wants no stats but its named devices' has the same list as any other such client.
      const plain = c.all && (c.statsFor === 'all' || c.devices.size === 0);
      if (plain) {
        const key = (c.micros ? 'us' : 'ms') + (c.statsFor === 'named' ? ':nostats' : '');
        let t = shared.get(key) as string[] | undefined;
        if (!t)
          shared.set(key, (t = (c.statsFor === 'named' ? turn.filter((o) => !o.stats) : turn).map((o) => (c.micros && o.inMicros ? o.inMicros() : o.text))));
        texts = t;
        // A turn of nothing but stats leaves a stats=named client of everything nothing to send.
        if (!texts.length) continue;
      } else {
        texts = [];
        for (const o of turn) {
          const named = o.device !== null && c.devices.has(o.device);
          const wanted = o.stats && c.statsFor === 'named' ? named : o.everyone || c.all || named;
          if (wanted) texts.push(c.micros && o.inMicros ? o.inMicros() : o.text);
        }
        if (!texts.length) continue;
      }
      if (c.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.hold(c, texts);
        continue;
      }
      if (c.queue.length) {
        // Caught up: what was held goes first, with this turn's in the same message.
        this.sendHeld(c, texts);
        continue;
      }
      if (c.frames === 'single') {
        for (const t of texts) c.socket.send(t);
      } else if (plain) {
        const key = (c.micros ? 'us' : 'ms') + (c.statsFor === 'named' ? ':nostats' : '') + ':batch';
        let frame = shared.get(key) as string | undefined;
        if (!frame) shared.set(key, (frame = batchFrame(texts)));
        c.socket.send(frame);
      } else c.socket.send(batchFrame(texts));
      this.ctx.metrics.liveSent.inc(texts.length);
    }
  }

  /** Keeps messages for a backed-up client, in order, up to its bound; past it the client is closed. */
  private hold(c: LiveClient, texts: string[]): void {
    for (const t of texts) {
      c.queue.push(t);
      c.queuedBytes += t.length;
    }
    if (c.queuedBytes > MAX_QUEUED_BYTES) {
      const lost = c.queue.length;
      this.drop(c);
      this.ctx.metrics.liveDropped.inc({ reason: 'slow_client' }, lost);
      // The close frame waits behind what the socket already holds; ws destroys it if that takes 30 s.
      c.socket.close(LIVE_TOO_SLOW, `too slow: ${lost} live messages not sent; reconnect and reload`);
      return;
    }
    this.drainTimer ??= setInterval(() => this.drainQueues(), DRAIN_CHECK_MS);
    this.drainTimer.unref?.();
  }

  /** Sends held messages to the clients whose sockets caught up. */
  private drainQueues(): void {
    let waiting = false;
    for (const c of this.clients) {
      if (!c.queue.length) continue;
      if (c.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        waiting = true;
        continue;
      }
      this.sendHeld(c, []);
    }
    if (!waiting && this.drainTimer) {
      clearInterval(this.drainTimer);
      this.drainTimer = null;
    }
  }

  private sendHeld(c: LiveClient, more: string[]): void {
    const texts = more.length ? c.queue.concat(more) : c.queue;
    c.queue = [];
    c.queuedBytes = 0;
    if (c.frames === 'single') for (const t of texts) c.socket.send(t);
    else c.socket.send(batchFrame(texts));
    this.ctx.metrics.liveSent.inc(texts.length);
  }

  private drop(c: LiveClient): void {
    if (!this.clients.delete(c)) return;
    c.queue = [];
    c.queuedBytes = 0;
    this.ctx.metrics.liveClients.set(this.clients.size);
  }

  add(socket: WebSocket, tsUnit?: TsUnit, frames: LiveFrames = 'single', statsFor: LiveStatsFor = 'all'): void {
    const client: LiveClient = { socket, all: false, devices: new Set(), micros: tsUnit === 'us', frames, statsFor, queue: [], queuedBytes: 0 };
    this.clients.add(client);
    this.ctx.metrics.liveClients.set(this.clients.size);
    // Replies go out at once, outside the batches: they answer this client, and are few.
    const send = (m: LiveServerMessage) => socket.send(JSON.stringify(m));
    send({ type: 'hello', version: this.ctx.version, time: Date.now(), frames });
    socket.on('message', (data) => {
      let msg: LiveClientMessage;
      try {
        msg = JSON.parse(data.toString()) as LiveClientMessage;
      } catch {
        return send({ type: 'error', error: 'messages must be JSON', field: 'message', rule: 'json' });
      }
      if (msg?.op === 'ping') return send({ type: 'pong', time: Date.now() });
      if (msg?.op !== 'subscribe' && msg?.op !== 'unsubscribe') {
        return send({ type: 'error', error: 'op must be subscribe, unsubscribe or ping', field: 'op', rule: 'enum' });
      }
      const devices = msg.devices;
      if (devices !== '*' && !(Array.isArray(devices) && devices.every((d) => typeof d === 'string'))) {
        return send({ type: 'error', error: 'devices must be "*" or an array of device ids', field: 'devices', rule: 'type' });
      }
      if (msg.op === 'subscribe') {
        if (devices === '*') client.all = true;
        else {
          if (client.devices.size + devices.length > MAX_SUBSCRIPTIONS) {
            this.ctx.metrics.limitExceeded.inc({ limit: 'ws_subscriptions' });
            return send({
              type: 'error',
              error: `at most ${MAX_SUBSCRIPTIONS} device subscriptions per connection; subscribe to "*" instead`,
              field: 'devices',
              rule: 'max_subscriptions',
            });
          }
          for (const d of devices) client.devices.add(d);
        }
      } else if (devices === '*') {
        client.all = false;
        client.devices.clear();
      } else for (const d of devices) client.devices.delete(d);
    });
    socket.on('close', () => {
      const lost = client.queue.length;
      if (lost) this.ctx.metrics.liveDropped.inc({ reason: 'closed' }, lost);
      this.drop(client);
    });
  }

  closeAll(): void {
    this.stats?.stop();
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    for (const c of this.clients) c.socket.close(1001, 'server stopping');
  }
}

/** `{"type":"batch","messages":[...]}` from messages already serialised. */
function batchFrame(texts: string[]): string {
  return '{"type":"batch","messages":[' + texts.join(',') + ']}';
}

export async function liveRoutes(fastify: FastifyInstance, ctx: { live: LiveHub; auth?: Pick<AuthServices, 'revocations'> }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/live',
    {
      websocket: true,
      schema: {
        tags: ['live'],
        summary: 'Live readings and device state over WebSocket (messages: docs/api.md)',
        description: 'JSON text frames: the client sends LiveClientMessage, the server sends LiveServerMessage (both under components).',
        querystring: Type.Object({ tsUnit: Type.Optional(TsUnitParam), frames: Type.Optional(LiveFramesParam), stats: Type.Optional(LiveStatsParam) }),
      },
    },
    (socket, req) => {
      ctx.live.add(socket, req.query.tsUnit, req.query.frames, req.query.stats);
      // The token was checked at the upgrade; when its sign-in or key is revoked later, the feed ends too.
      const principal = req.principal;
      const off = ctx.auth?.revocations.on((r) => {
        if (principal && revokes(r, principal)) socket.close(4001, 'credential revoked: sign in again');
      });
      if (off) socket.once('close', off);
    },
  );
}
