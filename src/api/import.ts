import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import type { Store } from '../stores/store.js';
import type { RetentionRules } from '../stores/retention-rules.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { CommitWriter } from '../pipeline/commit.js';
import { errorResponses } from './schemas.js';
import { TimeParam } from '../model/schemas/common.js';
import { DomainError } from './errors.js';
import { importStream, type ImportFormat } from '../import/importer.js';
import { parseColumnMap } from '../import/column-map.js';
import { parseTimestamp } from '../pipeline/decode.js';

const summarySchema = {
  type: 'object',
  properties: {
    rowsRead: { type: 'integer' },
    readingsStored: { type: 'integer' },
    duplicates: { type: 'integer', description: 'readings not stored because one of the same identity exists: alreadyStored + sameTimeInFile' },
    alreadyStored: { type: 'integer', description: 'readings the store already held (same device, metric and time to the µs, and seq)' },
    sameTimeInFile: {
      type: 'integer',
      description: "readings of rows repeating an earlier row's device and time (to the µs) within this upload; the first is kept",
    },
    rejected: { type: 'integer', description: 'rows with anything refused' },
    rejectedLines: {
      type: 'array',
      description: 'the first 1000 refused rows',
      items: { type: 'object', properties: { line: { type: 'integer' }, field: { type: 'string' }, rule: { type: 'string' }, error: { type: 'string' } } },
    },
    seconds: { type: 'number' },
    ignoredColumns: { type: 'array', items: { type: 'string' } },
    retention: {
      type: 'array',
      description: 'per device: the raw retention that applies, and whether this import is exempt from it (its range held)',
      items: {
        type: 'object',
        properties: {
          device: { type: 'string' },
          profile: { type: ['string', 'null'] },
          rawRetentionHours: { type: 'number' },
          source: { type: 'string', enum: ['device', 'device-config', 'profile', 'default'] },
          retention: { type: 'string', description: 'in words: "48 h (default)"' },
          cutoff: { type: 'number', description: 'epoch ms: readings before it are past the retention today' },
          olderReadings: { type: 'integer' },
          exempt: { type: 'boolean', description: 'true: kept whatever their age (the default); false: applyRetention=true' },
          heldFrom: { type: 'number' },
          heldTo: { type: 'number' },
        },
      },
    },
    warnings: { type: 'array', items: { type: 'string' }, description: 'devices with rows older than their raw retention, found before writing them' },
    droppedByRetention: { type: 'integer', description: 'readings left out because applyRetention=true and they were past it' },
  },
} as const;

/** POST /api/v1/import: a CSV or NDJSON upload, read from the request stream as it arrives. */
export interface ImportApi {
  profiles: ProfileRegistry;
  store: Pick<Store, 'telemetry' | 'catalog' | 'retention'>;
  /** The one commit path: imported readings reach the registry through it. */
  writer: CommitWriter;
  /** Which raw retention applies to which device (absent: none is reported). */
  retention?: RetentionRules;
}

export async function importRoutes(app: FastifyInstance, ctx: ImportApi): Promise<void> {
  // In this scope only: the body is handed over as the raw stream, never buffered whole.
  for (const type of ['text/csv', 'application/x-ndjson', 'application/ndjson']) {
    app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
  }
  app.post<{ Querystring: { format?: ImportFormat; device?: string; map?: string; start?: string; applyRetention?: boolean }; Body: Readable }>(
    '/api/v1/import',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['telemetry'],
        summary: 'Import history in bulk: a wide CSV (time column + one column per metric) or NDJSON, streamed; re-importing adds nothing',
        consumes: ['text/csv', 'application/x-ndjson'],
        querystring: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: ['csv', 'ndjson'], description: 'default: from the content type' },
            device: { type: 'string', maxLength: 128, description: 'every row belongs to this device' },
            map: { type: 'string', maxLength: 4096, description: 'column=metric overrides, comma-separated' },
            start: { ...TimeParam, description: 'the time column holds seconds since this time (ISO-8601 or epoch ms)' },
            applyRetention: {
              type: 'boolean',
              description:
                "leave out readings already older than their device's raw retention (default false: imported history is kept, exempt from raw retention)",
            },
          },
        },
        response: { 200: summarySchema, ...errorResponses },
      },
    },
    async (req) => {
      const type = req.headers['content-type'] ?? '';
      const body = req.body as unknown;
      if (typeof body !== 'object' || body === null || typeof (body as Readable).pipe !== 'function') {
        throw new DomainError(415, `send the file as text/csv or application/x-ndjson (got ${type || 'no content type'})`, 'content-type', 'media_type');
      }
      const format: ImportFormat = req.query.format ?? (type.includes('csv') ? 'csv' : 'ndjson');
      let start: number | undefined;
      if (req.query.start !== undefined) {
        const t = parseTimestamp(req.query.start);
        if (t === null) throw new DomainError(400, 'start must be an ISO-8601 time or epoch ms', 'start', 'timestamp');
        start = t;
      }
      // Import, column-map and CSV syntax errors are DomainErrors (source import): the server answers and counts them once.
      return importStream(ctx.store, req.body, {
        format,
        device: req.query.device,
        map: parseColumnMap(req.query.map),
        start,
        profiles: ctx.profiles,
        writer: ctx.writer,
        ...(ctx.retention ? { retention: ctx.retention } : {}),
        applyRetention: req.query.applyRetention ?? false,
      });
    },
  );
}
