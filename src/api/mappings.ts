import type { FastifyInstance } from 'fastify';
import type { MappingCatalog } from '../sources/mappings/mapping-catalog.js';
import type { TopicMapping } from '../model/topic-mapping.js';
import { errorResponses } from './schemas.js';

const text = (description: string) => ({ type: 'string', description }) as const;

/**
 * The body is checked by the same code as the config file's topicMappings (types included), so the
 * schema only describes it: a type here would let the validator coerce `5` into "5" first.
 */
const mappingBody = {
  type: 'object',
  description: 'A topic mapping, checked exactly as an entry of topicMappings in the config file (docs/topic-mappings.md)',
  properties: {
    topic: { description: 'Topic pattern: literal segments, +, {name} captures, a final #; not under devices/ (string, required)' },
    device: { description: 'The {name} segment that names the device (string)' },
    metrics: { description: 'Payload field whose object holds the readings (string)' },
    profile: { description: 'Profile a device first seen on this topic is bound to (string)' },
    name: { description: 'Shown in /health and dead letters; default the topic (string)' },
  },
  required: ['topic'],
} as const;

const entry = {
  type: 'object',
  properties: {
    id: text("config-N for the config file's entries, a UUID for those added here"),
    origin: { type: 'string', enum: ['config', 'api'] },
    readOnly: { type: 'boolean', description: "true for the config file's entries: change them there" },
    topic: text('Topic pattern'),
    device: text('Captured segment naming the device'),
    metrics: text('Payload field holding the readings'),
    profile: text('Profile bound on first sight'),
    name: text('Name in /health and dead letters'),
  },
  required: ['id', 'origin', 'readOnly', 'topic'],
} as const;

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;
const changeErrors = { ...errorResponses, 409: { $ref: 'Error#' } } as const;
const admin = { role: 'admin' } as const;

/** Topic mappings (issue 16): the config file's, read-only, and those added here, applied to the brokers at once. */
export async function mappingRoutes(app: FastifyInstance, ctx: { mappings: MappingCatalog }): Promise<void> {
  const { mappings } = ctx;
  app.get(
    '/api/v1/mappings',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: "Topic mappings in force, in the order they are tried: the config file's (read-only), then those added through the API",
        response: { 200: { type: 'object', properties: { mappings: { type: 'array', items: entry } } } },
      },
    },
    async () => ({ mappings: mappings.list() }),
  );
  app.post<{ Body: TopicMapping }>(
    '/api/v1/mappings',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: 'Add a topic mapping; the brokers take its topic at once',
        body: mappingBody,
        response: { 201: entry, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await mappings.create(req.body)),
  );
  app.put<{ Params: { id: string }; Body: TopicMapping }>(
    '/api/v1/mappings/:id',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: 'Replace a topic mapping added through the API',
        params: idParams,
        body: mappingBody,
        response: { 200: entry, ...changeErrors },
      },
    },
    async (req) => mappings.update(req.params.id, req.body),
  );
  app.delete<{ Params: { id: string } }>(
    '/api/v1/mappings/:id',
    {
      config: admin,
      schema: {
        tags: ['operations'],
        summary: 'Remove a topic mapping added through the API',
        params: idParams,
        response: { 204: { type: 'null' }, ...changeErrors },
      },
    },
    async (req, reply) => {
      await mappings.remove(req.params.id);
      return reply.code(204).send();
    },
  );
}
