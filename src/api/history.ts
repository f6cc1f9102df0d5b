import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import type { Store } from '../stores/store.js';
import { errorResponses, streamed } from './schemas.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { DeviceStatsSchema, ExportQuery, GroupRowsSchema, RangeQuery, RecentQuery, StatsQuery } from '../model/schemas/telemetry.js';
import { Ref } from '../model/schemas/kit.js';
import { DomainError } from './errors.js';
import { csvList, queryTime, timeRange } from './time.js';
import type { DeviceFilter, GroupAnswer, GroupRow } from '../stores/store.js';
import { CSV_HEADER, CSV_HEADER_US, exportLine, type ExportFormat } from '../stores/export-format.js';
import type { TsUnit } from './ts-unit.js';
import { readCaller, unguarded, type ReadGuard } from './read-guard.js';
import { isTimeZone } from '../stores/zoned-time.js';

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

const groupRows = Ref(GroupRowsSchema);

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

function countLines(text: string | Uint8Array): number {
  let n = 0;
  if (typeof text === 'string') for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  else for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, i + 1)) n++;
  return n;
}

/** Statistics, group queries and export over stored history. */
export interface HistoryApi {
  store: Pick<Store, 'telemetry'>;
  /** Limits on reads at once and rows per second (absent: none). */
  readGuard?: ReadGuard;
  readMaxRows?: number;
}

const ROWS_OPEN = Buffer.from('{"rows":');
const ROWS_CLOSE = Buffer.from('}');

/**
 * Sends a group read's answer as its declared body ({rows: [...]}, GroupRowsSchema): the rows arrive
 * as JSON bytes from the read worker, so nothing here builds or serialises a row.
 */
function groupReply(reply: FastifyReply, answer: GroupAnswer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(Buffer.concat([ROWS_OPEN, answer.json, ROWS_CLOSE]));
}

export async function historyRoutes(fastify: FastifyInstance, ctx: HistoryApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const guard = ctx.readGuard ?? unguarded;
  const maxRows = ctx.readMaxRows;
  const answerRows = (a: GroupAnswer) => a.rows;
  app.get(
    '/api/v1/devices/:id/stats',
    {
      schema: {
        tags: ['telemetry'],
        summary: "Statistics of a device's metrics in a time range (default: the last hour): min, max, avg, stddev, count, p50/p95/p99",
        params: DeviceIdParams,
        querystring: StatsQuery,
        response: { 200: Ref(DeviceStatsSchema), ...errorResponses },
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

  app.get(
    '/api/v1/telemetry/recent',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'The newest (or, order=asc, the first) n readings per device and metric among matching devices',
        querystring: RecentQuery,
        response: { 200: groupRows, ...errorResponses },
      },
    },
    async (req, reply) =>
      groupReply(
        reply,
        await guard.run(
          readCaller(req),
          () =>
            ctx.store.telemetry.groupRecent({
              devices: deviceFilter(req.query.devices),
              metrics: csvList(req.query.metric),
              n: req.query.n ?? 1,
              order: req.query.order,
              maxRows,
              tsUnit: req.query.tsUnit,
            }),
          answerRows,
        ),
      ),
  );

  app.get(
    '/api/v1/telemetry/range',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Readings per device and metric within a time range (default: the last hour), at most n each: the newest, or (order=asc) the first',
        description:
          "With offset_to (and optionally offset_from), ms: each device's window is [first + offset_from, first + offset_to], where first is " +
          "the device's first reading at or after from (default then: all history); e.g. offset_from=0&offset_to=140000&order=asc&n=140 " +
          'is "the first 140 readings within 0-140 s of each recording". Rows are ordered by device, metric, ts. See docs/queries.md.',
        querystring: RangeQuery,
        response: { 200: groupRows, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { offset_from: offFrom, offset_to: offTo } = req.query;
      if (offFrom !== undefined && offTo === undefined)
        throw new DomainError(400, "offset_from needs offset_to (the end of each device's window, ms after its first reading)", 'offset_to', 'required');
      if (offTo !== undefined && (offFrom ?? 0) > offTo) throw new DomainError(400, 'offset_from must not be after offset_to', 'offset_from', 'order');
      const relative = offTo !== undefined;
      const { from, to } = relative
        ? { from: queryTime(req.query.from, 'from', 0), to: queryTime(req.query.to, 'to', Date.now()) }
        : timeRange(req.query, 3600_000);
      if (from > to) throw new DomainError(400, 'from must not be after to', 'from', 'order');
      return groupReply(
        reply,
        await guard.run(
          readCaller(req),
          () =>
            ctx.store.telemetry.groupRange({
              devices: deviceFilter(req.query.devices),
              metrics: csvList(req.query.metric),
              from,
              to,
              n: req.query.n ?? 1000,
              order: req.query.order,
              maxRows,
              tsUnit: req.query.tsUnit,
              ...(relative ? { offset: { from: offFrom ?? 0, to: offTo } } : {}),
            }),
          answerRows,
        ),
      );
    },
  );

  app.get(
    '/api/v1/export',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Stored readings as CSV or NDJSON, streamed; ordered by device, metric, time; [from, to), default the last 24 h',
        querystring: ExportQuery,
        response: {
          200: streamed(
            'CSV (ts,ts_ms,device,metric,value; ts ISO-8601 to the µs, ts_ms with a fraction for µs; with tsUnit=us the second column is ts_us, whole µs) ' +
              'or NDJSON ({device,metric,ts,value} per line, ts in tsUnit)',
          ),
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
      async function* body(): AsyncGenerator<string | Uint8Array> {
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
