import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { Metrics } from '../metrics.js';
import type { Batcher } from '../pipeline/batcher.js';
import type { Source } from '../sources/source.js';
import type { StoreCondition } from '../stores/store.js';
import { ComponentHealthSchema, HealthSchema } from '../model/schemas/health.js';
import { Ref } from '../model/schemas/kit.js';

const health = Ref(HealthSchema);

function withoutStatus(c: StoreCondition): Omit<StoreCondition, 'status'> {
  const { status: _status, ...rest } = c;
  return rest;
}

export interface HealthApi {
  batcher: Pick<Batcher, 'depth' | 'spoolDepth'>;
  devices: DeviceRegistry;
  metrics: Metrics;
  sources: Source[];
  store: Pick<Store, 'engine' | 'ping' | 'condition'>;
  version: string;
}

export async function healthRoutes(fastify: FastifyInstance, ctx: HealthApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/health',
    {
      config: { role: 'public' },
      schema: { tags: ['operations'], summary: 'State of each component; 503 when one that matters is down', response: { 200: health, 503: health } },
    },
    async (_req, reply) => {
      const components: Record<string, Static<typeof ComponentHealthSchema>> = {};
      let healthy = true;
      let degraded = false;
      let sourceDown = false;
      const started = process.hrtime.bigint();
      try {
        await ctx.store.ping();
        const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
        const cond = ctx.store.condition?.();
        components.store = { status: cond?.status ?? 'up', engine: ctx.store.engine, latencyMs, ...(cond ? withoutStatus(cond) : {}) };
        if (cond && cond.status !== 'up') degraded = true;
        // Reads still work, but nothing sent now can be stored: not healthy for ingest.
        if (cond && !cond.writable) healthy = false;
      } catch (err) {
        healthy = false;
        components.store = { status: 'down', engine: ctx.store.engine, error: (err as Error).message };
      }
      const spool = ctx.batcher.spoolDepth;
      // Spooling is degraded, not down: readings are safe on disk and replay when the store returns.
      components.pipeline = { status: 'up', pendingReadings: ctx.batcher.depth };
      components.spool = { status: spool.batches ? 'spooling' : 'empty', batches: spool.batches, bytes: spool.bytes };
      for (const s of ctx.sources) {
        const d = s.describe();
        if (d.status !== 'up') {
          healthy = false;
          sourceDown = true;
        }
        components[s.name] = { status: d.status, ...d.detail };
      }
      const counts = ctx.devices.counts();
      components.devices = { status: 'up', known: counts.total, online: counts.online };
      const status = components.store.status === 'down' || sourceDown ? 'down' : degraded ? 'degraded' : 'ok';
      return reply.code(healthy ? 200 : 503).send({ status, version: ctx.version, time: Date.now(), components });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) },
      },
    },
    async (_req, reply) => {
      const counts = ctx.devices.counts();
      ctx.metrics.devices.set(counts.total);
      ctx.metrics.devicesOnline.set(counts.online);
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );
}
