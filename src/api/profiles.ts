import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { notFound } from './errors.js';

export async function profileRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get(
    '/api/v1/profiles',
    { schema: { tags: ['profiles'], summary: 'Device profiles: metrics with units and valid ranges', response: { 200: { type: 'object', properties: { profiles: { type: 'array', items: { $ref: 'Profile#' } } } } } } },
    async () => ({ profiles: ctx.profiles.list() }),
  );
  app.get<{ Params: { name: string } }>(
    '/api/v1/profiles/:name',
    { schema: { tags: ['profiles'], summary: 'One profile', params: { type: 'object', properties: { name: { type: 'string' } } }, response: { 200: { $ref: 'Profile#' }, 404: { $ref: 'Error#' } } } },
    async (req) => {
      const p = ctx.profiles.get(req.params.name);
      if (!p) throw notFound(`profile ${req.params.name}`);
      return p;
    },
  );
}
