import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../../stores/store.js';
import type { Logger } from '../../logger.js';
import { describePrincipal, roleOf } from '../principal.js';
import { auditText } from './mask.js';

declare module 'fastify' {
  interface FastifyRequest {
    audit?: { before: unknown; after: unknown };
  }
}

/**
 * Changes that are data, not administration: readings and their bulk forms, and reads made with a
 * POST (a backtest). Everything else that is not a GET, HEAD or OPTIONS is a change and is recorded.
 */
const NOT_CHANGES = new Set([
  'POST /api/v1/devices/:id/telemetry',
  'POST /api/v1/telemetry',
  'POST /api/v1/rules/:id/backtest',
  'POST /api/v1/rules/backtest',
  'POST /api/v1/auth/refresh',
]);

type Params = Record<string, string | undefined>;
type Loader = (store: Store, p: Params) => Promise<unknown>;

/** The resource as it was before the change, for the routes where one store read finds it. */
const BEFORE: Record<string, Loader> = {
  'PUT /api/v1/rules/:id': (s, p) => s.alarms.getRule(p.id!),
  'DELETE /api/v1/rules/:id': (s, p) => s.alarms.getRule(p.id!),
  'PUT /api/v1/profiles/:name': async (s, p) => (await s.catalog.listProfiles()).find((x) => x.name === p.name),
  'PUT /api/v1/devices/:id/profile': async (s, p) => (await s.telemetry.listDevices()).find((d) => d.id === p.id)?.profile ?? null,
  'PUT /api/v1/devices/:id': async (s, p) => (await s.devices.listDeviceMeta()).find((m) => m.id === p.id),
  'PATCH /api/v1/devices/:id': async (s, p) => (await s.devices.listDeviceMeta()).find((m) => m.id === p.id),
  'DELETE /api/v1/devices/:id': async (s, p) => (await s.devices.listDeviceMeta()).find((m) => m.id === p.id),
  'POST /api/v1/alarms/:id/ack': (s, p) => s.alarms.getAlarm(Number(p.id)),
  'POST /api/v1/alarms/:id/clear': (s, p) => s.alarms.getAlarm(Number(p.id)),
  'PATCH /api/v1/users/:id': async (s, p) => (await s.auth.listUsers()).find((u) => u.id === p.id),
  'DELETE /api/v1/users/:id': async (s, p) => (await s.auth.listUsers()).find((u) => u.id === p.id),
  'DELETE /api/v1/api-keys/:id': async (s, p) => (await s.auth.listApiKeys()).find((k) => k.id === p.id),
  'DELETE /api/v1/devices/:id/credentials': async (s, p) => (await s.auth.listDeviceCredentials()).find((c) => c.device === p.id),
  'DELETE /api/v1/equipment/:id': async (s, p) => (await s.devices.listEquipment()).find((e) => e.id === p.id),
  'DELETE /api/v1/firmware/:id': async (s, p) => (await s.devices.listFirmware()).find((f) => f.id === p.id),
  'PUT /api/v1/mappings/:id': async (s, p) => (await s.catalog.listTopicMappings()).find((m) => m.id === p.id) ?? null,
  'DELETE /api/v1/mappings/:id': async (s, p) => (await s.catalog.listTopicMappings()).find((m) => m.id === p.id) ?? null,
};

const routeKey = (req: FastifyRequest) => `${req.method} ${req.routeOptions.url ?? ''}`;

function isChange(req: FastifyRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return false;
  const url = req.routeOptions.url;
  if (!url || !url.startsWith('/api/')) return false;
  return !NOT_CHANGES.has(routeKey(req));
}

/** A body the log can hold: parsed JSON as is; a stream (firmware, import) or raw text by its size only. */
function requestBody(req: FastifyRequest): unknown {
  const body = req.body as unknown;
  if (body === undefined || body === null) return null;
  if (typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe === 'function')
    return { stream: true, contentType: req.headers['content-type'] ?? null, contentLength: req.headers['content-length'] ?? null };
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return { text: true, length: body.length };
    }
  }
  if (Buffer.isBuffer(body)) return { bytes: body.length };
  return body;
}

/**
 * The audit log as one set of hooks on every route: any change made through the API (rules,
 * profiles, device settings, alarm acks and clears, commands, OTA, users, keys, credentials...)
 * is recorded with who, from where, the route, the status, the resource before (where one read
 * finds it), the request and the answer, secrets masked. Refused attempts are recorded too.
 * Writing happens after the answer is sent; a failed write is logged and counted, never fatal.
 */
export function installAuditLog(app: FastifyInstance, opts: { store: Store; logger: Logger; onError?: (err: Error) => void }): void {
  const { store, logger } = opts;
  app.decorateRequest('audit', undefined);

  app.addHook('preHandler', async (req) => {
    if (!isChange(req)) return;
    req.audit = { before: null, after: null };
    const load = BEFORE[routeKey(req)];
    if (load) req.audit.before = await load(store, req.params as Params).catch(() => null);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.audit && !isChange(req)) return payload;
    req.audit ??= { before: null, after: null };
    const type = String(reply.getHeader('content-type') ?? '');
    if (typeof payload === 'string' && type.includes('json')) {
      try {
        req.audit.after = JSON.parse(payload) as unknown;
      } catch {
        req.audit.after = null;
      }
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    if (!req.audit && !isChange(req)) return;
    const principal = req.principal ?? { kind: 'anonymous' as const, role: null };
    const params = (req.params ?? {}) as Params;
    const entry = {
      at: Date.now(),
      actor: describePrincipal(principal),
      role: roleOf(principal),
      ip: req.ip,
      method: req.method,
      route: req.routeOptions.url ?? req.url.split('?')[0],
      path: req.url.split('?')[0],
      target: params.id ?? params.name ?? null,
      status: reply.statusCode,
      before: auditText(req.audit?.before),
      request: auditText(requestBody(req)),
      after: auditText(req.audit?.after),
    };
    store.audit.addAudit(entry).catch((err: Error) => {
      logger.error({ err: err.message, route: entry.route, actor: entry.actor }, 'audit entry not written');
      opts.onError?.(err);
    });
  });
}
