import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { MappingCatalog } from '../sources/mappings/mapping-catalog.js';
import { errorRef, errorResponses, noContent } from './schemas.js';
import { TopicMappingBody, TopicMappingEntrySchema } from '../model/schemas/mappings.js';
import { Ref } from '../model/schemas/kit.js';

const entry = Ref(TopicMappingEntrySchema);
const idParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const changeErrors = { ...errorResponses, 409: errorRef } as const;
const admin = { role: 'admin' } as const;

/** Topic mappings (issue 16): the config file's, read-only, and those added here, applied to the brokers at once. */
export async function mappingRoutes(fastify: FastifyInstance, ctx: { mappings: MappingCatalog }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { mappings } = ctx;
  app.get(
    '/api/v1/mappings',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: "Topic mappings in force, in the order they are tried: the config file's (read-only), then those added through the API",
        response: { 200: Type.Object({ mappings: Type.Array(entry) }) },
      },
    },
    async () => ({ mappings: mappings.list() }),
  );
  app.post(
    '/api/v1/mappings',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: 'Add a topic mapping; the brokers take its topic at once',
        body: TopicMappingBody,
        response: { 201: entry, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await mappings.create(req.body)),
  );
  app.put(
    '/api/v1/mappings/:id',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: 'Replace a topic mapping added through the API',
        params: idParams,
        body: TopicMappingBody,
        response: { 200: entry, ...changeErrors },
      },
    },
    async (req) => mappings.update(req.params.id, req.body),
  );
  app.delete(
    '/api/v1/mappings/:id',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: 'Remove a topic mapping added through the API',
        params: idParams,
        response: { 204: noContent, ...changeErrors },
      },
    },
    async (req, reply) => {
      await mappings.remove(req.params.id);
      return reply.code(204).send();
    },
  );
}
