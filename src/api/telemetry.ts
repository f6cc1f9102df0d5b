import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Store } from '../stores/store.js';
import type { Metrics } from '../metrics.js';
import type { AuthServices } from '../auth/setup.js';
import type { Outcome, Pipeline, RawInput } from '../pipeline/ingest.js';
import type { Readable } from 'node:stream';
import { NdjsonLines } from '../import/ndjson-reader.js';
import { TextChunks } from '../import/text-chunks.js';
import { answerAs, errorRef, errorResponses, telemetryPayloadSchema } from './schemas.js';
import { DeviceIdParams } from '../model/schemas/common.js';
import { BucketPageSchema, IngestRefusedSchema, IngestResultSchema, TelemetryAnswerSchema, TelemetryQuery } from '../model/schemas/telemetry.js';
import { Ref } from '../model/schemas/kit.js';
import type { IngestResult } from '../model/telemetry.js';
import { DomainError } from './errors.js';
import { csvList, timeRange } from './time.js';
import { checkTz } from './history.js';
import { readCaller, unguarded, type ReadGuard } from './read-guard.js';
import { readTooLarge } from '../stores/read-errors.js';
import { seriesIn, tsIn } from './ts-unit.js';

/** What ingest over HTTP and the telemetry reads use. */
export interface TelemetryApi {
  /** Per-device rate limits (absent: none). */
  auth?: Pick<AuthServices, 'deviceLimiter'>;
  maxBodyBytes: number;
  maxPayloadBytes: number;
  metrics: Metrics;
  pipeline: Pipeline;
  readGuard?: ReadGuard;
  readMaxRows?: number;
  store: Pick<Store, 'telemetry'>;
}

const rawAnswer = Ref(TelemetryAnswerSchema);
const bucketAnswer = Ref(BucketPageSchema);

/** Splits a request body into one raw input per device message. */
function bodyInputs(body: string, contentType: string | undefined, device: string | undefined): RawInput[] {
  const receivedAt = Date.now();
  if (contentType?.includes('ndjson')) {
    return body
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((line) => ({ source: 'http' as const, device, payload: line, receivedAt }));
  }
  const trimmed = body.trimStart();
  if (trimmed.startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(body);
    } catch (err) {
      throw new DomainError(400, `body is not valid JSON: ${(err as Error).message}`, 'body', 'json');
    }
    return (items as unknown[]).map((payload) => ({ source: 'http' as const, device, payload, receivedAt }));
  }
  return [{ source: 'http', device, payload: body, receivedAt }];
}

function answer(reply: FastifyReply, outcomes: Outcome[], single: boolean) {
  if (single) {
    const o = outcomes[0];
    if (!o.ok) {
      const status = o.rejection.rule === 'max_size' ? 413 : 400;
      return reply.code(status).send({ error: o.rejection.message, field: o.rejection.field, rule: o.rejection.rule });
    }
    return reply.send({ accepted: 1, readings: Object.keys(o.message.values).length, rejected: [] });
  }
  let accepted = 0;
  let readings = 0;
  const rejected: IngestResult['rejected'] = [];
  outcomes.forEach((o, index) => {
    if (o.ok) {
      accepted++;
      readings += Object.keys(o.message.values).length;
    } else rejected.push({ index, error: o.rejection.message, field: o.rejection.field, rule: o.rejection.rule });
  });
  return answerBatch(reply, accepted, readings, rejected);
}

/**
 * Good records beside bad ones are stored; the caller learns which were refused and why. A batch
 * with nothing stored is a 400 that names the first refusal's field and rule, as an Error does.
 */
function answerBatch(reply: FastifyReply, accepted: number, readings: number, rejected: IngestResult['rejected']) {
  if (accepted > 0 || !rejected.length) return reply.send({ accepted, readings, rejected });
  const first = rejected[0];
  return reply.code(400).send({
    error: `none of the ${rejected.length} messages was stored; the first (index ${first.index}): ${first.error}`,
    field: first.field,
    rule: first.rule,
    accepted,
    readings,
    rejected,
  });
}

/**
 * Charges a batch to the device's message rate, one token per message as MQTT does (the guard
 * already took one for a request made with the device's own token). Null: within the limit.
 */
function chargeDevice(ctx: TelemetryApi, device: string, messages: number, prepaid: number): { status: number; error: string; retryAfterSec?: number } | null {
  const limiter = ctx.auth?.deviceLimiter;
  if (!limiter || !limiter.burst) return null;
  const extra = messages - prepaid;
  if (extra <= 0) return null;
  if (messages > limiter.burst) {
    ctx.metrics.rateLimited.inc({ scope: 'device', transport: 'http' });
    return {
      status: 429,
      error: `a batch of ${messages} messages is more than the device's burst of ${limiter.burst}; send at most ${limiter.burst} per request`,
    };
  }
  const take = limiter.take(`device:${device}`, extra);
  if (take.ok) return null;
  ctx.metrics.rateLimited.inc({ scope: 'device', transport: 'http' });
  return {
    status: 429,
    error: `device ${device} is over its message rate (${messages} messages in this request); try again in ${take.retryAfterSec} s`,
    retryAfterSec: take.retryAfterSec,
  };
}

