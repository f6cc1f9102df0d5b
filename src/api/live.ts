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
import { TsUnitParam } from '../model/schemas/telemetry.js';

/** A client that reads slower than we send is skipped until it catches up, never buffered without end. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_SUBSCRIPTIONS = 1000;

interface LiveClient {
  socket: WebSocket;
  all: boolean;
  devices: Set<string>;
  dropped: number;
  /** Readings' ts as whole µs (?tsUnit=us on the upgrade) instead of ms with a fraction. */
  micros: boolean;
}

export interface LiveHubParts {
  devices: DeviceRegistry;
  /** Stats, alarm changes and toasts (absent: readings and device state only). */
  alarmServices?: AlarmServices;
  metrics: Metrics;
  version: string;
}

/** Fans committed readings and device state out to WebSocket subscribers. */
export class LiveHub {
  private clients = new Set<LiveClient>();
  private stats: { push(key: string, s: DeviceStats): void; stop(): void } | null = null;

  constructor(private readonly ctx: LiveHubParts) {
    ctx.devices.onChange((ev) => this.broadcast(ev.device, JSON.stringify(ev)));
    const a = ctx.alarmServices;
    if (a) {
      // Stats at most once per second per device (the latest wins); alarm changes and toasts as they happen.
      this.stats = throttlePerKey<DeviceStats>(
        1000,
        (s) => this.clients.size && this.broadcast(s.device, JSON.stringify({ type: 'stats', ...s } satisfies LiveStats)),
      );
      a.analytics.onStats((s) => this.clients.size && this.stats?.push(s.device, s));
      a.engine.onChange((c) => this.broadcast(c.alarm.device, JSON.stringify({ type: 'alarm', event: c.type, alarm: c.alarm } satisfies LiveAlarm)));
      a.toasts.onToast((t) => this.broadcast(null, JSON.stringify(t), true));
    }
  }

  /** Live readings as committed (app.ts subscribes this to the commit path). */
  readings(messages: Message[]): void {
    if (!this.clients.size) return;
    for (const m of messages) {
      const msg: LiveServerMessage = { type: 'readings', device: m.device, ts: m.ts, seq: m.seq ?? null, values: m.values };
      let micros: string | undefined;
      this.broadcast(m.device, JSON.stringify(msg), false, () => (micros ??= JSON.stringify({ ...msg, ts: tsIn('us', m.ts) })));
    }
  }

  /**
   * Sends to every client subscribed to the device, or to every client (serialised once, whatever the
   * audience; inMicros, when given, once more for the clients that asked for µs).
   */
  broadcast(device: string | null, text: string, everyone = false, inMicros?: () => string): void {
    for (const c of this.clients) {
      if (!everyone && !c.all && (device === null || !c.devices.has(device))) continue;
      if (c.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        c.dropped++;
        continue;
      }
      c.socket.send(c.micros && inMicros ? inMicros() : text);
    }
  }

  add(socket: WebSocket, tsUnit?: TsUnit): void {
    const client: LiveClient = { socket, all: false, devices: new Set(), dropped: 0, micros: tsUnit === 'us' };
    this.clients.add(client);
    this.ctx.metrics.liveClients.set(this.clients.size);
    const send = (m: LiveServerMessage) => socket.send(JSON.stringify(m));
    send({ type: 'hello', version: this.ctx.version, time: Date.now() });
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
      this.clients.delete(client);
      this.ctx.metrics.liveClients.set(this.clients.size);
    });
  }

  closeAll(): void {
    this.stats?.stop();
    for (const c of this.clients) c.socket.close(1001, 'server stopping');
  }
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
        querystring: Type.Object({ tsUnit: Type.Optional(TsUnitParam) }),
      },
    },
    (socket, req) => {
      ctx.live.add(socket, req.query.tsUnit);
      // The token was checked at the upgrade; when its sign-in or key is revoked later, the feed ends too.
      const principal = req.principal;
      const off = ctx.auth?.revocations.on((r) => {
        if (principal && revokes(r, principal)) socket.close(4001, 'credential revoked: sign in again');
      });
      if (off) socket.once('close', off);
    },
  );
}
