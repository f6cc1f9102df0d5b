import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorRef, noContent } from './schemas.js';
import type { Logger } from '../logger.js';
import type { AuthServices } from '../auth/setup.js';
import type { UserRecord } from '../model/auth.js';
import { publicUser } from '../auth/users.js';
import { describePrincipal } from '../auth/principal.js';
import { DomainError } from './errors.js';
import { IdentitySchema, NewPasswordSchema, PasswordSchema, SessionSchema, UsernameSchema } from '../model/schemas/auth.js';

const err = errorRef;

/** Sign in, refresh, sign out, who am I, change my password. */
export async function authRoutes(fastify: FastifyInstance, ctx: { logger: Logger; auth: AuthServices }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth } = ctx;

  async function session(user: UserRecord, refresh?: { token: string; expiresAt: number; family: string }) {
    const r = refresh ?? (await auth.tokens.issueRefresh(user.id));
    // The access token names its sign-in (the refresh family): it dies with it, not 15 minutes later.
    const access = auth.tokens.issueAccess(user.id, user.role, r.family);
    return {
      tokenType: 'Bearer' as const,
      accessToken: access.token,
      expiresAt: access.expiresAt,
      refreshToken: r.token,
      refreshExpiresAt: r.expiresAt,
      user: publicUser(user),
    };
  }

  const refused = (reply: FastifyReply, status: number, error: string, rule: string, retryAfterSec?: number) => {
    if (retryAfterSec !== undefined) reply.header('retry-after', String(retryAfterSec));
    return reply.code(status).send({ error, rule });
  };

  app.post(
    '/api/v1/auth/login',
    {
      config: { role: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with user name and password: an access token (short-lived JWT) and a refresh token',
        description:
          'Failures are counted per IP and per user name: after a few, each attempt must wait longer (429 login_slowed), then the IP or name is locked for a while (429 login_locked), both with Retry-After.',
        body: Type.Object({ username: UsernameSchema, password: PasswordSchema }, { additionalProperties: false }),
        response: { 200: SessionSchema, 400: err, 401: err, 429: err },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const keys = [`ip:${req.ip}`, `user:${username}`];
      // Counted before the password is checked, so parallel guesses cannot all slip past the count.
      const gate = await auth.logins.reserve(keys);
      if (!gate.ok) {
        auth.metrics.logins.inc({ result: gate.rule === 'login_locked' ? 'locked' : 'slowed' });
        const why = gate.rule === 'login_locked' ? 'too many failed sign-ins: locked' : 'too many failed sign-ins: slow down';
        return refused(reply, 429, `${why}; try again in ${gate.retryAfterSec} s`, gate.rule, gate.retryAfterSec);
      }
      const user = await auth.users.authenticate(username, password);
      if (!user) {
        auth.metrics.logins.inc({ result: 'bad_credentials' });
        ctx.logger.warn({ username, ip: req.ip, locked: gate.locked }, 'failed sign-in');
        return refused(reply, 401, 'wrong user name or password', 'bad_credentials');
      }
      await auth.logins.succeeded(gate.ticket, `user:${username}`);
      auth.metrics.logins.inc({ result: 'ok' });
      ctx.logger.info({ username, ip: req.ip }, 'signed in');
      return session(user);
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { role: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Trade a refresh token for a new access token and refresh token (the old refresh token stops working)',
        description: 'A refresh token used twice revokes every token of its sign-in: whoever copied it is signed out, and so is the owner.',
        body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
        response: { 200: SessionSchema, 400: err, 401: err },
      },
    },
    async (req, reply) => {
      const r = await auth.tokens.rotateRefresh(req.body.refreshToken);
      if ('error' in r) {
        auth.metrics.authDenied.inc({ transport: 'http', reason: `refresh_${r.error}` });
        if (r.error === 'reused') ctx.logger.warn({ ip: req.ip }, 'a refresh token was used twice; its sign-in is revoked');
        return refused(
          reply,
          401,
          r.error === 'expired' ? 'the refresh token has expired; sign in again' : 'invalid refresh token; sign in again',
          `refresh_${r.error}`,
        );
      }
      const user = auth.users.get(r.userId);
      if (!user || user.disabled) return refused(reply, 401, 'this user no longer exists or is disabled', 'unauthorized');
      return session(user, r);
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { role: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign out: revokes the refresh token and every token rotated from the same sign-in',
        body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
        response: { 204: noContent, 400: err },
      },
    },
    async (req, reply) => {
      await auth.tokens.revokeRefresh(req.body.refreshToken);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['auth'],
        summary: 'Who the caller is and their role',
        response: {
          200: IdentitySchema,
          401: err,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      const user = p.kind === 'user' ? auth.users.get(p.id) : undefined;
      // The guard let only callers with a role through (an anonymous caller has one when anonymous access is on).
      const role = p.kind === 'device' ? 'viewer' : (p.role ?? 'viewer');
      return { kind: p.kind, name: describePrincipal(p), role, user: user ? publicUser(user) : null };
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (ends every session of yours, this one included: sign in again with the new password)',
        body: Type.Object({ currentPassword: PasswordSchema, newPassword: NewPasswordSchema }, { additionalProperties: false }),
        response: { 204: noContent, 400: err, 401: err, 403: err },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      if (p.kind !== 'user') throw new DomainError(403, 'only a signed-in user has a password to change', undefined, 'forbidden');
      const user = await auth.users.authenticate(p.username, req.body.currentPassword);
      if (!user) throw new DomainError(400, 'the current password is wrong', 'currentPassword', 'bad_credentials');
      await auth.users.update(user.id, { password: req.body.newPassword });
      ctx.logger.info({ username: user.username }, 'password changed');
      return reply.code(204).send();
    },
  );
}
