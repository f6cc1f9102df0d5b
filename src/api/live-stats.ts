import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LiveStatsSchema } from '../model/schemas/alarms.js';
import { Ref } from '../model/schemas/kit.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { AlarmServices } from './alarm-context.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { notFound } from './errors.js';

export async function liveStatsRoutes(
  fastify: FastifyInstance,
  ctx: { devices: DeviceRegistry; alarmServices: Pick<AlarmServices, 'analytics'> },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/devices/:id/stats/live',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'Live analytics of a device since the server started: per metric current, 1-minute min/max/avg, moving averages over 1/5/15 min, rate of change, z-score; the L2 norm of its profile vector; sequence gaps in the last minute. Windows end at the newest reading.',
        params: DeviceIdParams,
        response: { 200: Ref(LiveStatsSchema), ...errorResponses },
      },
    },
    async (req) => {
      const s = ctx.alarmServices.analytics.get(req.params.id);
      if (!s) {
        if (!ctx.devices.get(req.params.id)) throw notFound(`device ${req.params.id}`);
        return { device: req.params.id, ts: null, seq: null, metrics: {}, l2: null, seqGaps1m: 0 };
      }
      return s;
    },
  );
}
