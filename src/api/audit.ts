import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import { TimeParam } from '../model/schemas/common.js';
import { AUDITED_METHODS, AuditEntrySchema } from '../model/schemas/auth.js';
import { Ref, StringEnum } from '../model/schemas/kit.js';
import { errorRef } from './schemas.js';
import { queryTime } from './time.js';

/** GET /api/v1/audit: the audit log for admins, newest first, with filters and paging. */
export async function auditRoutes(fastify: FastifyInstance, ctx: { store: Pick<Store, 'audit'> }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/audit',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['auth'],
        summary: 'Audit log of changes made through the API (admins only), newest first',
        querystring: Type.Object(
          {
            actor: Type.Optional(Type.String()),
            route: Type.Optional(Type.String({ description: 'route pattern prefix, e.g. /api/v1/rules' })),
            method: Type.Optional(StringEnum(AUDITED_METHODS)),
            target: Type.Optional(Type.String()),
            from: Type.Optional(TimeParam),
            to: Type.Optional(TimeParam),
            before: Type.Optional(Type.Integer({ description: 'page: only entries with a smaller id' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ entries: Type.Array(Ref(AuditEntrySchema)) }), 400: errorRef },
      },
    },
    async (req) => {
      const q = req.query;
      return {
        entries: await ctx.store.audit.listAudit({
          actor: q.actor,
          route: q.route,
          method: q.method,
          target: q.target,
          from: q.from === undefined ? undefined : queryTime(q.from, 'from', 0),
          to: q.to === undefined ? undefined : queryTime(q.to, 'to', 0),
          before: q.before,
          limit: q.limit ?? 100,
        }),
      };
    },
  );
}
