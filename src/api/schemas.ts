import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { ErrorSchema, DeviceSchema, LatestValueSchema, MetricSpecSchema, ProfileSchema, RawSeriesSchema, RejectedSchema } from '../model/schemas/common.js';
import {
  AlarmEventSchema,
  AlarmSchema,
  AlarmStatsSchema,
  BacktestResultSchema,
  LiveStatsSchema,
  NotificationSchema,
  RuleInputSchema,
  RuleSchema,
} from '../model/schemas/alarms.js';
import { DeviceCommandSchema, EquipmentSchema, FirmwareSchema, OtaJobSchema, RolloutSchema } from '../model/schemas/fleet.js';
import {
  BucketPageSchema,
  ManyBucketPageSchema,
  BucketSeriesSchema,
  DeviceStatsSchema,
  GroupRowsSchema,
  IngestResultSchema,
  TelemetryAnswerSchema,
} from '../model/schemas/telemetry.js';
import { DeviceRetentionSchema, ImportCheckpointSchema, ImportSummarySchema } from '../model/schemas/retention.js';
import { AuditEntrySchema } from '../model/schemas/auth.js';
import { HealthSchema } from '../model/schemas/health.js';
import { BundleViewSchema, ManifestSchema, ModelBacktestSchema, PredictionSchema } from '../model/schemas/models.js';
import { TopicMappingEntrySchema } from '../model/schemas/mappings.js';
import { LiveClientMessageSchema, LiveServerMessageSchema } from '../model/schemas/live.js';
import { Ref } from '../model/schemas/kit.js';

/**
 * The shapes routes refer to by name ({ $ref: 'Device#' }): registered once with the server, listed
 * once under components in the OpenAPI document. They are declared in src/model/schemas, where
 * their TypeScript types come from too.
 */

export const telemetryPayloadSchema = Type.Unsafe<unknown>({
  $id: 'TelemetryPayload',
  // No type here on purpose: the body reaches the route as text and the pipeline decodes it, so
  // HTTP answers exactly as MQTT would; this schema documents the shapes.
  description:
    'One device message: an object of metric -> number, plus optional ts (epoch s, epoch ms or ISO-8601), seq (integer), profile, device_id, status. Or a JSON array of them, or NDJSON (one per line, content-type application/x-ndjson).',
  examples: [
    { v: 5.02, a: 0.245, w: 1.23, ts: 1712345678, seq: 123, status: 'ok' },
    { device_id: 'sensor_001', temperature: 25.3, humidity: 60.5, timestamp: '2025-11-17T10:30:00Z' },
  ],
});

export const allSchemas = [
  RuleInputSchema,
  RuleSchema,
  AlarmSchema,
  AlarmEventSchema,
  AlarmStatsSchema,
  NotificationSchema,
  BacktestResultSchema,
  LiveStatsSchema,
  ErrorSchema,
  LatestValueSchema,
  DeviceSchema,
  RawSeriesSchema,
  MetricSpecSchema,
  ProfileSchema,
  RejectedSchema,
  telemetryPayloadSchema,
  EquipmentSchema,
  DeviceCommandSchema,
  FirmwareSchema,
  RolloutSchema,
  OtaJobSchema,
  IngestResultSchema,
  TelemetryAnswerSchema,
  BucketSeriesSchema,
  BucketPageSchema,
  ManyBucketPageSchema,
  GroupRowsSchema,
  DeviceStatsSchema,
  DeviceRetentionSchema,
  ImportSummarySchema,
  ImportCheckpointSchema,
  LiveClientMessageSchema,
  LiveServerMessageSchema,
  AuditEntrySchema,
  TopicMappingEntrySchema,
  HealthSchema,
  ManifestSchema,
  BundleViewSchema,
  PredictionSchema,
  ModelBacktestSchema,
];

/** The refusal every route may answer: `{ error, field, rule }`. */
export const errorRef = Ref(ErrorSchema);

/** An answer sent as a stream (an export, a firmware image): Fastify sends it as it is, the schema says what it holds. */
export function streamed(description: string, format?: 'binary') {
  return Type.Unsafe<Readable>({ type: 'string', ...(format ? { format } : {}), description });
}

/** The answer of a 204: no body. */
export const noContent = { type: 'null', description: 'No content' } as const;

export const errorResponses = {
  400: errorRef,
  404: errorRef,
} as const;

/**
 * Serialises this answer with one of the route's documented shapes (a response declared as a union of
 * shapes would be checked against each in turn, the whole answer each time). The schema object must
 * be a constant: Fastify compiles it once per route.
 */
export function answerAs(reply: FastifyReply, schema: TSchema): FastifyReply {
  return reply.serializer(reply.compileSerializationSchema(schema, '200'));
}
