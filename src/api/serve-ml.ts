import type { FastifyInstance } from 'fastify';
import type { Store } from '../stores/store.js';
import type { ModelServices } from '../models/setup.js';
import type { Bundle } from '../models/bundles.js';
import { ManifestError } from '../models/manifest.js';
import { fitBundle, type FitRequest } from '../models/fitting.js';
import { backtestBundle } from '../models/backtest.js';
import { DomainError } from './errors.js';
import { errorResponses } from './schemas.js';

const ID = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const tags = ['models'];

/**
 * Bundle, fitting and rule errors are DomainErrors already (the server answers them); a manifest's
 * field is named inside the manifest, so the API names it `manifest.<field>`.
 */
export async function modelCall<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ManifestError) throw new DomainError(400, err.message, `manifest.${err.field}`, err.rule);
    throw err;
  }
}

export function bundleView(models: ModelServices, b: Bundle) {
  return {
    id: b.id,
    equipment_id: b.manifest.equipment_id,
    profile: b.manifest.profile ?? null,
    power: b.manifest.power,
    model_version: b.manifest.model_version,
    origin: b.origin,
    active: models.registry.isActive(b),
    runtime: b.manifest.runtime,
    manifest: b.manifest,
  };
}

export const featuresSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 256,
  additionalProperties: { anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' }, maxItems: 100_000 }] },
} as const;

export const fitBodySchema = {
  type: 'object',
  required: ['device', 'features', 'from', 'to'],
  additionalProperties: false,
  properties: {
    device: { type: 'string', pattern: ID },
    profile: { type: 'string', minLength: 1, maxLength: 64 },
    features: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, minItems: 1, maxItems: 64, uniqueItems: true },
    from: { type: 'number' },
    to: { type: 'number' },
    power: { type: 'string', pattern: ID },
    model_version: { type: 'string', pattern: ID },
    window: { type: 'integer', minimum: 1, maximum: 1000 },
    quantile: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    margin: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
    failure_threshold: { type: 'number', exclusiveMinimum: 0 },
    trend_steps: { type: 'integer', minimum: 3, maximum: 100_000 },
    failed_at: { type: 'number' },
    failure_span_ms: { type: 'integer', minimum: 1000 },
    max_rul_days: { type: 'number', exclusiveMinimum: 0 },
    kinds: { type: 'array', items: { enum: ['anomaly', 'rul'] }, minItems: 1, uniqueItems: true },
  },
} as const;

/**
 * /api/v1/serve-ml: seed 003's serving contract (predict, bundles, sync) unchanged, beside
 * Fieldscope's own: upload, activate, roll back, fit from history and backtest.
 */
