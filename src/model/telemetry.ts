import type { Static } from '@sinclair/typebox';
import type { RawSeriesSchema, RejectedSchema } from './schemas/common.js';
import type {
  BucketPageSchema,
  ManyBucketPageSchema,
  BucketSeriesSchema,
  DeviceStatsSchema,
  GroupRowSchema,
  IngestResultSchema,
  SeriesStatsSchema,
  TelemetryAnswerSchema,
  TsUnitParam,
} from './schemas/telemetry.js';

/** Columnar series as the telemetry API returns them: ts[i] pairs with value[i]. */
export type RawSeries = Static<typeof RawSeriesSchema>;

/** A dead letter as GET /rejected answers it (a stored refused message, with its id). */
export type RejectedView = Static<typeof RejectedSchema>;

/** GET /devices/{id}/telemetry: raw readings of a device, columnar per metric. */
export type TelemetryResponse = Static<typeof TelemetryAnswerSchema>;

/** Columnar buckets: ts[i] (bucket start) pairs with min[i], max[i], avg[i], count[i]; empty buckets are left out. */
export type BucketSeries = Static<typeof BucketSeriesSchema>;

/** GET /devices/{id}/telemetry?points=N: downsampled history. */
export type BucketPage = Static<typeof BucketPageSchema>;

/** GET /telemetry/buckets: the same buckets for many devices. */
export type ManyBucketPage = Static<typeof ManyBucketPageSchema>;

/** The unit of every ts in an answer: ms with a fraction for µs (default), or whole µs. */
export type TsUnit = Static<typeof TsUnitParam>;

/** One reading of a group read (telemetry/recent, telemetry/range) and of an export. */
export type GroupRow = Static<typeof GroupRowSchema>;

/** Statistics of one metric over a range (percentiles null when served from rollups). */
export type SeriesStats = Static<typeof SeriesStatsSchema>;
export type DeviceStatsAnswer = Static<typeof DeviceStatsSchema>;

/** What an HTTP ingest answers: messages stored, their readings, and the records refused. */
export type IngestResult = Static<typeof IngestResultSchema>;
