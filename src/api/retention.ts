import type { FastifyInstance } from 'fastify';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { notFound } from './errors.js';
import type { RetentionRules } from '../stores/retention-rules.js';
import { describeRetention } from '../stores/retention-rules.js';
import { MAX_RETENTION_HOURS } from '../config.js';
import { DAY, HOUR } from '../stores/zoned-time.js';

type Ctx = { devices: DeviceRegistry; store: Pick<Store, 'retention' | 'telemetry'>; retention: RetentionRules };

const holdSchema = {
  type: 'object',
  properties: {
    device: { type: 'string' },
    from: { type: 'number', description: 'epoch ms' },
    to: { type: 'number', description: 'epoch ms' },
    reason: { type: 'string' },
    createdAt: { type: 'number' },
  },
} as const;

const deviceRetentionSchema = {
  type: 'object',
  properties: {
    device: { type: 'string' },
    profile: { type: ['string', 'null'] },
    rawRetentionHours: { type: 'number', description: 'raw readings of the device are kept this long' },
    source: { type: 'string', enum: ['device', 'device-config', 'profile', 'default'], description: 'where that comes from' },
    description: { type: 'string' },
    rawCutoff: { type: 'number', description: 'epoch ms: raw readings before this go at the next pass, outside holds' },
    minuteRollupDays: { type: 'number' },
    hourRollupDays: { type: 'number' },
    override: { type: ['number', 'null'], description: 'hours set for this device through the API (null: none)' },
    holds: { type: 'array', items: holdSchema, description: 'ranges never deleted (imported history)' },
  },
} as const;

/** Retention as it applies to each device, and the admin's per-device setting. */
export async function retentionRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const view = async (id: string, now = Date.now()) => {
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
        response: {
          200: {
            type: 'object',
            properties: {
              default: {
                type: 'object',
                properties: { rawRetentionHours: { type: 'number' }, minuteRollupDays: { type: 'number' }, hourRollupDays: { type: 'number' } },
              },
              devices: { type: 'array', items: deviceRetentionSchema },
            },
          },
        },
      },
    },
    async () => {
      const base = ctx.store.telemetry.retention;
      const devices = [];
      for (const d of ctx.devices.list()) devices.push(await view(d.id));
      return { default: { rawRetentionHours: base.rawMs / HOUR, minuteRollupDays: base.minuteMs / DAY, hourRollupDays: base.hourMs / DAY }, devices };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/devices/:id/retention',
    {
      schema: {
        tags: ['devices'],
        summary: 'The retention that applies to one device, and why',
        params: DeviceIdParams,
        response: { 200: deviceRetentionSchema, ...errorResponses },
      },
    },
    async (req) => {
      if (!ctx.devices.get(req.params.id)) throw notFound(`device ${req.params.id}`);
      return view(req.params.id);
    },
  );

  // Parsed JSON bodies in this scope only (the telemetry routes take theirs as text).
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
    scope.put<{ Params: { id: string }; Body: { rawRetentionHours: number | null } }>(
      '/api/v1/devices/:id/retention',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['devices'],
          summary: "Set how long this device's raw readings are kept (hours; null: back to its profile's or the default). Admin; audit-logged",
          params: DeviceIdParams,
          body: {
            type: 'object',
            properties: { rawRetentionHours: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: MAX_RETENTION_HOURS } },
            required: ['rawRetentionHours'],
            additionalProperties: false,
          },
          response: { 200: deviceRetentionSchema, ...errorResponses },
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