/** How many records of a many-device body name each device (records naming none are refused later, by decode). */
function messagesPerDevice(inputs: RawInput[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of inputs) {
    const p = i.payload;
    if (p === null || typeof p !== 'object' || Array.isArray(p) || Buffer.isBuffer(p)) continue;
    const o = p as Record<string, unknown>;
    const d = o.device_id ?? o.deviceId ?? o.device;
    if (typeof d === 'string') counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return counts;
}

function prepaidBy(req: FastifyRequest): number {
  return req.principal?.kind === 'device' ? 1 : 0;
}

function tooMany(reply: FastifyReply, refusal: { status: number; error: string; retryAfterSec?: number }, counts?: { accepted: number; readings: number }) {
  if (refusal.retryAfterSec) reply.header('retry-after', String(refusal.retryAfterSec));
  return reply.code(refusal.status).send({ error: refusal.error, field: 'body', rule: 'rate_limit', ...counts });
}

/** What a streamed NDJSON body came to: counts, the refused lines, and the first outcome (a one-line body answers as a single payload). */
interface Tally {
  lines: number;
  accepted: number;
  readings: number;
  rejected: IngestResult['rejected'];
  first?: Outcome;
  /** Set when the device's message rate stopped the body part-way (what came before is stored). */
  limited?: { status: number; error: string; retryAfterSec?: number };
}

/** Lines handed to the pipeline at a time: each chunk waits for its commit, which is the backpressure. */
const NDJSON_CHUNK_LINES = 1000;

/** A JSON or text body as its parser handed it over (TelemetryPayload documents it; the pipeline checks it). */
function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : '';
}

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

async function acceptNdjson(stream: Readable, device: string | undefined, ctx: TelemetryApi, req: FastifyRequest): Promise<Tally> {
  const tally: Tally = { lines: 0, accepted: 0, readings: 0, rejected: [] };
  const lines = new NdjsonLines();
  const text = new TextChunks();
  let pending: RawInput[] = [];
  let skipping = false;
  const receivedAt = Date.now();
  const onLine = (payload: string) => {
    pending.push({ source: 'http', device, payload, receivedAt });
  };
  let charged = false;
  const flush = async () => {
    if (!pending.length || tally.limited) return;
    if (device !== undefined) {
      // The guard's token for the request counts once, toward the first chunk.
      const limited = chargeDevice(ctx, device, pending.length, charged ? 0 : prepaidBy(req));
      charged = true;
      if (limited) {
        tally.limited = limited;
        pending = [];
        return;
      }
    }
    const outcomes = await ctx.pipeline.accept(pending);
    pending = [];
    for (const o of outcomes) {
      const index = tally.lines++;
      if (index === 0) tally.first = o;
      if (o.ok) {
        tally.accepted++;
        tally.readings += Object.keys(o.message.values).length;
      } else tally.rejected.push({ index, error: o.rejection.message, field: o.rejection.field, rule: o.rejection.rule });
    }
  };
  for await (const chunk of stream) {
    let t = text.take(chunk as Buffer);
    if (t !== null && skipping) {
      // The end of an oversized line: the rest of it is dropped (it was refused once already).
      skipping = false;
      text.used(t, t.indexOf('\n') + 1);
      t = text.take(Buffer.alloc(0));
    }
    if (t !== null) text.used(t, lines.parse(t, false, onLine));
    if (text.held > ctx.maxPayloadBytes) {
      // A line past the payload limit is refused (the pipeline says max_size) without being held whole.
      if (!skipping) onLine(text.rest().slice(0, ctx.maxPayloadBytes + 1));
      else text.rest();
      skipping = true;
    }
    if (pending.length >= NDJSON_CHUNK_LINES) await flush();
    if (tally.limited) {
      stream.resume();
      return tally;
    }
  }
  if (!skipping) lines.parse(text.rest(), true, onLine);
  await flush();
  return tally;
}

function answerTally(reply: FastifyReply, t: Tally) {
  if (t.limited) return tooMany(reply, t.limited, { accepted: t.accepted, readings: t.readings });
  if (t.lines === 1 && t.first) return answer(reply, [t.first], true);
  return answerBatch(reply, t.accepted, t.readings, t.rejected);
}

