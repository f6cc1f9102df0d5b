import type { FastifyInstance } from 'fastify';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { SequenceTracker } from '../pipeline/sequence.js';
import type { SeqDeviceState } from '../model/sequence.js';
import { completeness } from '../pipeline/sequence.js';
import { deviceIdParams, errorResponses, timeParam } from './schemas.js';
import { notFound } from './errors.js';
import { timeRange } from './time.js';

const completenessSchema = {
  type: 'object',
  properties: {
    device: { type: 'string' },
    from: { type: 'number' },
    to: { type: 'number' },
    expected: { type: 'integer', description: 'messages the device sent in the window, by its seq: received + missing' },
    received: { type: 'integer' },
    missing: { type: 'integer', description: 'seqs in open gaps that touch the window' },
    duplicates: { type: 'integer', description: 'copies dropped before storage' },
    outOfOrder: { type: 'integer', description: 'late messages that filled a gap' },
    restarts: { type: 'integer', description: 'seq went back to the start' },
    ratio: { type: 'number', description: 'received / expected (1 when nothing was expected)' },
    missingRanges: {
      type: 'array',
      items: {
        type: 'object',
        properties: { fromSeq: { type: 'integer' }, toSeq: { type: 'integer' }, fromTs: { type: 'number' }, toTs: { type: 'number' } },
      },
    },
  },
} as const;

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

export async function completenessRoutes(app: FastifyInstance, ctx: CompletenessApi): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    '/api/v1/devices/:id/completeness',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Data completeness by seq: expected vs received, duplicates, late arrivals, restarts and the missing ranges (default: the last 24 h, device time)',
        params: deviceIdParams,
        querystring: { type: 'object', properties: { from: timeParam, to: timeParam } },
        response: { 200: completenessSchema, ...errorResponses },
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
