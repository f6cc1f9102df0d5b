import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Store } from '../stores/store.js';
import type { RetentionRules } from '../stores/retention-rules.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { CommitWriter } from '../pipeline/commit.js';
import { errorRef, errorResponses } from './schemas.js';
import { IMPORT_KEY_PATTERN, ImportCheckpointSchema, ImportQuery, ImportSummarySchema } from '../model/schemas/retention.js';
import { Ref } from '../model/schemas/kit.js';
import { Type } from '@sinclair/typebox';
import { DomainError } from './errors.js';
import { drainRefused, streamBodies, uploadStream } from './upload-body.js';
import { importStream, importUpload, keySize, type ImportFormat } from '../import/importer.js';
import { parseColumnMap } from '../import/column-map.js';
import { parseTimestamp } from '../pipeline/decode.js';

/** POST /api/v1/import: a CSV or NDJSON upload, read from the request stream as it arrives. */
export interface ImportApi {
  profiles: ProfileRegistry;
  store: Pick<Store, 'telemetry' | 'catalog' | 'retention'>;
  /** The one commit path: imported readings reach the registry through it. */
  writer: CommitWriter;
  /** Which raw retention applies to which device (absent: none is reported). */
  retention?: RetentionRules;
}

export async function importRoutes(fastify: FastifyInstance, ctx: ImportApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  streamBodies(app, ['text/csv', 'application/x-ndjson', 'application/ndjson']);
  app.post(
    '/api/v1/import',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['telemetry'],
        summary: 'Import history in bulk: a wide CSV (time column + one column per metric) or NDJSON, streamed; re-importing adds nothing',
        consumes: ['text/csv', 'application/x-ndjson'],
        querystring: ImportQuery,
        response: { 200: Ref(ImportSummarySchema), ...errorResponses, 415: errorRef },
      },
    },
    async (req) => {
      const type = req.headers['content-type'] ?? '';
      const stream = uploadStream(req.body, `send the file as text/csv or application/x-ndjson (got ${type || 'no content type'})`);
      const format: ImportFormat = req.query.format ?? (type.includes('csv') ? 'csv' : 'ndjson');
      let start: number | undefined;
      if (req.query.start !== undefined) {
        const t = parseTimestamp(req.query.start);
        if (t === null) throw new DomainError(400, 'start must be an ISO-8601 time or epoch ms', 'start', 'timestamp');
        start = t;
      }
      if (req.query.resumeAt !== undefined && req.query.key === undefined)
        throw new DomainError(400, 'resumeAt continues an import by its key: send key too', 'key', 'required');
      const opts = {
        format,
        device: req.query.device,
        map: parseColumnMap(req.query.map),
        start,
        profiles: ctx.profiles,
        writer: ctx.writer,
        ...(ctx.retention ? { retention: ctx.retention } : {}),
        applyRetention: req.query.applyRetention ?? false,
      };
      // Not destroyed when the import stops early (iterating a stream destroys it by default): see the catch.
      const chunks = stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
      try {
        // Import, column-map and CSV syntax errors are DomainErrors (source import): the server answers and counts them once.
        if (req.query.key === undefined) return await importStream(ctx.store, chunks, opts);
        return await importUpload(ctx.store, chunks, {
          ...opts,
          key: req.query.key,
          ...(req.query.resumeAt !== undefined ? { resumeAt: req.query.resumeAt } : {}),
        });
      } catch (err) {
        // Refused part-way (a file that is not the key's, a stale resumeAt, a bad row): the rest of the body first.
        await drainRefused(stream);
        throw err;
      }
    },
  );
  app.get(
    '/api/v1/import/checkpoints/:key',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['telemetry'],
        summary:
          'Where the import of one file stands (its last commit): an upload sent with this key continues from `offset` (POST /api/v1/import?key=...&resumeAt=offset)',
        params: Type.Object({ key: Type.String({ pattern: IMPORT_KEY_PATTERN }) }),
        response: { 200: Ref(ImportCheckpointSchema), ...errorResponses },
      },
    },
    async (req) => {
      const cp = await ctx.store.catalog.getImportCheckpoint(req.params.key);
      if (!cp) throw new DomainError(404, 'no import of this file has committed anything', 'key', 'not_found');
      return { ...cp, size: keySize(cp.key) ?? 0 };
    },
  );
}
