import type { FastifyInstance } from 'fastify';
import type { AlarmServices } from './alarm-context.js';
import type { Metrics } from '../metrics.js';
import { DomainError } from './errors.js';

export async function notificationRoutes(app: FastifyInstance, ctx: { metrics: Metrics; alarmServices: Pick<AlarmServices, 'dispatcher'> }): Promise<void> {
  const { dispatcher } = ctx.alarmServices;

  app.get<{ Querystring: { channel?: string; limit?: number; before?: number } }>(
    '/api/v1/notifications',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Delivery log, newest first, and the configured channels with their policies',
        querystring: {
          type: 'object',
          properties: {
            channel: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            before: { type: 'integer', description: 'page: only records with a smaller id' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              channels: { type: 'array', items: { type: 'object', additionalProperties: true } },
              notifications: { type: 'array', items: { $ref: 'Notification#' } },
            },
          },
        },
      },
    },
    async (req) => ({
      channels: dispatcher.channels(),
      notifications: await dispatcher.list({ channel: req.query.channel, limit: req.query.limit ?? 100, before: req.query.before }),
    }),
  );

  app.post<{ Body: { channel: string } }>(
    '/api/v1/notifications/test',
    {
      schema: {
        tags: ['alarms'],
        summary: 'Send a test message to one channel now (retried as configured); answers with its delivery record',
        body: { type: 'object', properties: { channel: { type: 'string', minLength: 1 } }, required: ['channel'], additionalProperties: false },
        response: { 200: { $ref: 'Notification#' }, 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const rec = await dispatcher.test(req.body.channel);
      if (!rec) {
        ctx.metrics.rejected.inc({ source: 'api', field: 'channel', rule: 'enum' });
        throw new DomainError(
          400,
          `no channel "${req.body.channel}" (configured: ${dispatcher
            .channels()
            .map((c) => c.name)
            .join(', ')})`,
          'channel',
          'enum',
        );
      }
      return rec;
    },
  );
}
