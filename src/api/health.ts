import type { FastifyInstance } from 'fastify';
import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { Metrics } from '../metrics.js';
import type { Batcher } from '../pipeline/batcher.js';
import type { Source } from '../sources/source.js';
import type { StoreCondition } from '../stores/store.js';

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

export async function healthRoutes(app: FastifyInstance, ctx: HealthApi): Promise<void> {
  app.get(
    '/health',
    { config: { role: 'public' }, schema: { tags: ['operations'], summary: 'State of each component; 503 when one that matters is down' } },
    async (_req, reply) => {
      const components: Record<string, Record<string, unknown>> = {};
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

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' } }, async (_req, reply) => {
    const counts = ctx.devices.counts();
    ctx.metrics.devices.set(counts.total);
    ctx.metrics.devicesOnline.set(counts.online);
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
