import type { FastifyInstance } from 'fastify';
import type { Store } from '../stores/store.js';

export async function rejectedRoutes(app: FastifyInstance, ctx: { store: Pick<Store, 'telemetry'> }): Promise<void> {
  app.get<{ Querystring: { limit?: number; before?: number; device?: string } }>(
    '/api/v1/rejected',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Dead letters: refused messages with their raw payload, source, time and reason, newest first',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            before: { type: 'integer', description: 'page: only records with a smaller id' },
            device: { type: 'string' },
          },
        },
        response: { 200: { type: 'object', properties: { rejected: { type: 'array', items: { $ref: 'Rejected#' } } } } },
      },
    },
    async (req) => ({
      rejected: await ctx.store.telemetry.listRejected({ limit: req.query.limit ?? 100, before: req.query.before, device: req.query.device }),
    }),
  );
}