export async function serveMlRoutes(app: FastifyInstance, ctx: { models: ModelServices; store: Pick<Store, 'telemetry'> }): Promise<void> {
  const { models } = ctx;

  app.post<{ Body: { equipment_id: string; power?: string | number; model_version?: string; features: Record<string, number | number[]> } }>(
    '/api/v1/serve-ml/predict',
    {
      schema: {
        tags,
        summary: 'Run the bundle of an equipment on features (one step, or arrays of a whole window); the prediction is stored as series of the equipment',
        body: {
          type: 'object',
          required: ['equipment_id', 'features'],
          additionalProperties: false,
          properties: {
            equipment_id: { type: 'string', pattern: ID },
            power: { anyOf: [{ type: 'string', pattern: ID }, { type: 'number' }] },
            model_version: { type: 'string', pattern: ID },
            features: featuresSchema,
          },
        },
        response: { 409: { $ref: 'Error#' }, ...errorResponses },
      },
    },
    async (req) => modelCall(() => models.server.predict(req.body)),
  );

  app.get<{ Querystring: { equipment_id?: string; power?: string } }>(
    '/api/v1/serve-ml/bundles',
    {
      schema: {
        tags,
        summary: 'Bundles, their versions and which is active',
        querystring: { type: 'object', properties: { equipment_id: { type: 'string' }, power: { type: 'string' } }, additionalProperties: false },
      },
    },
    async (req) => ({ bundles: models.registry.list(req.query).map((b) => bundleView(models, b)), errors: models.registry.loadErrors }),
  );

  app.post('/api/v1/serve-ml/sync', { schema: { tags, summary: 'Rescan the bundle folder (--models) and the uploaded bundles' } }, async () => models.sync());

  app.post<{ Body: { manifest: unknown; files: Record<string, string> } }>(
    '/api/v1/serve-ml/bundles',
    {
      schema: {
        tags,
        summary: 'Upload a bundle: its manifest and its files (base64); kept beside the other versions, not activated',
        body: {
          type: 'object',
          required: ['manifest'],
          additionalProperties: false,
          properties: {
            manifest: { type: 'object' },
            files: { type: 'object', maxProperties: 16, additionalProperties: { type: 'string', contentEncoding: 'base64' } },
          },
        },
        response: { 409: { $ref: 'Error#' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const files: Record<string, Buffer> = {};
      for (const [name, b64] of Object.entries(req.body.files ?? {})) {
        if (!/^[A-Za-z0-9+/=\s]*$/.test(b64)) throw new DomainError(400, `files.${name} is not base64`, `files.${name}`, 'base64');
        files[name] = Buffer.from(b64, 'base64');
      }
      const b = await modelCall(() => models.registry.add(req.body.manifest, files, 'upload'));
      models.server.changed();
      return reply.code(201).send(bundleView(models, b));
    },
  );

  app.post<{ Body: { id: string } }>(
    '/api/v1/serve-ml/bundles/activate',
    {
      schema: {
        tags,
        summary: 'Make a version the active one of its equipment and power bucket (no restart)',
        body: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', maxLength: 400 } } },
        response: errorResponses,
      },
    },
    async (req) => {
      const b = await modelCall(() => models.registry.activate(req.body.id));
      models.server.changed();
      return bundleView(models, b);
    },
  );

  app.post<{ Body: { equipment_id: string; power: string } }>(
    '/api/v1/serve-ml/bundles/rollback',
    {
      schema: {
        tags,
        summary: 'Back to the version active before the current one',
        body: {
          type: 'object',
          required: ['equipment_id', 'power'],
          additionalProperties: false,
          properties: { equipment_id: { type: 'string', maxLength: 200 }, power: { type: 'string', pattern: ID } },
        },
        response: { 409: { $ref: 'Error#' }, ...errorResponses },
      },
    },
    async (req) => {
      const b = await modelCall(() => models.registry.rollback(req.body.equipment_id, req.body.power));
      models.server.changed();
      return bundleView(models, b);
    },
  );

  app.post<{ Body: FitRequest }>(
    '/api/v1/serve-ml/fit',
    {
      schema: {
        tags,
        summary: 'Fit an anomaly model and RUL by degradation trend from a healthy window of stored history; written as a bundle, not activated',
        body: fitBodySchema,
        response: { 409: { $ref: 'Error#' }, 422: { $ref: 'Error#' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const manifest = await modelCall(() => fitBundle(ctx.store, req.body));
      const b = await modelCall(() => models.registry.add(manifest, {}, 'fitted'));
      models.server.changed();
      return reply.code(201).send(bundleView(models, b));
    },
  );

  app.post<{ Body: { id: string; device: string; from: number; to: number; stride?: number; failed_at?: number } }>(
    '/api/v1/serve-ml/backtest',
    {
      schema: {
        tags,
        summary: 'Replay stored history through a bundle: anomalies it would have flagged, its RUL against a known failure time',
        body: {
          type: 'object',
          required: ['id', 'device', 'from', 'to'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', maxLength: 400 },
            device: { type: 'string', pattern: ID },
            from: { type: 'number' },
            to: { type: 'number' },
            stride: { type: 'integer', minimum: 1 },
            failed_at: { type: 'number' },
          },
        },
        response: errorResponses,
      },
    },
    async (req) => {
      const b = models.registry.get(req.body.id);
      if (!b) throw new DomainError(404, `no bundle ${req.body.id}`, 'id', 'not_found');
      if (!(req.body.from < req.body.to)) throw new DomainError(400, 'from must be before to', 'from', 'order');
      return modelCall(() => backtestBundle(ctx.store, b, req.body));
    },
  );
}
