import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { SequenceTracker } from '../pipeline/sequence.js';
import type { SeqDeviceState } from '../model/sequence.js';
import { completeness } from '../pipeline/sequence.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams, TimeParam } from '../model/schemas/common.js';
import { notFound } from './errors.js';
import { CompletenessSchema } from '../model/schemas/fleet.js';
import { timeRange } from './time.js';

export interface CompletenessApi {
  devices: DeviceRegistry;
  /** Per-device sequence accounting (absent: completeness is not known). */
  sequence?: SequenceTracker;
  /**
   * Cluster mode: a device's sequence state wherever it is kept (this node's tracker for devices it
   * consumes, the store for the others); absent: the tracker above.
   */
  sequenceState?: (device: string) => Promise<SeqDeviceState | undefined>;
  store: Pick<Store, 'catalog'>;
}

export async function completenessRoutes(fastify: FastifyInstance, ctx: CompletenessApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/devices/:id/completeness',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Data completeness by seq: expected vs received, duplicates, late arrivals, restarts and the missing ranges (default: the last 24 h, device time)',
        params: DeviceIdParams,
        querystring: Type.Object({ from: Type.Optional(TimeParam), to: Type.Optional(TimeParam) }),
        response: { 200: CompletenessSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { from, to } = timeRange(req.query, 24 * 3600_000);
      if (!ctx.devices.get(req.params.id)) throw notFound(`device ${req.params.id}`);
      const stats = await ctx.store.catalog.sequenceStats(req.params.id, from, to);
      const state = ctx.sequenceState ? await ctx.sequenceState(req.params.id) : ctx.sequence?.state(req.params.id);
      return completeness(req.params.id, from, to, stats, state);
    },
  );
}
