import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ROUTE_ROLES, type RouteRole } from '../model/auth.js';
import type { AuthServices } from './setup.js';
import type { Principal } from './principal.js';
import { defaultRouteRole, roleAtLeast } from './roles.js';
import { API_KEY_PREFIX } from './api-keys.js';
import { DEVICE_TOKEN_PREFIX } from './device-credentials.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; when absent, GET/HEAD need a viewer and anything else an operator. */
    role?: RouteRole;
    /** For role 'device': 'own' (default) lets in only the device named by the :id param; 'any' lets in any device, and viewers. */
    deviceScope?: 'own' | 'any';
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

export interface GuardOptions {
  /** Browser origins allowed to call the API (exact match); empty: CORS closed. */
  corsOrigins: string[];
  tls: boolean;
}

/**
 * The dashboard is bundled and served from here, so the policy allows this origin only: no CDN,
 * no inline script. Inline styles stay allowed (charting and component libraries set them).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** `/api/v1/devices/:id` as the OpenAPI document writes it: `/api/v1/devices/{id}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The role of every route, by "METHOD /openapi/path", for the OpenAPI document. */
export type RoleTable = Map<string, { role: RouteRole; deviceScope?: 'own' | 'any' }>;

type Denial = { status: 401 | 403; reason: string; error: string; rule: string };

/**
 * One onRequest hook for every route: security headers, CORS, rate limits, then credentials against
 * the role the route declares. Routes that declare none get one by method, so a route added later is
 * protected without anyone remembering to.
 */
export function installGuard(app: FastifyInstance, auth: AuthServices, opts: GuardOptions): RoleTable {
  const roles: RoleTable = new Map();
  const { metrics } = auth;
  app.decorateRequest('principal', null as never);

  app.addHook('onRoute', (route: RouteOptions) => {
    route.config ??= {};
    const config = route.config as { role?: RouteRole; file?: unknown; deviceScope?: 'own' | 'any' };
    let role = config.role;
    if (role === undefined) {
      // The docs UI and the dashboard's static files (fastify-static marks its routes with `file`) are public.
      const isStatic = route.url === '/' || config.file !== undefined || route.url.startsWith('/docs');
      role = isStatic && !route.url.startsWith('/api/') ? 'public' : defaultRouteRole(Array.isArray(route.method) ? route.method[0] : route.method);
      config.role = role;
    }
    if (!ROUTE_ROLES.includes(role)) throw new Error(`route ${route.url}: unknown role "${role}"`);
    for (const m of Array.isArray(route.method) ? route.method : [route.method])
      roles.set(`${m} ${openApiPath(route.url)}`, { role, deviceScope: role === 'device' ? (config.deviceScope ?? 'own') : undefined });
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (opts.tls) reply.header('strict-transport-security', 'max-age=31536000');

    const origin = req.headers.origin;
    if (origin && opts.corsOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        reply.header('access-control-allow-methods', 'GET, HEAD, POST, PUT, PATCH, DELETE');
        reply.header('access-control-allow-headers', 'Authorization, Content-Type');
        reply.header('access-control-max-age', '600');
        return reply.code(204).send();
      }
    }

    const role: RouteRole = req.routeOptions.config?.role ?? (req.routeOptions.url ? defaultRouteRole(req.method) : 'public');
    req.principal = { kind: 'anonymous', role: auth.policy.anonymousRole };
    // A refused WebSocket upgrade must not leave its socket open (the server would wait on it to close).
    if (req.headers.upgrade) {
      reply.header('connection', 'close');
      reply.raw.once('finish', () => {
        if (reply.statusCode !== 101) req.raw.socket.end();
      });
    }

    const ipTake = auth.apiLimiter.take(`ip:${req.ip}`);
    if (!ipTake.ok) return tooMany(reply, 'ip', ipTake.retryAfterSec);
    if (role === 'public') return;

    const found = await identify(req, auth);
    if ('status' in found) return deny(reply, found);
    req.principal = found;

    if (found.kind === 'user' || found.kind === 'api_key') {
      const take = auth.apiLimiter.take(`${found.kind}:${found.id}`);
      if (!take.ok) return tooMany(reply, 'user', take.retryAfterSec);
    }

    // No credentials and not enough: 401 (signing in may help), even when anonymous callers may read.
    const anonymous = found.kind === 'anonymous';
    if (role === 'device') {
      const device = (req.params as { id?: string }).id;
      const anyDevice = req.routeOptions.config?.deviceScope === 'any';
      if (found.kind === 'device') {
        if (anyDevice) return;
        if (found.device !== device) return deny(reply, forbidden(`this token belongs to device ${found.device}, not ${device}`));
        const take = auth.deviceLimiter.take(`device:${device}`);
        if (!take.ok) return tooMany(reply, 'device', take.retryAfterSec);
        return;
      }
      if (found.role !== null && roleAtLeast(found.role, anyDevice ? 'viewer' : 'operator')) return;
      return deny(
        reply,
        anonymous ? noCredentials('a device token (Bearer fsd_...) or an operator') : forbidden("this needs the device's own token or the operator role"),
      );
    }
    if (found.kind === 'device') return deny(reply, forbidden(`a device token only sends that device's readings; this needs the ${role} role`));
    if (found.role !== null && roleAtLeast(found.role, role)) return;
    return deny(reply, anonymous ? noCredentials(`the ${role} role`) : forbidden(`this needs the ${role} role; you have ${found.role ?? 'none'}`));
  });

  function deny(reply: FastifyReply, d: Denial) {
    metrics.authDenied.inc({ transport: 'http', reason: d.reason });
    if (d.status === 401) reply.header('www-authenticate', `Bearer realm="fieldscope"${d.rule === 'token_expired' ? ', error="invalid_token"' : ''}`);
    return reply.code(d.status).send({ error: d.error, rule: d.rule });
  }

  function tooMany(reply: FastifyReply, scope: string, retryAfterSec: number) {
    metrics.rateLimited.inc({ scope, transport: 'http' });
    return reply
      .code(429)
      .header('retry-after', String(retryAfterSec))
      .send({ error: `too many requests (per ${scope}); try again in ${retryAfterSec} s`, rule: 'rate_limit' });
  }

  return roles;
}

