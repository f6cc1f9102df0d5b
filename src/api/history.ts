import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import type { ApiContext } from './context.js';
import { deviceIdParams, errorResponses, timeParam } from './schemas.js';
import { DomainError } from './errors.js';
import { csvList, timeRange } from './time.js';
import type { DeviceFilter, GroupRow } from '../stores/store.js';
import { isTimeZone } from '../stores/zoned-time.js';

const bucketSeriesSchema = {
  type: 'object',
  description: 'Columnar buckets: ts[i] (bucket start, epoch ms) pairs with min[i], max[i], avg[i], count[i]; empty buckets are left out',
  properties: {
    ts: { type: 'array', items: { type: 'number' } },
    min: { type: 'array', items: { type: 'number' } },
    max: { type: 'array', items: { type: 'number' } },
    avg: { type: 'array', items: { type: 'number' } },
    count: { type: 'array', items: { type: 'integer' } },
  },
} as const;

export const bucketResponseSchema = {
  type: 'object',
  properties: {
    device: { type: 'string' },
    from: { type: 'number' },
    to: { type: 'number' },
    resolution: { type: 'string', enum: ['raw', '1m', '1h'], description: 'the source the buckets were computed from' },
    bucketMs: { type: 'number', description: 'bucket width (a local day may be 23 or 25 h in a zone with DST)' },
    series: { type: 'object', additionalProperties: bucketSeriesSchema },
  },
} as const;

export const tzParam = { type: 'string', description: 'IANA time zone (e.g. Asia/Seoul) for hour/day bucket boundaries; UTC by default' } as const;
const devicesParam = { type: 'string', minLength: 1, description: 'device ids separated by commas; an id ending in * matches by prefix (line1-*)' } as const;

/** Checks a tz query value; throws a 400 naming the field. */
export function checkTz(tz: string | undefined): string | undefined {
  if (tz === undefined || tz === '') return undefined;
  if (!isTimeZone(tz)) throw new DomainError(400, `tz "${tz}" is not a known IANA time zone`, 'tz', 'time_zone');
  return tz;
}

export function deviceFilter(raw: string | undefined): DeviceFilter {
  const items = csvList(raw);
  if (!items) throw new DomainError(400, 'devices must name at least one device or prefix*', 'devices', 'required');
  const f: DeviceFilter = { ids: [], prefixes: [] };
  for (const item of items) {
    if (item.endsWith('*')) f.prefixes.push(item.slice(0, -1));
    else f.ids.push(item);
  }
  return f;
}

