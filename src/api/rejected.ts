import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { RejectedSchema } from '../model/schemas/common.js';
import { Ref } from '../model/schemas/kit.js';
import type { Store } from '../stores/store.js';
import type { RejectedView } from '../model/telemetry.js';

export async function rejectedRoutes(fastify: FastifyInstance, ctx: { store: Pick<Store, 'telemetry'> }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/rejected',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Dead letters: refused messages with their raw payload, source, time and reason, newest first',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          before: Type.Optional(Type.Integer({ description: 'page: only records with a smaller id' })),
          device: Type.Optional(Type.String()),
        }),
        response: { 200: Type.Object({ rejected: Type.Array(Ref(RejectedSchema)) }) },
      },
    },
    async (req) => ({
      // Stored dead letters have their id (only a record not yet written has none).
      rejected: (await ctx.store.telemetry.listRejected({
        limit: req.query.limit ?? 100,
        before: req.query.before,
        device: req.query.device,
      })) as RejectedView[],
    }),
  );
}
