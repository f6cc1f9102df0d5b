import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DeviceServices } from '../devices/services.js';
import { errorRef, errorResponses, noContent } from './schemas.js';
import { DomainError, notFound } from './errors.js';
import { EquipmentCreateSchema, EquipmentInputSchema, EquipmentPatchSchema, EquipmentSchema } from '../model/schemas/fleet.js';
import { ID_PATTERN, Ref } from '../model/schemas/kit.js';

const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });

/** /api/v1/equipment: machines, racks, pumps; each has many sensors (devices name it in their `equipment`). */
export async function equipmentRoutes(fastify: FastifyInstance, ctx: { deviceServices: DeviceServices }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { directory } = ctx.deviceServices;
  const view = (id: string) => {
    const e = directory.getEquipment(id);
    return e && { ...e, devices: directory.devicesOf(id) };
  };
  const one = { 200: Ref(EquipmentSchema), ...errorResponses };

  app.get(
    '/api/v1/equipment',
    {
      schema: {
        tags: ['devices'],
        summary: 'All equipment with its sensors',
        response: { 200: Type.Object({ equipment: Type.Array(Ref(EquipmentSchema)) }) },
      },
    },
    async () => ({ equipment: directory.listEquipment().flatMap((e) => view(e.id) ?? []) }),
  );

  app.post(
    '/api/v1/equipment',
    {
      schema: {
        tags: ['devices'],
        summary: 'Add equipment',
        body: EquipmentCreateSchema,
        response: { 201: Ref(EquipmentSchema), 409: errorRef, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (directory.getEquipment(req.body.id)) throw new DomainError(409, `equipment ${req.body.id} exists`, 'id', 'unique');
      await directory.saveEquipment(req.body.id, req.body, 'create');
      return reply.code(201).send(view(req.body.id)!);
    },
  );

  app.get(
    '/api/v1/equipment/:id',
    { schema: { tags: ['devices'], summary: 'One piece of equipment and its sensors', params: IdParams, response: one } },
    async (req) => {
      const e = view(req.params.id);
      if (!e) throw notFound(`equipment ${req.params.id}`);
      return e;
    },
  );

  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/api/v1/equipment/:id',
      {
        schema: {
          tags: ['devices'],
          summary: method === 'put' ? 'Create or replace equipment' : 'Change some fields of equipment',
          params: IdParams,
          body: method === 'put' ? EquipmentInputSchema : EquipmentPatchSchema,
          response: one,
        },
      },
      async (req) => {
        if (method === 'patch' && !directory.getEquipment(req.params.id)) throw notFound(`equipment ${req.params.id}`);
        await directory.saveEquipment(req.params.id, req.body, method === 'put' ? 'replace' : 'patch');
        return view(req.params.id);
      },
    );
  }

  app.delete(
    '/api/v1/equipment/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Delete equipment; its sensors stay, unassigned',
        params: IdParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!directory.getEquipment(req.params.id)) throw notFound(`equipment ${req.params.id}`);
      await directory.deleteEquipment(req.params.id);
      return reply.code(204).send();
    },
  );
}