const groupRowsSchema = {
  type: 'object',
  properties: {
    rows: {
      type: 'array',
      items: { type: 'object', properties: { device: { type: 'string' }, metric: { type: 'string' }, ts: { type: 'number' }, value: { type: 'number' } } },
    },
  },
} as const;

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text of export rows, header first: ts (ISO-8601 UTC), ts_ms, device, metric, value. */
export async function* csvLines(rows: AsyncIterable<GroupRow>): AsyncGenerator<string> {
  yield 'ts,ts_ms,device,metric,value\n';
  let chunk = '';
  for await (const r of rows) {
    chunk += `${new Date(r.ts).toISOString()},${r.ts},${csvField(r.device)},${csvField(r.metric)},${r.value}\n`;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

async function* ndjsonLines(rows: AsyncIterable<GroupRow>): AsyncGenerator<string> {
  let chunk = '';
  for await (const r of rows) {
    chunk += JSON.stringify(r) + '\n';
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Statistics, group queries and export over stored history. */
export async function historyRoutes(app: FastifyInstance, ctx: Pick<ApiContext, 'store'>): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { metric?: string; from?: string; to?: string } }>(
    '/api/v1/devices/:id/stats',
    {
      schema: {
        tags: ['telemetry'],
        summary: "Statistics of a device's metrics in a time range (default: the last hour): min, max, avg, stddev, count, p50/p95/p99",
        params: deviceIdParams,
        querystring: {
          type: 'object',
          properties: { metric: { type: 'string', description: 'metric names separated by commas; all when omitted' }, from: timeParam, to: timeParam },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              device: { type: 'string' },
              from: { type: 'number' },
              to: { type: 'number' },
              resolution: { type: 'string', description: 'raw, or 1m/1h when raw data has expired (percentiles are then null)' },
              stats: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  properties: Object.fromEntries(
                    ['min', 'max', 'avg', 'stddev', 'p50', 'p95', 'p99']
                      .map((k) => [k, { type: ['number', 'null'] }])
                      .concat([['count', { type: 'integer' } as never]]),
                  ),
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { from, to } = timeRange(req.query, 3600_000);
      let metrics = csvList(req.query.metric);
      if (!metrics) metrics = Object.keys((await ctx.store.telemetry.queryRange({ device: req.params.id, from: to, to, limit: 1 })) ?? {});
      const r = await ctx.store.telemetry.stats({ device: req.params.id, metrics, from, to });
      return { device: req.params.id, from, to, ...r };
    },
  );

  app.get<{ Querystring: { devices?: string; metric?: string; n?: number } }>(
    '/api/v1/telemetry/recent',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'The newest n readings per device and metric among matching devices (one query)',
        querystring: {
          type: 'object',
          properties: {
            devices: devicesParam,
            metric: { type: 'string', description: 'metrics separated by commas; all when omitted' },
            n: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
          },
          required: ['devices'],
        },
        response: { 200: groupRowsSchema, ...errorResponses },
      },
    },
    async (req) => ({
      rows: await ctx.store.telemetry.groupRecent({ devices: deviceFilter(req.query.devices), metrics: csvList(req.query.metric), n: req.query.n ?? 1 }),
    }),
  );

  app.get<{ Querystring: { devices?: string; metric?: string; from?: string; to?: string; n?: number } }>(
    '/api/v1/telemetry/range',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Readings per device and metric within a time range (default: the last hour), at most n each, newest kept (one query)',
        querystring: {
          type: 'object',
          properties: {
            devices: devicesParam,
            metric: { type: 'string' },
            from: timeParam,
            to: timeParam,
            n: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000 },
          },
          required: ['devices'],
        },
        response: { 200: groupRowsSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { from, to } = timeRange(req.query, 3600_000);
      return {
        rows: await ctx.store.telemetry.groupRange({
          devices: deviceFilter(req.query.devices),
          metrics: csvList(req.query.metric),
          from,
          to,
          n: req.query.n ?? 1000,
        }),
      };
    },
  );

  app.get<{ Querystring: { devices?: string; metrics?: string; from?: string; to?: string; format?: 'csv' | 'ndjson' } }>(
    '/api/v1/export',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Stored readings as CSV or NDJSON, streamed; ordered by device, metric, time; [from, to), default the last 24 h',
        querystring: {
          type: 'object',
          properties: {
            devices: { ...devicesParam, description: devicesParam.description + '; all devices when omitted' },
            metrics: { type: 'string' },
            from: timeParam,
            to: timeParam,
            format: { type: 'string', enum: ['csv', 'ndjson'], default: 'csv' },
          },
        },
        response: {
          200: { type: 'string', description: 'CSV (ts,ts_ms,device,metric,value) or NDJSON ({device,metric,ts,value} per line)' },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { from, to } = timeRange(req.query, 86_400_000);
      const rows = ctx.store.telemetry.exportRows({
        devices: req.query.devices ? deviceFilter(req.query.devices) : undefined,
        metrics: csvList(req.query.metrics),
        from,
        to,
      });
      const csv = (req.query.format ?? 'csv') === 'csv';
      reply.type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      reply.header('content-disposition', `attachment; filename="fieldscope-${from}-${to}.${csv ? 'csv' : 'ndjson'}"`);
      // Readable.from pulls from the store only as fast as the client reads.
      return reply.send(Readable.from(csv ? csvLines(rows) : ndjsonLines(rows)));
    },
  );
}
