import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { DeviceServices } from '../devices/services.js';
import { errorResponses, noContent } from './schemas.js';
import { DeviceIdParams, DeviceSchema, LatestValueSchema } from '../model/schemas/common.js';
import { Dict, ID_PATTERN, NAME_PATTERN, Nullable, Ref } from '../model/schemas/kit.js';
import { DomainError, notFound } from './errors.js';
import type { DeviceInfo } from '../model/device.js';
import { tsIn } from './ts-unit.js';
import { TsUnitParam } from '../model/schemas/telemetry.js';

/** What the device routes use: the registry, profiles, device metadata and the device list in the store. */
export interface DevicesApi {
  devices: DeviceRegistry;
  deviceServices?: DeviceServices;
  profiles: ProfileRegistry;
  store: Pick<Store, 'telemetry'>;
}

function metaMerger(ctx: DevicesApi): (d: DeviceInfo) => DeviceInfo {
  return (d) => {
    const m = ctx.deviceServices?.directory.getMeta(d.id);
    return m ? { ...d, name: m.name, location: m.location, tags: m.tags, equipment: m.equipment, notes: m.notes } : d;
  };
}

export async function deviceRoutes(fastify: FastifyInstance, ctx: DevicesApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const withMeta = metaMerger(ctx);
  app.get(
    '/api/v1/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Every known device with online state and latest values',
        response: { 200: Type.Object({ devices: Type.Array(Ref(DeviceSchema)) }) },
      },
    },
    async () => ({ devices: ctx.devices.list().map(withMeta) }),
  );

  app.get(
    '/api/v1/devices/:id',
    { schema: { tags: ['devices'], summary: 'One device', params: DeviceIdParams, response: { 200: Ref(DeviceSchema), ...errorResponses } } },
    async (req) => {
      const d = ctx.devices.get(req.params.id);
      if (!d) throw notFound(`device ${req.params.id}`);
      return withMeta(d);
    },
  );

  app.get(
    '/api/v1/devices/:id/latest',
    {
      schema: {
        tags: ['devices'],
        summary: 'Latest value of each metric of a device',
        params: DeviceIdParams,
        querystring: Type.Object({ tsUnit: Type.Optional(TsUnitParam) }),
        response: {
          200: Type.Object({ device: Type.String(), latest: Dict(Ref(LatestValueSchema)) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const d = ctx.devices.get(req.params.id);
      if (!d) throw notFound(`device ${req.params.id}`);
      const unit = req.query.tsUnit;
      return {
        device: d.id,
        latest: unit === 'us' ? Object.fromEntries(Object.entries(d.latest).map(([m, l]) => [m, { ...l, ts: tsIn(unit, l.ts) }])) : d.latest,
      };
    },
  );
}

/** What people record about a device (PUT replaces, PATCH changes some). */
const MetaBody = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    profile: Type.Optional(Nullable(Type.String({ pattern: NAME_PATTERN }))),
    location: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
    equipment: Type.Optional(Nullable(Type.String({ pattern: ID_PATTERN }))),
    notes: Type.Optional(Nullable(Type.String({ maxLength: 4000 }))),
  },
  { additionalProperties: false },
);

/** PUT / PATCH / DELETE of what people record about a device (name, profile, location, tags, equipment, notes). */
export async function deviceMetaRoutes(fastify: FastifyInstance, ctx: DevicesApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { directory } = ctx.deviceServices!;
  const withMeta = metaMerger(ctx);
  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/api/v1/devices/:id',
      {
        schema: {
          tags: ['devices'],
          summary: method === 'put' ? "Replace a device's metadata (fields left out are cleared)" : "Change some of a device's metadata",
          params: DeviceIdParams,
          body: MetaBody,
          response: { 200: Ref(DeviceSchema), ...errorResponses },
        },
      },
      async (req) => {
        const id = req.params.id;
        if (!ctx.devices.get(id)) throw notFound(`device ${id}`);
        const { profile, ...meta } = req.body;
        if (profile !== undefined && profile !== null && !ctx.profiles.get(profile))
          throw new DomainError(400, `no profile named ${profile}`, 'profile', 'exists');
        if (meta.equipment && !directory.getEquipment(meta.equipment))
          throw new DomainError(400, `no equipment ${meta.equipment} (create it under /api/v1/equipment)`, 'equipment', 'exists');
        if (profile !== undefined || method === 'put') {
          const next = profile ?? null;
          if (next !== ctx.devices.get(id)!.profile) {
            await ctx.store.telemetry.setDeviceProfile(id, next);
            ctx.devices.setProfile(id, next);
          }
        }
        await directory.saveMeta(id, meta, method === 'put' ? 'replace' : 'patch');
        return withMeta(ctx.devices.get(id)!);
      },
    );
  }

  app.delete(
    '/api/v1/devices/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Forget a device: its metadata and its place in the list; its readings stay as history, and it reappears if it sends again',
        params: DeviceIdParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      if (!ctx.devices.get(id) && !directory.getMeta(id)) throw notFound(`device ${id}`);
      await directory.deleteDevice(id);
      ctx.devices.remove(id);
      return reply.code(204).send();
    },
  );
}
