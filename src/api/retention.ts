import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { DeviceRetentionSchema, RetentionOverviewSchema } from '../model/schemas/retention.js';
import { Nullable, Ref } from '../model/schemas/kit.js';
import type { DeviceRetention } from '../model/retention.js';
import { notFound } from './errors.js';
import type { RetentionRules } from '../stores/retention-rules.js';
import { describeRetention } from '../stores/retention-rules.js';
import { MAX_RETENTION_HOURS } from '../model/retention.js';
import { DAY, HOUR } from '../stores/zoned-time.js';

type Ctx = { devices: DeviceRegistry; store: Pick<Store, 'retention' | 'telemetry'>; retention: RetentionRules };

const deviceRetention = Ref(DeviceRetentionSchema);

/** Retention as it applies to each device, and the admin's per-device setting. */
export async function retentionRoutes(fastify: FastifyInstance, ctx: Ctx): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const view = async (id: string, now = Date.now()): Promise<DeviceRetention> => {
    const profile = ctx.devices.get(id)?.profile ?? null;
    const r = await ctx.retention.forDevice(id, profile);
    const override = (await ctx.store.retention.deviceOverrides())[id];
    return {
      device: id,
      profile,
      rawRetentionHours: r.rawMs / HOUR,
      source: r.rawSource,
      description: describeRetention(r, profile),
      rawCutoff: now - r.rawMs,
      minuteRollupDays: r.minuteMs / DAY,
      hourRollupDays: r.hourMs / DAY,
      override: override === undefined ? null : override / HOUR,
      holds: await ctx.store.retention.listHolds(id),
    };
  };

  app.get(
    '/api/v1/retention',
    {
      schema: {
        tags: ['devices'],
        summary: 'Retention as it applies to every device: hours of raw data kept, where that comes from, and held (imported) ranges',
        response: { 200: RetentionOverviewSchema },
      },
    },
    async () => {
      const base = ctx.store.telemetry.retention;
      const devices = [];
      for (const d of ctx.devices.list()) devices.push(await view(d.id));
      return {
        default: { rawRetentionHours: base.rawMs / HOUR, minuteRollupDays: base.minuteMs / DAY, hourRollupDays: base.hourMs / DAY },
        devices,
        limits: { maxRawRetentionHours: MAX_RETENTION_HOURS },
      };
    },
  );

  app.get(
    '/api/v1/devices/:id/retention',
    {
      schema: {
        tags: ['devices'],
        summary: 'The retention that applies to one device, and why',
        params: DeviceIdParams,
        response: { 200: deviceRetention, ...errorResponses },
      },
    },
    async (req) => {
      if (!ctx.devices.get(req.params.id)) throw notFound(`device ${req.params.id}`);
      return view(req.params.id);
    },
  );

  // Parsed JSON bodies in this scope only (the telemetry routes take theirs as text).
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
    scope.put(
      '/api/v1/devices/:id/retention',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['devices'],
          summary: "Set how long this device's raw readings are kept (hours; null: back to its profile's or the default). Admin; audit-logged",
          params: DeviceIdParams,
          body: Type.Object(
            { rawRetentionHours: Nullable(Type.Number({ exclusiveMinimum: 0, maximum: MAX_RETENTION_HOURS })) },
            { additionalProperties: false },
          ),
          response: { 200: deviceRetention, ...errorResponses },
        },
      },
      async (req) => {
        const { id } = req.params;
        if (!ctx.devices.get(id)) throw notFound(`device ${id}`);
        const h = req.body.rawRetentionHours;
        await ctx.store.retention.setDeviceRawRetention(id, h === null ? null : Math.round(h * HOUR));
        return view(id);
      },
    );
  });
}