const noCredentials = (what: string): Denial => ({
  status: 401,
  reason: 'no_credentials',
  error: `sign in first: this needs ${what} (Authorization: Bearer <token>)`,
  rule: 'unauthorized',
});
const bad = (error: string, reason = 'bad_credentials', rule = 'unauthorized'): Denial => ({ status: 401, reason, error, rule });
const forbidden = (error: string): Denial => ({ status: 403, reason: 'forbidden', error, rule: 'forbidden' });

/** The bearer token from the header, or, for the live WebSocket (browsers cannot set its headers), from ?access_token=. */
function bearerOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1] : '';
  }
  if (req.headers.upgrade?.toLowerCase() === 'websocket') {
    const t = (req.query as { access_token?: unknown } | undefined)?.access_token;
    if (typeof t === 'string') return t;
  }
  return null;
}

async function identify(req: FastifyRequest, auth: AuthServices): Promise<Principal | Denial> {
  const token = bearerOf(req);
  if (token === null) return { kind: 'anonymous', role: auth.policy.anonymousRole };
  if (token === '') return bad('the Authorization header must be "Bearer <token>"');
  if (token.startsWith(API_KEY_PREFIX)) {
    const k = auth.apiKeys.verify(token);
    return k ? { kind: 'api_key', id: k.id, name: k.name, role: k.role } : bad('unknown or revoked API key');
  }
  if (token.startsWith(DEVICE_TOKEN_PREFIX)) {
    const device = auth.devices.deviceOf(token);
    return device ? { kind: 'device', device } : bad('unknown device token');
  }
  const v = auth.tokens.verifyAccess(token);
  if (!v.ok)
    return v.reason === 'expired'
      ? bad('the access token has expired; get a new one from POST /api/v1/auth/refresh', 'token_expired', 'token_expired')
      : bad('invalid access token');
  const user = auth.users.get(v.claims.sub);
  if (!user || user.disabled) return bad('this user no longer exists or is disabled');
  // Signed out, password changed or reset, or the refresh token used twice: the sign-in is over, and so is this token.
  if (!(await auth.sessions.live(v.claims.sid, user.id)))
    return bad('this session has ended (signed out, password changed or sign-in revoked); sign in again', 'session_revoked', 'session_revoked');
  // The user's role now, not the one in the token: a demotion takes effect at once.
  return { kind: 'user', id: user.id, username: user.username, role: user.role, session: v.claims.sid };
}