export async function telemetryRoutes(fastify: FastifyInstance, ctx: TelemetryApi): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Bodies arrive as text: the pipeline decodes them, so HTTP and MQTT give the same answers.
  for (const type of ['application/json', 'text/plain']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: ctx.maxBodyBytes }, (_req, body, done) => done(null, body));
  }
  // NDJSON is read from the request stream line by line, so a long backlog never sits in memory whole.
  for (const type of ['application/x-ndjson', 'application/ndjson']) {
    app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
  }

  const postSchema = {
    tags: ['telemetry'],
    body: Ref(telemetryPayloadSchema),
    consumes: ['application/json', 'application/x-ndjson'],
    response: {
      200: Ref(IngestResultSchema),
      // A single refused message answers as an Error; a batch with nothing stored answers as the batch.
      400: IngestRefusedSchema,
      413: errorRef,
      429: IngestRefusedSchema,
    },
  };

  app.post(
    '/api/v1/devices/:id/telemetry',
    {
      // The device's own token, or an operator sending on its behalf.
      config: { role: 'device' },
      schema: {
        ...postSchema,
        summary: 'Send readings for one device: one JSON payload, an array of them, or NDJSON',
        params: DeviceIdParams,
      },
    },
    async (req, reply) => {
      if (isStream(req.body)) return answerTally(reply, await acceptNdjson(req.body, req.params.id, ctx, req));
      const text = bodyText(req.body);
      const inputs = bodyInputs(text, req.headers['content-type'], req.params.id);
      const limited = chargeDevice(ctx, req.params.id, inputs.length, prepaidBy(req));
      if (limited) return tooMany(reply, limited);
      const outcomes = await ctx.pipeline.accept(inputs);
      return answer(reply, outcomes, inputs.length === 1 && !text.trimStart().startsWith('['));
    },
  );

  app.post(
    '/api/v1/telemetry',
    { schema: { ...postSchema, summary: 'Send readings for many devices: each record names its device_id' } },
    async (req, reply) => {
      if (isStream(req.body)) return answerTally(reply, await acceptNdjson(req.body, undefined, ctx, req));
      const text = bodyText(req.body);
      const inputs = bodyInputs(text, req.headers['content-type'], undefined);
      // Each device named in the body is charged its own messages, as if it had sent them itself.
      for (const [device, n] of messagesPerDevice(inputs)) {
        const limited = chargeDevice(ctx, device, n, 0);
        if (limited) return tooMany(reply, limited);
      }
      const outcomes = await ctx.pipeline.accept(inputs);
      return answer(reply, outcomes, inputs.length === 1 && !text.trimStart().startsWith('['));
    },
  );

  app.get(
    '/api/v1/devices/:id/telemetry',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Readings of a device in a time range (default: the last hour), columnar per metric; with points=N, downsampled buckets',
        description:
          'Without points: {device, from, to, series: {metric: {ts, value}}}. With points=N: {device, from, to, resolution: raw|1m|1h, bucketMs, ' +
          'series: {metric: {ts, min, max, avg, count}}}, at most N buckets per metric, served from raw readings or the coarsest rollup that fits.',
        params: DeviceIdParams,
        querystring: TelemetryQuery,
        response: { 200: Type.Union([rawAnswer, bucketAnswer]), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { from, to } = timeRange(req.query, 3600_000);
      const guard = ctx.readGuard ?? unguarded;
      const maxRows = ctx.readMaxRows;
      if (req.query.points !== undefined) {
        const points = req.query.points;
        const tz = checkTz(req.query.tz);
        const r = await guard.run(
          readCaller(req),
          async () => {
            const metrics = csvList(req.query.metric) ?? Object.keys(await ctx.store.telemetry.queryRange({ device: req.params.id, from: to, to, limit: 1 }));
            if (maxRows !== undefined && points * metrics.length > maxRows) throw readTooLarge(maxRows, 'points');
            return ctx.store.telemetry.queryBuckets({ device: req.params.id, metrics, from, to, points, tz });
          },
          (a) => Object.values(a.series).reduce((n, s) => n + s.ts.length, 0),
        );
        const unit = req.query.tsUnit;
        return answerAs(reply, bucketAnswer).send({
          device: req.params.id,
          from: tsIn(unit, from),
          to: tsIn(unit, to),
          resolution: r.resolution,
          bucketMs: r.bucketMs,
          series: seriesIn(unit, r.series),
        });
      }
      const series = await guard.run(
        readCaller(req),
        () =>
          ctx.store.telemetry.queryRange({ device: req.params.id, metrics: csvList(req.query.metric), from, to, limit: req.query.limit ?? 100_000, maxRows }),
        (a) => Object.values(a).reduce((n, s) => n + s.ts.length, 0),
      );
      const unit = req.query.tsUnit;
      return answerAs(reply, rawAnswer).send({ device: req.params.id, from: tsIn(unit, from), to: tsIn(unit, to), series: seriesIn(unit, series) });
    },
  );
}
