import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams, DeviceSchema, ProfileSchema } from '../model/schemas/common.js';
import { NAME_PATTERN, Nullable, Ref } from '../model/schemas/kit.js';
import { DomainError, notFound } from './errors.js';
import { roleAtLeast } from '../auth/roles.js';
import type { Role } from '../model/auth.js';

const nameParams = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) });
const profileRef = Ref(ProfileSchema);

export interface ProfilesApi {
  devices: DeviceRegistry;
  profiles: ProfileRegistry;
  store: Pick<Store, 'catalog' | 'telemetry'>;
}

export async function profileRoutes(fastify: FastifyInstance, ctx: ProfilesApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/profiles',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Device profiles: metrics with units and valid ranges',
        response: { 200: Type.Object({ profiles: Type.Array(profileRef) }) },
      },
    },
    async () => ({ profiles: ctx.profiles.list() }),
  );
  app.get(
    '/api/v1/profiles/:name',
    { schema: { tags: ['profiles'], summary: 'One profile', params: nameParams, response: { 200: profileRef, ...errorResponses } } },
    async (req) => {
      const p = ctx.profiles.get(req.params.name);
      if (!p) throw notFound(`profile ${req.params.name}`);
      return p;
    },
  );
  app.put(
    '/api/v1/profiles/:name',
    {
      schema: {
        tags: ['profiles'],
        summary: 'Add or replace a profile; it applies to the next message of every device bound to it and survives restarts',
        params: nameParams,
        body: profileRef,
        response: { 200: profileRef, ...errorResponses },
      },
    },
    async (req) => {
      const p = req.body;
      if (p.name !== req.params.name) throw new DomainError(400, `body name "${p.name}" differs from the URL's "${req.params.name}"`, 'name', 'matches_url');
      for (const [metric, spec] of Object.entries(p.metrics)) {
        if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) {
          throw new DomainError(400, `metrics.${metric}: min ${spec.min} is above max ${spec.max}`, `metrics.${metric}.min`, 'order');
        }
      }
      // How long data is kept is the admin's to change, like a device's own retention.
      const role = (req as { principal?: { role: Role | null } }).principal?.role;
      if (role !== undefined && p.rawRetentionHours !== ctx.profiles.get(p.name)?.rawRetentionHours && !(role && roleAtLeast(role, 'admin'))) {
        throw new DomainError(403, 'changing rawRetentionHours needs the admin role', 'rawRetentionHours', 'admin_only');
      }
      await ctx.store.catalog.saveProfile(p);
      ctx.profiles.set(p);
      return p;
    },
  );
  app.put(
    '/api/v1/devices/:id/profile',
    {
      schema: {
        tags: ['devices', 'profiles'],
        summary: 'Bind a device to a profile (null unbinds): its next messages are validated against it',
        params: DeviceIdParams,
        body: Type.Object({ profile: Nullable(Type.String()) }, { additionalProperties: false }),
        response: { 200: Ref(DeviceSchema), ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { profile } = req.body;
      if (profile !== null && !ctx.profiles.get(profile)) throw new DomainError(400, `no profile named "${profile}"`, 'profile', 'exists');
      if (!ctx.devices.get(id)) throw notFound(`device ${id}`);
      await ctx.store.telemetry.setDeviceProfile(id, profile);
      ctx.devices.setProfile(id, profile);
      return ctx.devices.get(id);
    },
  );
}
