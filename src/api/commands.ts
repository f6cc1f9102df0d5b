import type { FastifyInstance } from 'fastify';
import type { DeviceRegistry } from '../devices/registry.js';
import type { DeviceServices } from '../devices/services.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { DomainError, notFound } from './errors.js';

export async function commandRoutes(app: FastifyInstance, ctx: { devices: DeviceRegistry; deviceServices: DeviceServices }): Promise<void> {
  const { commands } = ctx.deviceServices;

  app.post<{ Params: { id: string }; Body: { name: string; params?: Record<string, unknown> } }>(
    '/api/v1/devices/:id/commands',
    {
      schema: {
        tags: ['devices'],
        summary: 'Send a command (set_interval, set_threshold, reboot, or one the device profile declares)',
        description:
          "Delivered over the device's serial link if it has one, else MQTT (devices/{id}/commands). Tracked pending -> delivered -> acked | failed | timed_out; unanswered commands are sent again (same id) a bounded number of times.",
        params: DeviceIdParams,
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.\\-]{0,63}$' },
            params: { type: 'object', additionalProperties: true },
          },
          required: ['name'],
          additionalProperties: false,
          examples: [
            { name: 'set_interval', params: { ms: 500 } },
            { name: 'set_threshold', params: { metric: 'v', low: 4.5, high: 5.5 } },
            { name: 'reboot' },
          ],
        },
        response: { 202: { $ref: 'DeviceCommand#' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (req.body.name === 'ota') throw new DomainError(400, 'ota is sent by a firmware rollout (POST /api/v1/firmware/{id}/rollouts)', 'name', 'reserved');
      if (!ctx.devices.get(req.params.id) && !ctx.deviceServices.directory.getMeta(req.params.id)) throw notFound(`device ${req.params.id}`);
      return reply.code(202).send(await commands.create(req.params.id, req.body.name, req.body.params ?? {}));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/api/v1/devices/:id/commands',
    {
      schema: {
        tags: ['devices'],
        summary: 'Commands sent to a device, newest first',
        params: DeviceIdParams,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
        response: { 200: { type: 'object', properties: { commands: { type: 'array', items: { $ref: 'DeviceCommand#' } } } }, ...errorResponses },
      },
    },
    async (req) => ({ commands: await commands.list(req.params.id, req.query.limit ?? 100) }),
  );
}
