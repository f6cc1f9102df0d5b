import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { SequenceTracker } from '../pipeline/sequence.js';
import type { SeqDeviceState } from '../model/sequence.js';
import type { ManyBucketPage } from '../model/telemetry.js';
import { completeness } from '../pipeline/sequence.js';
import { MANY_BUCKET_DEVICES, ManyBucketPageSchema, ManyBucketQuery } from '../model/schemas/telemetry.js';
import { Ref } from '../model/schemas/kit.js';
import { answerAs, errorResponses } from './schemas.js';
import { DomainError } from './errors.js';
import { csvList, timeRange } from './time.js';
import { checkTz } from './history.js';
import { readCaller, unguarded, type ReadGuard } from './read-guard.js';
import { readTooLarge } from '../stores/read-errors.js';
import { seriesIn, tsIn } from './ts-unit.js';

/** What the many-device bucket read uses. */
export interface TelemetryManyApi {
  devices: DeviceRegistry;
  /** Per-device sequence accounting (absent: completeness is not known). */
  sequence?: SequenceTracker;
  /** Cluster mode: a device's sequence state wherever it is kept (see CompletenessApi). */
  sequenceState?: (device: string) => Promise<SeqDeviceState | undefined>;
  readGuard?: ReadGuard;
  readMaxRows?: number;
  store: Pick<Store, 'telemetry'>;
}

const answer = Ref(ManyBucketPageSchema);

/**
 * GET /api/v1/telemetry/buckets: the last hour (or any range) of many devices in one request, for
 * a fleet table's rows on screen. Before it, each row scrolled into view asked for its buckets and
 * its completeness separately: two requests a row, about forty a second while scrolling. One read
 * on a read worker answers every device's buckets and sequence counters (store.queryBucketsMany);
 * only the open gaps, kept in memory, are added here.
 */
export async function telemetryManyRoutes(fastify: FastifyInstance, ctx: TelemetryManyApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const guard = ctx.readGuard ?? unguarded;
  app.get(
    '/api/v1/telemetry/buckets',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Downsampled buckets of many devices in one request (default: the last hour, 60 points), optionally with each one’s completeness',
        description:
          `devices: ids separated by commas, at most ${MANY_BUCKET_DEVICES}, no prefixes. Every device gets the same buckets (one source and ` +
          'bucket edges for all, as GET /devices/{id}/telemetry?points=N would choose for one). With completeness=true each known device also ' +
          'has {expected, received, missing, ratio} over the range, as GET /devices/{id}/completeness counts them. See docs/fleet-table.md.',
        querystring: ManyBucketQuery,
        response: { 200: answer, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const ids = csvList(q.devices);
      if (!ids) throw new DomainError(400, 'devices must name at least one device id', 'devices', 'required');
      const prefix = ids.find((d) => d.endsWith('*'));
      if (prefix) throw new DomainError(400, `devices takes ids only, not the prefix ${prefix}`, 'devices', 'no_prefix');
      const devices = [...new Set(ids)];
      if (devices.length > MANY_BUCKET_DEVICES)
        throw new DomainError(400, `devices names ${devices.length} devices; at most ${MANY_BUCKET_DEVICES} per request`, 'devices', 'max_items');
      const metrics = csvList(q.metric);
      if (!metrics) throw new DomainError(400, 'metric must name at least one metric', 'metric', 'required');
      const points = q.points ?? 60;
      const maxRows = ctx.readMaxRows;
      if (maxRows !== undefined && points * metrics.length * devices.length > maxRows) throw readTooLarge(maxRows, 'points');
      const tz = checkTz(q.tz);
      const { from, to } = timeRange(q, 3600_000);
      if (from > to) throw new DomainError(400, 'from must not be after to', 'from', 'order');
      const wantCompleteness = q.completeness === true;
      const r = await guard.run(
        readCaller(req),
        () => ctx.store.telemetry.queryBucketsMany({ devices, metrics, from, to, points, tz, sequence: wantCompleteness }),
        (a) => Object.values(a.devices).reduce((n, d) => n + Object.values(d.series).reduce((m, s) => m + s.ts.length, 0), 0),
      );
      const unit = q.tsUnit;
      const out: ManyBucketPage['devices'] = {};
      for (const id of devices) {
        const d = r.devices[id];
        const entry: ManyBucketPage['devices'][string] = { series: seriesIn(unit, d.series) };
        if (wantCompleteness && d.seq && ctx.devices.get(id)) {
          const state = ctx.sequenceState ? await ctx.sequenceState(id) : ctx.sequence?.state(id);
          const c = completeness(id, from, to, d.seq, state);
          entry.completeness = { expected: c.expected, received: c.received, missing: c.missing, ratio: c.ratio };
        }
        out[id] = entry;
      }
      return answerAs(reply, answer).send({ from: tsIn(unit, from), to: tsIn(unit, to), resolution: r.resolution, bucketMs: r.bucketMs, devices: out });
    },
  );
}
