import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import { deviceIdParams, errorResponses } from './schemas.js';
import { notFound } from './errors.js';

export async function deviceRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get(
    '/api/v1/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Every known device with online state and latest values',
        response: { 200: { type: 'object', properties: { devices: { type: 'array', items: { $ref: 'Device#' } } } } },
      },
    },
    async () => ({ devices: ctx.devices.list() }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/devices/:id',
    { schema: { tags: ['devices'], summary: 'One device', params: deviceIdParams, response: { 200: { $ref: 'Device#' }, ...errorResponses } } },
    async (req) => {
      const d = ctx.devices.get(req.params.id);
      if (!d) throw notFound(`device ${req.params.id}`);
      return d;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/devices/:id/latest',
    {
      schema: {
        tags: ['devices'],
        summary: 'Latest value of each metric of a device',
        params: deviceIdParams,
        response: {
          200: { type: 'object', properties: { device: { type: 'string' }, latest: { type: 'object', additionalProperties: { $ref: 'LatestValue#' } } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const d = ctx.devices.get(req.params.id);
      if (!d) throw notFound(`device ${req.params.id}`);
      return { device: d.id, latest: d.latest };
    },
  );
}
