import Fastify, { type FastifyInstance, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { Pipeline } from '../pipeline/ingest.js';
import type { Batcher } from '../pipeline/batcher.js';
import type { CommitWriter } from '../pipeline/commit.js';
import type { Metrics } from '../metrics.js';
import { loggableUrl, type Logger } from '../logger.js';
import type { Source } from '../sources/source.js';
import type { AlarmServices } from './alarm-context.js';
import type { DeviceServices } from '../devices/services.js';
import type { SequenceTracker } from '../pipeline/sequence.js';
import type { SeqDeviceState } from '../model/sequence.js';
import type { AuthServices } from '../auth/setup.js';
import type { ReadGuard } from './read-guard.js';
import type { ModelServices } from '../models/setup.js';
import type { RetentionRules } from '../stores/retention-rules.js';
import { allSchemas } from './schemas.js';
import { DomainError } from './errors.js';
import { StoreUnavailableError } from '../pipeline/spool.js';
import { isDiskFull } from '../stores/disk-space.js';
import { ReadLimitError } from '../stores/read-errors.js';
import { deviceMetaRoutes, deviceRoutes } from './devices.js';
import { telemetryRoutes } from './telemetry.js';
import { importRoutes } from './import.js';
import { historyRoutes } from './history.js';
import { LiveHub, liveRoutes } from './live.js';
import { healthRoutes } from './health.js';
import { profileRoutes } from './profiles.js';
import { retentionRoutes } from './retention.js';
import { rejectedRoutes } from './rejected.js';
import { liveStatsRoutes } from './live-stats.js';
import { ruleRoutes } from './rules.js';
import { alarmRoutes } from './alarms.js';
import { notificationRoutes } from './notifications.js';
import { completenessRoutes } from './completeness.js';
import { telemetryManyRoutes } from './telemetry-many.js';
import { commandRoutes } from './commands.js';
import { equipmentRoutes } from './equipment.js';
import { firmwareRoutes } from './firmware.js';
import { webDist } from '../paths.js';
import { installGuard, type RoleTable } from '../auth/guard.js';
import { authRoutes } from './auth.js';
import { userRoutes } from './users.js';
import { deviceCredentialRoutes } from './device-credentials.js';
import { installAuditLog } from '../auth/audit/audit-hook.js';
import { auditRoutes } from './audit.js';
import { serveMlRoutes } from './serve-ml.js';
import { rulRoutes } from './rul.js';
import { mappingRoutes } from './mappings.js';
import type { MappingCatalog } from '../sources/mappings/mapping-catalog.js';
import { toOpenapi30Schemas } from './openapi30.js';

/** Longest path parameter the router takes (a 128-character device id, fully percent-encoded, fits). */
export const MAX_PARAM_LENGTH = 400;

/** Errors the router raises before any route or hook runs; answered like every other refusal. */
function routerError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply
      .code(414)
      .send({ error: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters (device ids are at most 128)`, field: 'path', rule: 'max_length' });
  }
  if (err.code === 'FST_ERR_BAD_URL') return reply.code(400).send({ error: 'the URL is not validly percent-encoded', field: 'url', rule: 'url_encoding' });
  return reply.code(err.statusCode ?? 400).send({ error: err.message, field: 'url', rule: err.code });
}

/**
 * The schema validator coerces "1e999" to Infinity and lets it pass as an integer under any
 * maximum; numbers are checked to be finite before it runs, naming the field and its bound.
 */
function checkFiniteNumbers(values: unknown, schema: unknown): void {
  const props = (schema as { properties?: Record<string, { type?: unknown; minimum?: number; maximum?: number }> } | undefined)?.properties;
  if (!props || !values || typeof values !== 'object') return;
  for (const [field, spec] of Object.entries(props)) {
    if (spec.type !== 'integer' && spec.type !== 'number') continue;
    const raw = (values as Record<string, unknown>)[field];
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    const n = Number(raw);
    if (Number.isNaN(n) || Number.isFinite(n)) continue;
    if (n > 0 && spec.maximum !== undefined) throw new DomainError(400, `${field} must be <= ${spec.maximum}`, field, 'maximum');
    if (n < 0 && spec.minimum !== undefined) throw new DomainError(400, `${field} must be >= ${spec.minimum}`, field, 'minimum');
    throw new DomainError(400, `${field} must be a finite number`, field, 'finite');
  }
}

/**
 * The running parts the server is built from. Only the server sees them all: each API area is a
 * Fastify plugin registered with the few parts it uses, so none reaches for a global.
 */
export interface HttpServerParts {
  store: Store;
  devices: DeviceRegistry;
  profiles: ProfileRegistry;
  pipeline: Pipeline;
  batcher: Batcher;
  /** The one commit path (bulk imports write through it). */
  writer: CommitWriter;
  metrics: Metrics;
  logger: Logger;
  sources: Source[];
  version: string;
  /** Per-device sequence accounting, for completeness. */
  sequence?: SequenceTracker;
  /** Cluster mode: a device's sequence state wherever it is kept (absent: the tracker above). */
  sequenceState?: (device: string) => Promise<SeqDeviceState | undefined>;
  maxPayloadBytes: number;
  maxBodyBytes: number;
  /** Live analytics, alarm engine and notifications (absent: their routes are not registered). */
  alarmServices?: AlarmServices;
  /** Commands, device metadata, equipment, firmware and OTA (absent: their routes are not registered). */
  deviceServices?: DeviceServices;
  /** Users, tokens, keys, device credentials and limits (absent: no guard, everything open; only for unit tests). */
  auth?: AuthServices;
  /** Limits on history reads: at once (in all, per caller) and readings per second per caller (absent: none). */
  readGuard?: ReadGuard;
  /** Most readings one request may return (absent: no cap). */
  readMaxRows?: number;
  /** Model bundles and serving (absent: the serve-ml and rul routes are not registered). */
  models?: ModelServices;
  /** Which retention applies to which device (absent: the retention routes are not registered). */
  retention?: RetentionRules;
  /** Topic mappings: the config file's and those added through the API (absent: their routes are not registered). */
  mappings?: MappingCatalog;
  /** Browser origins allowed by CORS; none by default. */
  corsOrigins?: string[];
  /** Certificate and key (PEM): the server speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
}

export interface HttpServer {
  app: FastifyInstance;
  live: LiveHub;
}

/** Builds the HTTP server: REST under /api/v1, live WebSocket, docs, health, metrics, and the dashboard. */
export async function buildHttpServer(ctx: HttpServerParts): Promise<HttpServer> {
  // Device ids are up to 128 characters, and ':' arrives percent-encoded (3 characters each).
  const routerOptions = { maxParamLength: MAX_PARAM_LENGTH };
  const app = ctx.tls
    ? (Fastify({
        logger: false,
        bodyLimit: ctx.maxBodyBytes,
        forceCloseConnections: true,
        routerOptions,
        frameworkErrors: routerError,
        https: { cert: ctx.tls.cert, key: ctx.tls.key },
      }) as unknown as FastifyInstance)
    : Fastify({ logger: false, bodyLimit: ctx.maxBodyBytes, forceCloseConnections: true, routerOptions, frameworkErrors: routerError });
  // Before any route is added: the guard's onRoute hook gives every route its role.
  const roles: RoleTable | null = ctx.auth ? installGuard(app, ctx.auth, { corsOrigins: ctx.corsOrigins ?? [], tls: !!ctx.tls }) : null;
  // Every change through the API lands in the audit log (hooks on the root: every route has them).
  installAuditLog(app, { store: ctx.store, logger: ctx.logger, onError: () => ctx.metrics.auditErrors.inc() });

  app.setErrorHandler((err: FastifyError | DomainError, req, reply) => {
    // The one translation of domain refusals to HTTP; refused input is counted here too.
    if (err instanceof DomainError) {
      if (err.status === 400 && err.field && err.rule) ctx.metrics.rejected.inc({ source: err.source, field: err.field, rule: err.rule });
      return reply.code(err.status).send({ error: err.message, field: err.field, rule: err.rule });
    }
    if (isDiskFull(err)) {
      ctx.logger.error({ err: (err as Error).message, url: loggableUrl(req.url) }, 'store disk full');
      return reply.code(503).header('retry-after', '30').send({
        error: "the store's disk is full: nothing was changed; free space on the disk of the data directory (GET /health shows it)",
        field: 'store',
        rule: 'store_full',
      });
    }
    if (err instanceof ReadLimitError) {
      // Guard refusals were counted by the guard; these come from the store (time limit, too many rows).
      if (err.rule === 'read_time_limit' || err.rule === 'max_rows') ctx.metrics.readsRefused.inc({ rule: err.rule });
      if (err.retryAfterSec !== undefined || err.status === 503) reply.header('retry-after', String(err.retryAfterSec ?? 1));
      return reply.code(err.status).send({ error: err.message, field: err.field, rule: err.rule });
    }
    if (err instanceof StoreUnavailableError) {
      ctx.logger.error({ err: err.message, url: loggableUrl(req.url) }, 'not stored');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'the store is unavailable and the spool is full; nothing was stored, send again later', rule: 'store_unavailable' });
    }
    const fe = err as FastifyError;
    if (fe.validation?.length) {
      const v = fe.validation[0];
      const field =
        (v.params as { missingProperty?: string })?.missingProperty ??
        (v.instancePath.replace(/^\//, '').replace(/\//g, '.') || fe.validationContext || 'request');
      return reply.code(400).send({
        error: `${fe.validationContext ?? 'request'}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''} ${v.message}`,
        field,
        rule: v.keyword,
      });
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      ctx.metrics.limitExceeded.inc({ limit: 'body' });
      return reply.code(413).send({ error: `body is larger than the limit of ${ctx.maxBodyBytes} bytes`, field: 'body', rule: 'max_size' });
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: `content type ${req.headers['content-type']} is not accepted here`, field: 'content-type', rule: 'media_type' });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: fe.message, rule: fe.code });
    }
    ctx.logger.error({ err: fe.message, stack: fe.stack, url: loggableUrl(req.url) }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  // A body handed over as a stream (the firmware, import and NDJSON parsers) reaches only a route
  // that lists its media type in `consumes`. Elsewhere, body validation would run on the raw
  // request itself, and ajv's removeAdditional strips that IncomingMessage's own fields, which
  // makes node's http server throw when the response finishes.
  app.addHook('preValidation', async (req) => {
    const body = req.body as { pipe?: unknown } | null | undefined;
    if (!body || typeof body !== 'object' || typeof body.pipe !== 'function') return;
    // application/ndjson is the unregistered alias of application/x-ndjson; a route lists only one.
    const type = (req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase()
      .replace(/^application\/ndjson$/, 'application/x-ndjson');
    const consumes = (req.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes ?? [];
    if (!consumes.includes(type)) throw new DomainError(415, `content type ${type || '(none)'} is not accepted here`, 'content-type', 'media_type');
  });

  app.addHook('onRequest', async (req) => {
    // A NUL byte is in no name, id or file here; file system calls would throw on it.
    if (/%00/.test(req.url)) throw new DomainError(400, 'the URL holds a NUL character (%00)', 'url', 'nul_character');
  });
  app.addHook('preValidation', async (req) => {
    const schema = req.routeOptions.schema as { querystring?: unknown; params?: unknown } | undefined;
    checkFiniteNumbers(req.query, schema?.querystring);
    checkFiniteNumbers(req.params, schema?.params);
  });

  for (const s of allSchemas) app.addSchema(s);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Fieldscope API',
        version: ctx.version,
        description: 'Telemetry ingest, history, devices and live data. Times are UTC epoch milliseconds unless a parameter says otherwise.',
      },
      tags: [
        { name: 'devices' },
        { name: 'telemetry' },
        { name: 'profiles' },
        { name: 'live' },
        { name: 'operations' },
        { name: 'firmware' },
        { name: 'analytics' },
        { name: 'alarms' },
        { name: 'auth' },
        { name: 'models' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An access token (JWT from /api/v1/auth/login), an API key (fsk_...), or for device routes a device token (fsd_...)',
          },
        },
      },
    },
    // Each operation says which role it needs (x-fieldscope-role), from the same table the guard enforces.
    transformObject: (doc) => {
      const o = toOpenapi30Schemas((doc as { openapiObject: { paths?: Record<string, Record<string, Record<string, unknown>>> } }).openapiObject);
      if (!roles || !o?.paths) return o;
      for (const [path, ops] of Object.entries(o.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const entry = roles.get(`${method.toUpperCase()} ${path}`);
          if (!entry) continue;
          op['x-fieldscope-role'] = entry.role;
          if (entry.deviceScope) op['x-fieldscope-device-scope'] = entry.deviceScope;
          if (entry.role !== 'public') op.security = [{ bearer: [] }];
        }
      }
      return o;
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const live = new LiveHub(ctx);
  // Each area is its own encapsulated plugin (its body parsers stay inside it), handed what it uses.
  const { store, devices, profiles, metrics, logger, auth, readGuard, readMaxRows, sequence, models } = ctx;
  const { alarmServices: alarm, deviceServices: dm } = ctx;
  if (auth) {
    await app.register(authRoutes, { logger, auth });
    await app.register(userRoutes, { logger, auth });
    await app.register(deviceCredentialRoutes, { logger, auth });
    await app.register(auditRoutes, { store: { audit: store.audit } });
  }
  await app.register(importRoutes, {
    profiles,
    store: { telemetry: store.telemetry, catalog: store.catalog, retention: store.retention },
    writer: ctx.writer,
    retention: ctx.retention,
  });
  await app.register(deviceRoutes, { devices, deviceServices: dm, profiles, store: { telemetry: store.telemetry } });
  const { maxBodyBytes, maxPayloadBytes, pipeline } = ctx;
  await app.register(telemetryRoutes, {
    auth,
    maxBodyBytes,
    maxPayloadBytes,
    metrics,
    pipeline,
    readGuard,
    readMaxRows,
    store: { telemetry: store.telemetry },
  });
  await app.register(historyRoutes, { store: { telemetry: store.telemetry }, readGuard, readMaxRows });
  await app.register(profileRoutes, { devices, profiles, store: { catalog: store.catalog, telemetry: store.telemetry } });
  if (ctx.retention)
    await app.register(retentionRoutes, { devices, store: { retention: store.retention, telemetry: store.telemetry }, retention: ctx.retention });
  await app.register(rejectedRoutes, { store: { telemetry: store.telemetry } });
  await app.register(completenessRoutes, { devices, sequence, sequenceState: ctx.sequenceState, store: { catalog: store.catalog } });
  await app.register(telemetryManyRoutes, {
    devices,
    sequence,
    sequenceState: ctx.sequenceState,
    readGuard,
    readMaxRows,
    store: { telemetry: store.telemetry },
  });
  await app.register(liveRoutes, { live, auth });
  await app.register(healthRoutes, { batcher: ctx.batcher, devices, metrics, sources: ctx.sources, store, version: ctx.version });
  if (dm) {
    await app.register(deviceMetaRoutes, { devices, deviceServices: dm, profiles, store: { telemetry: store.telemetry } });
    await app.register(commandRoutes, { devices, deviceServices: dm });
    await app.register(equipmentRoutes, { deviceServices: dm });
    await app.register(firmwareRoutes, { deviceServices: dm });
  }
  if (alarm) {
    await app.register(liveStatsRoutes, { devices, alarmServices: alarm });
    await app.register(ruleRoutes, { devices, readGuard, store: { alarms: store.alarms }, alarmServices: alarm });
    await app.register(alarmRoutes, { store: { alarms: store.alarms }, alarmServices: alarm });
    await app.register(notificationRoutes, { alarmServices: alarm });
  }
  if (ctx.mappings) await app.register(mappingRoutes, { mappings: ctx.mappings });
  if (models) {
    await app.register(serveMlRoutes, { models, store: { telemetry: store.telemetry } });
    await app.register(rulRoutes, { models, devices, store: { telemetry: store.telemetry } });
  }

  // The dashboard, looked up per request (not globbed at startup), so a rebuilt web/dist is served
  // without a restart; any other GET outside /api and /docs answers index.html (client routes).
  await app.register(fastifyStatic, { root: webDist, serve: false });
  app.get('/*', { config: { role: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const path = (req.params as { '*'?: string })['*'] ?? '';
    if (/^(api|docs)(\/|$)/.test(path)) return reply.callNotFound();
    if (!existsSync(join(webDist, 'index.html'))) {
      return reply.type('text/plain').send('The dashboard is not built. Run `npm run build:web` (npm start does it for you).\n');
    }
    const file = resolve(webDist, path);
    if (path && file.startsWith(webDist + sep) && statSync(file, { throwIfNoEntry: false })?.isFile()) {
      // Vite names built assets by content hash: they never change under one name.
      return path.startsWith('assets/') ? reply.sendFile(path, { maxAge: '365d', immutable: true }) : reply.sendFile(path);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { maxAge: 0 });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}`, rule: 'not_found' }));
  return { app, live };
}
