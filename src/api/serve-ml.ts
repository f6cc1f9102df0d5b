import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { ModelServices } from '../models/setup.js';
import type { Bundle } from '../models/bundles.js';
import { fitBundle } from '../models/fitting.js';
import { backtestBundle } from '../models/backtest.js';
import { DomainError } from './errors.js';
import { errorRef, errorResponses } from './schemas.js';
import {
  BundleViewSchema,
  FitRequestSchema,
  LoadErrorSchema,
  ModelBacktestRequestSchema,
  ModelBacktestSchema,
  PredictionSchema,
  PredictRequestSchema,
  SyncResultSchema,
} from '../model/schemas/models.js';
import { AnyObject, Dict, ID_PATTERN, Ref } from '../model/schemas/kit.js';

const tags = ['models'];
export const bundleRef = Ref(BundleViewSchema);
export const predictionRef = Ref(PredictionSchema);
/** Refusals of the model routes: bad input, an unknown bundle or device, a window not yet full (409), a fit with too little history (422). */
export const modelErrors = { ...errorResponses, 409: errorRef } as const;

/** A bundle as the API shows it. Bundle, fitting and manifest errors are DomainErrors, answered by the server. */
export function bundleView(models: ModelServices, b: Bundle): Static<typeof BundleViewSchema> {
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

/**
 * /api/v1/serve-ml: seed 003's serving contract (predict, bundles, sync) unchanged, beside
 * Fieldscope's own: upload, activate, roll back, fit from history and backtest.
 */
export async function serveMlRoutes(fastify: FastifyInstance, ctx: { models: ModelServices; store: Pick<Store, 'telemetry'> }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { models } = ctx;

  app.post(
    '/api/v1/serve-ml/predict',
    {
      schema: {
        tags,
        summary: 'Run the bundle of an equipment on features (one step, or arrays of a whole window); the prediction is stored as series of the equipment',
        body: PredictRequestSchema,
        response: { 200: predictionRef, ...modelErrors },
      },
    },
    async (req) => models.server.predict(req.body),
  );

  app.get(
    '/api/v1/serve-ml/bundles',
    {
      schema: {
        tags,
        summary: 'Bundles, their versions and which is active',
        querystring: Type.Object({ equipment_id: Type.Optional(Type.String()), power: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ bundles: Type.Array(bundleRef), errors: Type.Array(LoadErrorSchema, { description: 'bundle folders that failed to load' }) }),
          400: errorRef,
        },
      },
    },
    async (req) => ({ bundles: models.registry.list(req.query).map((b) => bundleView(models, b)), errors: models.registry.loadErrors }),
  );

  app.post(
    '/api/v1/serve-ml/sync',
    { schema: { tags, summary: 'Rescan the bundle folder (--models) and the uploaded bundles', response: { 200: SyncResultSchema } } },
    async () => models.sync(),
  );

  app.post(
    '/api/v1/serve-ml/bundles',
    {
      schema: {
        tags,
        summary: 'Upload a bundle: its manifest and its files (base64); kept beside the other versions, not activated',
        body: Type.Object(
          {
            // Checked by parseManifest, which names the field inside the manifest (manifest.window) and the rule.
            manifest: AnyObject({ description: 'a Manifest (see components), checked field by field' }),
            files: Type.Optional(Dict(Type.String({ contentEncoding: 'base64' }), { maxProperties: 16 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: bundleRef, ...modelErrors },
      },
    },
    async (req, reply) => {
      const files: Record<string, Buffer> = {};
      for (const [name, b64] of Object.entries(req.body.files ?? {})) {
        if (!/^[A-Za-z0-9+/=\s]*$/.test(b64)) throw new DomainError(400, `files.${name} is not base64`, `files.${name}`, 'base64');
        files[name] = Buffer.from(b64, 'base64');
      }
      const b = await models.registry.add(req.body.manifest, files, 'upload');
      models.server.changed();
      return reply.code(201).send(bundleView(models, b));
    },
  );

  app.post(
    '/api/v1/serve-ml/bundles/activate',
    {
      schema: {
        tags,
        summary: 'Make a version the active one of its equipment and power bucket (no restart)',
        body: Type.Object({ id: Type.String({ maxLength: 400 }) }, { additionalProperties: false }),
        response: { 200: bundleRef, ...errorResponses },
      },
    },
    async (req) => {
      const b = await models.registry.activate(req.body.id);
      models.server.changed();
      return bundleView(models, b);
    },
  );

  app.post(
    '/api/v1/serve-ml/bundles/rollback',
    {
      schema: {
        tags,
        summary: 'Back to the version active before the current one',
        body: Type.Object({ equipment_id: Type.String({ maxLength: 200 }), power: Type.String({ pattern: ID_PATTERN }) }, { additionalProperties: false }),
        response: { 200: bundleRef, ...modelErrors },
      },
    },
    async (req) => {
      const b = await models.registry.rollback(req.body.equipment_id, req.body.power);
      models.server.changed();
      return bundleView(models, b);
    },
  );

  app.post(
    '/api/v1/serve-ml/fit',
    {
      schema: {
        tags,
        summary: 'Fit an anomaly model and RUL by degradation trend from a healthy window of stored history; written as a bundle, not activated',
        body: FitRequestSchema,
        response: { 201: bundleRef, ...modelErrors, 422: errorRef },
      },
    },
    async (req, reply) => {
      const manifest = await fitBundle(ctx.store, req.body);
      const b = await models.registry.add(manifest, {}, 'fitted');
      models.server.changed();
      return reply.code(201).send(bundleView(models, b));
    },
  );

  app.post(
    '/api/v1/serve-ml/backtest',
    {
      schema: {
        tags,
        summary: 'Replay stored history through a bundle: anomalies it would have flagged, its RUL against a known failure time',
        body: ModelBacktestRequestSchema,
        response: { 200: Ref(ModelBacktestSchema), ...errorResponses },
      },
    },
    async (req) => {
      const b = models.registry.get(req.body.id);
      if (!b) throw new DomainError(404, `no bundle ${req.body.id}`, 'id', 'not_found');
      if (!(req.body.from < req.body.to)) throw new DomainError(400, 'from must be before to', 'from', 'order');
      return backtestBundle(ctx.store, b, req.body);
    },
  );
}
