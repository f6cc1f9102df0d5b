import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorRef, noContent } from './schemas.js';
import type { Logger } from '../logger.js';
import type { AuthServices } from '../auth/setup.js';
import { publicUser } from '../auth/users.js';
import { publicKey } from '../auth/api-keys.js';
import { describePrincipal } from '../auth/principal.js';
import { notFound } from './errors.js';
import { ApiKeySchema, IdParams, NewPasswordSchema, RoleSchema, UserSchema, UsernameSchema } from '../model/schemas/auth.js';

const err = errorRef;

/** User management and API keys: admins only. */
export async function userRoutes(fastify: FastifyInstance, ctx: { logger: Logger; auth: AuthServices }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth } = ctx;
  const admin = { role: 'admin' } as const;

  app.get(
    '/api/v1/users',
    {
      config: admin,
      schema: { tags: ['auth'], summary: 'Users', response: { 200: Type.Object({ users: Type.Array(UserSchema) }) } },
    },
    async () => ({
      users: auth.users.list().map(publicUser),
    }),
  );

  app.post(
    '/api/v1/users',
    {
      config: admin,
      schema: {
        tags: ['auth'],
        summary: 'Add a user',
        body: Type.Object({ username: UsernameSchema, password: NewPasswordSchema, role: RoleSchema }, { additionalProperties: false }),
        response: { 201: UserSchema, 400: err, 409: err },
      },
    },
    async (req, reply) => {
      const u = await auth.users.create(req.body);
      ctx.logger.info({ username: u.username, role: u.role, by: describePrincipal(req.principal) }, 'user created');
      return reply.code(201).send(publicUser(u));
    },
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: admin,
      schema: {
        tags: ['auth'],
        summary: "Change a user's role, password or disabled flag (a new password, a disable or a role change signs them out)",
        params: IdParams,
        body: Type.Object(
          { role: Type.Optional(RoleSchema), password: Type.Optional(NewPasswordSchema), disabled: Type.Optional(Type.Boolean()) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: UserSchema, 400: err, 404: err, 409: err },
      },
    },
    async (req) => {
      const u = await auth.users.update(req.params.id, req.body);
      if (!u) throw notFound(`user ${req.params.id}`);
      ctx.logger.info({ username: u.username, role: u.role, disabled: u.disabled, by: describePrincipal(req.principal) }, 'user changed');
      return publicUser(u);
    },
  );

  app.delete(
    '/api/v1/users/:id',
    { config: admin, schema: { tags: ['auth'], summary: 'Delete a user', params: IdParams, response: { 204: noContent, 404: err, 409: err } } },
    async (req, reply) => {
      const gone = await auth.users.remove(req.params.id);
      if (!gone) throw notFound(`user ${req.params.id}`);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/api-keys',
    {
      config: admin,
      schema: {
        tags: ['auth'],
        summary: 'API keys (never the keys themselves)',
        response: { 200: Type.Object({ apiKeys: Type.Array(ApiKeySchema) }) },
      },
    },
    async () => ({
      apiKeys: auth.apiKeys.list().map(publicKey),
    }),
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: admin,
      schema: {
        tags: ['auth'],
        summary: 'Make an API key for a machine, scoped to a role. The key is in this answer only: it is stored as a hash.',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), role: RoleSchema }, { additionalProperties: false }),
        response: {
          201: Type.Object({ key: Type.String({ description: 'send as "Authorization: Bearer <key>"; shown once' }), apiKey: ApiKeySchema }),
          400: err,
        },
      },
    },
    async (req, reply) => {
      const by = describePrincipal(req.principal);
      const { key, record } = await auth.apiKeys.create({ name: req.body.name, role: req.body.role, createdBy: by });
      ctx.logger.info({ id: record.id, name: record.name, role: record.role, by }, 'API key created');
      return reply.code(201).send({ key, apiKey: publicKey(record) });
    },
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: admin,
      schema: { tags: ['auth'], summary: 'Revoke an API key (it stops working at once)', params: IdParams, response: { 200: ApiKeySchema, 404: err } },
    },
    async (req) => {
      const k = await auth.apiKeys.revoke(req.params.id);
      if (!k) throw notFound(`API key ${req.params.id}`);
      ctx.logger.info({ id: k.id, by: describePrincipal(req.principal) }, 'API key revoked');
      return publicKey(k);
    },
  );
}
