import type { FastifyInstance } from 'fastify';
import type { Store } from '../stores/store.js';
import { TimeParam } from '../model/schemas/common.js';
import { queryTime } from './time.js';

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'number', description: 'epoch ms' },
    actor: { type: 'string', description: 'user name, key:NAME, device:ID or anonymous' },
    role: { type: ['string', 'null'] },
    ip: { type: 'string' },
    method: { type: 'string' },
    route: { type: 'string', description: 'route pattern, e.g. /api/v1/rules/:id' },
    path: { type: 'string' },
    target: { type: ['string', 'null'], description: 'the id or name in the path' },
    status: { type: 'integer', description: 'HTTP status of the answer (refused attempts are recorded too)' },
    before: { type: ['string', 'null'], description: 'JSON: the resource before the change, where one read finds it; secrets masked' },
    request: { type: ['string', 'null'], description: 'JSON: the request body; secrets masked' },
    after: { type: ['string', 'null'], description: 'JSON: the answer; secrets masked' },
  },
} as const;

/** GET /api/v1/audit: the audit log for admins, newest first, with filters and paging. */
export async function auditRoutes(app: FastifyInstance, ctx: { store: Pick<Store, 'audit'> }): Promise<void> {
  app.get<{ Querystring: { actor?: string; route?: string; method?: string; target?: string; from?: string; to?: string; before?: number; limit?: number } }>(
    '/api/v1/audit',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['auth'],
        summary: 'Audit log of changes made through the API (admins only), newest first',
        querystring: {
          type: 'object',
          properties: {
            actor: { type: 'string' },
            route: { type: 'string', description: 'route pattern prefix, e.g. /api/v1/rules' },
            method: { type: 'string', enum: ['POST', 'PUT', 'PATCH', 'DELETE'] },
            target: { type: 'string' },
            from: TimeParam,
            to: TimeParam,
            before: { type: 'integer', description: 'page: only entries with a smaller id' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { entries: { type: 'array', items: entrySchema } } } },
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
