import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { ModelServices } from '../models/setup.js';
import { fitBundle } from '../models/fitting.js';
import { stepsFromHistory } from '../models/history-window.js';
import type { Prediction } from '../models/serving.js';
import { DomainError } from './errors.js';
import { errorRef, errorResponses } from './schemas.js';
import { bundleRef, bundleView, modelErrors, predictionRef } from './serve-ml.js';
import { DeviceHealthSchema, FitRequestSchema, RulPredictRequestSchema, RulStatsSchema, RulStatusSchema } from '../model/schemas/models.js';
import { ID_PATTERN } from '../model/schemas/kit.js';

const tags = ['models'];

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);

/**
 * /api/v1/rul: seed 003's remaining-useful-life endpoints over the same bundles and predictions as
 * /serve-ml. RUL itself is the device's `rul_days` series (history, charts, alarm rules).
 */
export async function rulRoutes(
  fastify: FastifyInstance,
  ctx: { models: ModelServices; devices: DeviceRegistry; store: Pick<Store, 'telemetry'> },
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { models } = ctx;
  const { server, registry } = models;

  app.post(
    '/api/v1/rul/predict',
    {
      schema: {
        tags,
        summary: 'RUL of a device now: from the features given, or from its last stored readings; stored like every prediction',
        body: RulPredictRequestSchema,
        response: { 200: predictionRef, ...modelErrors },
      },
    },
    async (req) => {
      const { device_id, power, model_version } = req.body;
      let features = req.body.features;
      if (!features) {
        const profile = ctx.devices.profileOf(device_id);
        const bundle = registry.select(
          profile ? [device_id, `profile:${profile}`] : [device_id],
          power ?? ctx.devices.get(device_id)?.latest.power?.value,
          model_version,
        );
        const m = bundle.manifest;
        const { rows } = await stepsFromHistory(ctx.store, device_id, m.features, 0, Date.now() + 86_400_000, m.window * 4);
        if (rows.length < m.window)
          throw new DomainError(
            409,
            `${device_id} has ${rows.length} complete steps of ${m.features.join(', ')} stored; the model reads ${m.window}`,
            'device_id',
            'window',
          );
        const last = rows.slice(-m.window);
        features = Object.fromEntries(m.features.map((f, j) => [f, last.map((r) => r[j])]));
        return server.predict({ equipment_id: device_id, power: bundle.manifest.power, model_version: m.model_version, features });
      }
      return server.predict({ equipment_id: device_id, power, model_version, features });
    },
  );

  app.get(
    '/api/v1/rul/predictions',
    {
      schema: {
        tags,
        summary: "Recent predictions (since the start) with the model version that made each; older ones are the device's series",
        querystring: Type.Object(
          {
            device_id: Type.Optional(Type.String({ pattern: ID_PATTERN })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ predictions: Type.Array(predictionRef) }), 400: errorRef },
      },
    },
    async (req) => ({ predictions: server.history(req.query.device_id, req.query.limit ?? 100) }),
  );

  app.get(
    '/api/v1/rul/health/:device',
    {
      schema: {
        tags,
        summary: 'Health of a device: its latest RUL with the interval, anomaly score and threshold, and a status',
        params: Type.Object({ device: Type.String({ pattern: ID_PATTERN }) }),
        response: { 200: DeviceHealthSchema, ...errorResponses },
      },
    },
    async (req) => {
      const p = server.latest(req.params.device);
      if (!p) throw new DomainError(404, `no prediction for ${req.params.device} yet`, 'device', 'not_found');
      return { ...p, status: healthStatus(p, registry.get(p.bundle)?.manifest.thresholds.rul_days) };
    },
  );

  app.post(
    '/api/v1/rul/train',
    {
      schema: {
        tags,
        summary: 'Fit RUL by degradation trend (and, with kinds, an anomaly model) from a healthy window; a bundle, not activated',
        body: FitRequestSchema,
        response: { 201: bundleRef, ...modelErrors, 422: errorRef },
      },
    },
    async (req, reply) => {
      const manifest = await fitBundle(ctx.store, { kinds: ['rul'], ...req.body });
      const b = await registry.add(manifest, {}, 'fitted');
      server.changed();
      return reply.code(201).send(bundleView(models, b));
    },
  );

  app.get(
    '/api/v1/rul/stats',
    { schema: { tags, summary: 'Per device: predictions, latest and lowest RUL; inference latency', response: { 200: RulStatsSchema } } },
    async () => {
      const devices = server.devices().map((d) => {
        const ps = server.history(d, 5000).filter((p) => p.rul_days !== undefined);
        const rul = ps.map((p) => p.rul_days!);
        return {
          device: d,
          predictions: ps.length,
          latest_rul_days: rul.at(-1) ?? null,
          min_rul_days: rul.length ? Math.min(...rul) : null,
          mean_rul_days: rul.length ? rul.reduce((a, b) => a + b, 0) / rul.length : null,
          anomalies: server.history(d, 5000).filter((p) => p.anomaly === 1).length,
        };
      });
      const lat = [...server.latencyMs].sort((a, b) => a - b);
      return { devices, counters: server.counters, latency_ms: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), samples: lat.length } };
    },
  );

  app.get(
    '/api/v1/rul/status',
    { schema: { tags, summary: 'Model serving state: bundles, active versions, runtimes, counters, load errors', response: { 200: RulStatusSchema } } },
    async () => {
      const bundles = registry.list();
      return {
        bundles: bundles.length,
        rul_bundles: bundles.filter((b) => b.manifest.models.rul).length,
        active: bundles.filter((b) => registry.isActive(b)).map((b) => b.id),
        runtimes: registry.runtimeNames,
        counters: server.counters,
        errors: registry.loadErrors,
      };
    },
  );
}

function healthStatus(p: Prediction, rulThreshold: number | undefined): 'healthy' | 'warning' | 'critical' | 'unknown' {
  const t = rulThreshold ?? 7;
  if (p.rul_days === undefined && p.anomaly === undefined) return 'unknown';
  if ((p.rul_days !== undefined && p.rul_days < t) || p.anomaly === 1) return 'critical';
  if (p.rul_days !== undefined && p.rul_days < 2 * t) return 'warning';
  return 'healthy';
}
