import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DeviceRegistry } from '../devices/registry.js';
import type { DeviceServices } from '../devices/services.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { DomainError, notFound } from './errors.js';
import { CommandInputSchema, DeviceCommandSchema } from '../model/schemas/fleet.js';
import { Ref } from '../model/schemas/kit.js';

export async function commandRoutes(fastify: FastifyInstance, ctx: { devices: DeviceRegistry; deviceServices: DeviceServices }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { commands } = ctx.deviceServices;

  app.post(
    '/api/v1/devices/:id/commands',
    {
      schema: {
        tags: ['devices'],
        summary: 'Send a command (set_interval, set_threshold, reboot, or one the device profile declares)',
        description:
          "Delivered over the device's serial link if it has one, else MQTT (devices/{id}/commands). Tracked pending -> delivered -> acked | failed | timed_out; unanswered commands are sent again (same id) a bounded number of times.",
        params: DeviceIdParams,
        body: CommandInputSchema,
        response: { 202: Ref(DeviceCommandSchema), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (req.body.name === 'ota') throw new DomainError(400, 'ota is sent by a firmware rollout (POST /api/v1/firmware/{id}/rollouts)', 'name', 'reserved');
      if (!ctx.devices.get(req.params.id) && !ctx.deviceServices.directory.getMeta(req.params.id)) throw notFound(`device ${req.params.id}`);
      return reply.code(202).send(await commands.create(req.params.id, req.body.name, req.body.params ?? {}));
    },
  );

  app.get(
    '/api/v1/devices/:id/commands',
    {
      schema: {
        tags: ['devices'],
        summary: 'Commands sent to a device, newest first',
        params: DeviceIdParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
        response: { 200: Type.Object({ commands: Type.Array(Ref(DeviceCommandSchema)) }), ...errorResponses },
      },
    },
    async (req) => ({ commands: await commands.list(req.params.id, req.query.limit ?? 100) }),
  );
}
