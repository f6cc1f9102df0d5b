import type { FastifyInstance } from 'fastify';
import type { DeviceServices } from '../devices/services.js';
import { errorResponses } from './schemas.js';
import { DomainError, notFound } from './errors.js';

const ID = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

const fields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  location: { type: ['string', 'null'], maxLength: 200 },
  description: { type: ['string', 'null'], maxLength: 4000 },
  tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, maxItems: 64 },
} as const;

type Body = { id?: string; name?: string; location?: string | null; description?: string | null; tags?: string[] };
const idParams = { type: 'object', properties: { id: { type: 'string', pattern: ID } }, required: ['id'] } as const;

/** /api/v1/equipment: machines, racks, pumps; each has many sensors (devices name it in their `equipment`). */
export async function equipmentRoutes(app: FastifyInstance, ctx: { deviceServices: DeviceServices }): Promise<void> {
  const { directory } = ctx.deviceServices;
  const view = (id: string) => {
    const e = directory.getEquipment(id);
    return e && { ...e, devices: directory.devicesOf(id) };
  };
  const one = { 200: { $ref: 'Equipment#' }, ...errorResponses };

  app.get(
    '/api/v1/equipment',
    {
      schema: {
        tags: ['devices'],
        summary: 'All equipment with its sensors',
        response: { 200: { type: 'object', properties: { equipment: { type: 'array', items: { $ref: 'Equipment#' } } } } },
      },
    },
    async () => ({ equipment: directory.listEquipment().map((e) => view(e.id)) }),
  );

  app.post<{ Body: Body & { id: string; name: string } }>(
    '/api/v1/equipment',
    {
      schema: {
        tags: ['devices'],
        summary: 'Add equipment',
        body: { type: 'object', properties: { id: { type: 'string', pattern: ID }, ...fields }, required: ['id', 'name'], additionalProperties: false },
        response: { 201: { $ref: 'Equipment#' }, 409: { $ref: 'Error#' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (directory.getEquipment(req.body.id)) throw new DomainError(409, `equipment ${req.body.id} exists`, 'id', 'unique');
      await directory.saveEquipment(req.body.id, req.body, 'create');
      return reply.code(201).send(view(req.body.id));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/equipment/:id',
    { schema: { tags: ['devices'], summary: 'One piece of equipment and its sensors', params: idParams, response: one } },
    async (req) => {
      const e = view(req.params.id);
      if (!e) throw notFound(`equipment ${req.params.id}`);
      return e;
    },
  );

  for (const method of ['put', 'patch'] as const) {
    app[method]<{ Params: { id: string }; Body: Body }>(
      '/api/v1/equipment/:id',
      {
        schema: {
          tags: ['devices'],
          summary: method === 'put' ? 'Create or replace equipment' : 'Change some fields of equipment',
          params: idParams,
          body: { type: 'object', properties: fields, ...(method === 'put' ? { required: ['name'] } : {}), additionalProperties: false },
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

  app.delete<{ Params: { id: string } }>(
    '/api/v1/equipment/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Delete equipment; its sensors stay, unassigned',
        params: idParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      if (!directory.getEquipment(req.params.id)) throw notFound(`equipment ${req.params.id}`);
      await directory.deleteEquipment(req.params.id);
      return reply.code(204).send();
    },
  );
}
