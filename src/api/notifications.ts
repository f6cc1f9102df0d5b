import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AlarmServices } from './alarm-context.js';
import { ChannelSchema, NotificationSchema } from '../model/schemas/alarms.js';
import { Ref } from '../model/schemas/kit.js';
import { errorRef } from './schemas.js';
import { DomainError } from './errors.js';

export async function notificationRoutes(fastify: FastifyInstance, ctx: { alarmServices: Pick<AlarmServices, 'dispatcher'> }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { dispatcher } = ctx.alarmServices;

  app.get(
    '/api/v1/notifications',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Delivery log, newest first, and the configured channels with their policies',
        querystring: Type.Object({
          channel: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          before: Type.Optional(Type.Integer({ description: 'page: only records with a smaller id' })),
        }),
        response: {
          200: Type.Object({ channels: Type.Array(ChannelSchema), notifications: Type.Array(Ref(NotificationSchema)) }),
        },
      },
    },
    async (req) => ({
      channels: dispatcher.channels(),
      notifications: await dispatcher.list({ channel: req.query.channel, limit: req.query.limit ?? 100, before: req.query.before }),
    }),
  );

  app.post(
    '/api/v1/notifications/test',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Send a test message to one channel now (retried as configured); answers with its delivery record',
        body: Type.Object({ channel: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        response: { 200: Ref(NotificationSchema), 400: errorRef },
      },
    },
    async (req) => {
      const rec = await dispatcher.test(req.body.channel);
      if (!rec) {
        const configured = dispatcher
          .channels()
          .map((c) => c.name)
          .join(', ');
        // Counted as refused input by the server, with every other DomainError.
        throw new DomainError(400, `no channel "${req.body.channel}" (configured: ${configured})`, 'channel', 'enum');
      }
      return rec;
    },
  );
}
