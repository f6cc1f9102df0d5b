import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import type { Store } from '../stores/store.js';
import { errorResponses } from './schemas.js';
import { DeviceIdParams, TimeParam } from '../model/schemas/common.js';
import { DomainError } from './errors.js';
import { csvList, queryTime, timeRange } from './time.js';
import type { DeviceFilter, GroupRow } from '../stores/store.js';
import { CSV_HEADER, CSV_HEADER_US, exportLine, type ExportFormat } from '../stores/export-format.js';
import { rowsIn, tsDescription, tsUnitParam, type TsUnit } from './ts-unit.js';
import { readCaller, unguarded, type ReadGuard } from './read-guard.js';
import { isTimeZone } from '../stores/zoned-time.js';

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
      items: {
        type: 'object',
        properties: { device: { type: 'string' }, metric: { type: 'string' }, ts: { type: 'number', description: tsDescription }, value: { type: 'number' } },
      },
    },
  },
} as const;

/** Export lines of rows formatted here, for a store that cannot format them where it reads. */
async function* linesOf(rows: AsyncIterable<GroupRow>, format: ExportFormat, unit?: TsUnit): AsyncGenerator<string> {
  let chunk = '';
  for await (const r of rows) {
    chunk += exportLine(r, format, unit);
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

const orderParam = {
  type: 'string',
  enum: ['asc', 'desc'],
  default: 'desc',
  description: 'desc: the newest n of each device and metric; asc: the first n',
} as const;

/** Statistics, group queries and export over stored history. */
export interface HistoryApi {
  store: Pick<Store, 'telemetry'>;
  /** Limits on reads at once and rows per second (absent: none). */
  readGuard?: ReadGuard;
  readMaxRows?: number;
}

export async function historyRoutes(app: FastifyInstance, ctx: HistoryApi): Promise<void> {
  const guard = ctx.readGuard ?? unguarded;
  const maxRows = ctx.readMaxRows;
  const rowCount = (a: { rows: unknown[] }) => a.rows.length;
  app.get<{ Params: { id: string }; Querystring: { metric?: string; from?: string; to?: string } }>(
    '/api/v1/devices/:id/stats',
    {
      schema: {
        tags: ['telemetry'],
        summary: "Statistics of a device's metrics in a time range (default: the last hour): min, max, avg, stddev, count, p50/p95/p99",
        params: DeviceIdParams,
        querystring: {
          type: 'object',
          properties: { metric: { type: 'string', description: 'metric names separated by commas; all when omitted' }, from: TimeParam, to: TimeParam },
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
      return guard.run(
        readCaller(req),
        async () => {
          let metrics = csvList(req.query.metric);
          if (!metrics) metrics = Object.keys((await ctx.store.telemetry.queryRange({ device: req.params.id, from: to, to, limit: 1 })) ?? {});
          const r = await ctx.store.telemetry.stats({ device: req.params.id, metrics, from, to });
          return { device: req.params.id, from, to, ...r };
        },
        // Computed over every reading in the range: that is what it cost.
        (a) => Object.values(a.stats).reduce((n, st) => n + st.count, 0),
      );
    },
  );

  app.get<{ Querystring: { devices?: string; metric?: string; n?: number; order?: 'asc' | 'desc'; tsUnit?: TsUnit } }>(
    '/api/v1/telemetry/recent',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'The newest (or, order=asc, the first) n readings per device and metric among matching devices',
        querystring: {
          type: 'object',
          properties: {
            devices: devicesParam,
            metric: { type: 'string', description: 'metrics separated by commas; all when omitted' },
            n: { type: 'integer', minimum: 1, maximum: 10_000, default: 1 },
            order: orderParam,
            tsUnit: tsUnitParam,
          },
          required: ['devices'],
        },
        response: { 200: groupRowsSchema, ...errorResponses },
      },
    },
    async (req) =>
      guard.run(
        readCaller(req),
        async () => ({
          rows: rowsIn(
            req.query.tsUnit,
            await ctx.store.telemetry.groupRecent({
              devices: deviceFilter(req.query.devices),
              metrics: csvList(req.query.metric),
              n: req.query.n ?? 1,
              order: req.query.order,
              maxRows,
            }),
          ),
        }),
        rowCount,
      ),
  );

  app.get<{
    Querystring: {
      devices?: string;
      metric?: string;
      from?: string;
      to?: string;
      n?: number;
      order?: 'asc' | 'desc';
      offset_from?: number;
      offset_to?: number;
      tsUnit?: TsUnit;
    };
  }>(
    '/api/v1/telemetry/range',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Readings per device and metric within a time range (default: the last hour), at most n each: the newest, or (order=asc) the first',
        description:
          "With offset_to (and optionally offset_from), ms: each device's window is [first + offset_from, first + offset_to], where first is " +
          "the device's first reading at or after from (default then: all history); e.g. offset_from=0&offset_to=140000&order=asc&n=140 " +
          'is "the first 140 readings within 0-140 s of each recording". Rows are ordered by device, metric, ts. See docs/queries.md.',
        querystring: {
          type: 'object',
          properties: {
            devices: devicesParam,
            metric: { type: 'string' },
            from: TimeParam,
            to: TimeParam,
            n: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000 },
            order: orderParam,
            offset_from: {
              type: 'integer',
              minimum: 0,
              maximum: 1e13,
              description: "ms after each device's first reading where its window starts (default 0; needs offset_to)",
            },
            offset_to: { type: 'integer', minimum: 0, maximum: 1e13, description: "ms after each device's first reading where its window ends" },
            tsUnit: tsUnitParam,
          },
          required: ['devices'],
        },
        response: { 200: groupRowsSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { offset_from: offFrom, offset_to: offTo } = req.query;
      if (offFrom !== undefined && offTo === undefined)
        throw new DomainError(400, "offset_from needs offset_to (the end of each device's window, ms after its first reading)", 'offset_to', 'required');
      if (offTo !== undefined && (offFrom ?? 0) > offTo) throw new DomainError(400, 'offset_from must not be after offset_to', 'offset_from', 'order');
      const relative = offTo !== undefined;
      const { from, to } = relative
        ? { from: queryTime(req.query.from, 'from', 0), to: queryTime(req.query.to, 'to', Date.now()) }
        : timeRange(req.query, 3600_000);
      if (from > to) throw new DomainError(400, 'from must not be after to', 'from', 'order');
      return guard.run(
        readCaller(req),
        async () => ({
          rows: rowsIn(
            req.query.tsUnit,
            await ctx.store.telemetry.groupRange({
              devices: deviceFilter(req.query.devices),
              metrics: csvList(req.query.metric),
              from,
              to,
              n: req.query.n ?? 1000,
              order: req.query.order,
              maxRows,
              ...(relative ? { offset: { from: offFrom ?? 0, to: offTo } } : {}),
            }),
          ),
        }),
        rowCount,
      );
    },
  );

  app.get<{ Querystring: { devices?: string; metrics?: string; from?: string; to?: string; format?: 'csv' | 'ndjson'; tsUnit?: TsUnit } }>(
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
            from: TimeParam,
            to: TimeParam,
            format: { type: 'string', enum: ['csv', 'ndjson'], default: 'csv' },
            tsUnit: tsUnitParam,
          },
        },
        response: {
          200: {
            type: 'string',
            description:
              'CSV (ts,ts_ms,device,metric,value; ts ISO-8601 to the µs, ts_ms with a fraction for µs; with tsUnit=us the second column is ts_us, whole µs) ' +
              'or NDJSON ({device,metric,ts,value} per line, ts in tsUnit)',
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { from, to } = timeRange(req.query, 86_400_000);
      const q = {
        devices: req.query.devices ? deviceFilter(req.query.devices) : undefined,
        metrics: csvList(req.query.metrics),
        from,
        to,
        tsUnit: req.query.tsUnit,
      };
      const format: ExportFormat = req.query.format ?? 'csv';
      // The export holds its place among the reads running until the last byte is sent (or the client goes).
      const release = guard.acquire(readCaller(req));
      let rows = 0;
      const done = () => release(rows);
      reply.raw.once('close', done);
      // Formatted where the store reads it when it can (SQLite: on the read worker): this thread only copies bytes.
      const text = ctx.store.telemetry.exportText ? ctx.store.telemetry.exportText(q, format) : linesOf(ctx.store.telemetry.exportRows(q), format, q.tsUnit);
      async function* body(): AsyncGenerator<string> {
        try {
          if (format === 'csv') yield q.tsUnit === 'us' ? CSV_HEADER_US : CSV_HEADER;
          for await (const t of text) {
            rows += countLines(t);
            yield t;
          }
        } finally {
          done();
        }
      }
      reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      reply.header('content-disposition', `attachment; filename="fieldscope-${from}-${to}.${format}"`);
      // Readable.from pulls from the store only as fast as the client reads.
      return reply.send(Readable.from(body()));
    },
  );
}
