/**
 * Ingest answers and history reads (series, buckets, group rows, statistics), declared once: the
 * routes validate and serialise with them, the OpenAPI document lists them, src/model/telemetry.ts
 * and the dashboard take their types from them.
 */
import { Type } from '@sinclair/typebox';
import { Dict, Nullable, Ref, StringEnum } from './kit.js';
import { ErrorSchema, RawSeriesSchema, TimeParam } from './common.js';

const num = Type.Number();
export const TS_DESCRIPTION = 'epoch ms, UTC, with a fraction down to the µs (integer epoch µs with tsUnit=us)';

/**
 * How a response writes reading times. ms (the default): epoch milliseconds, with a fraction when
 * the reading has microseconds (1714122000000.5). us: whole epoch microseconds (1714122000000500).
 */
/** How a live connection wants its messages (GET /api/v1/live?frames=). */
export const LiveFramesParam = StringEnum(['single', 'batch'], {
  default: 'single',
  description:
    'single: one WebSocket message per live message (the first protocol); batch: one {"type":"batch","messages":[...]} per turn of the server, in order',
});

/** Which live stats a connection wants (GET /api/v1/live?stats=). */
export const LiveStatsParam = StringEnum(['all', 'named'], {
  default: 'all',
  description:
    'all: stats of every device subscribed to, "*" included; named: stats only of devices subscribed to by id (a fleet view on "*" skips about 0.5 KB per device per second it does not show)',
});

export const TsUnitParam = StringEnum(['ms', 'us'], {
  default: 'ms',
  description: 'unit of every ts in the answer: ms = epoch ms with a fraction for µs (default), us = integer epoch µs',
});

export const TzParam = Type.String({ description: 'IANA time zone (e.g. Asia/Seoul) for hour/day bucket boundaries; UTC by default' });
const DEVICES = 'device ids separated by commas; an id ending in * matches by prefix (line1-*)';
export const DevicesParam = Type.String({ minLength: 1, description: DEVICES });
export const OrderParam = StringEnum(['asc', 'desc'], { default: 'desc', description: 'desc: the newest n of each device and metric; asc: the first n' });

/** A record of a batch the pipeline refused, by its place in the body. */
export const IngestRefusalSchema = Type.Object({ index: Type.Integer(), error: Type.String(), field: Type.String(), rule: Type.String() });

export const IngestResultSchema = Type.Object(
  {
    accepted: Type.Integer({ description: 'messages stored' }),
    readings: Type.Integer({ description: 'readings in the stored messages' }),
    rejected: Type.Array(IngestRefusalSchema),
  },
  { $id: 'IngestResult' },
);

/** A single refused message answers as an Error; a batch with nothing stored answers as the batch; a rate limit says what was stored before it. */
export const IngestRefusedSchema = Type.Object({
  ...ErrorSchema.properties,
  accepted: Type.Optional(Type.Integer()),
  readings: Type.Optional(Type.Integer()),
  rejected: Type.Optional(Type.Array(IngestRefusalSchema)),
});

/** GET /devices/{id}/telemetry without points: raw readings, columnar per metric. */
export const TelemetryAnswerSchema = Type.Object(
  {
    device: Type.String(),
    from: Type.Number({ description: TS_DESCRIPTION }),
    to: Type.Number({ description: TS_DESCRIPTION }),
    series: Dict(Ref(RawSeriesSchema)),
  },
  { $id: 'Telemetry' },
);

export const BucketSeriesSchema = Type.Object(
  {
    ts: Type.Array(num, { description: 'bucket starts' }),
    min: Type.Array(num),
    max: Type.Array(num),
    avg: Type.Array(num),
    count: Type.Array(Type.Integer()),
  },
  { $id: 'BucketSeries', description: 'Columnar buckets: ts[i] (bucket start) pairs with min[i], max[i], avg[i], count[i]; empty buckets are left out' },
);

export const RESOLUTIONS = ['raw', '1m', '1h'] as const;

/** GET /devices/{id}/telemetry?points=N: at most N buckets per metric, from raw readings or the coarsest rollup that fits. */
export const BucketPageSchema = Type.Object(
  {
    device: Type.String(),
    from: Type.Number({ description: TS_DESCRIPTION }),
    to: Type.Number({ description: TS_DESCRIPTION }),
    resolution: StringEnum(RESOLUTIONS),
    bucketMs: Type.Number({ description: 'bucket width; 0 or less: every point stands alone (raw readings)' }),
    series: Dict(Ref(BucketSeriesSchema)),
  },
  { $id: 'TelemetryBuckets' },
);

/** Most devices one GET /telemetry/buckets may name (a fleet table's screenful is about 50). */
export const MANY_BUCKET_DEVICES = 500;

/** GET /telemetry/buckets: the same buckets for many devices (a fleet table's rows on screen), one request. */
export const ManyBucketQuery = Type.Object({
  devices: Type.String({ description: `device ids separated by commas (no prefixes), at most ${MANY_BUCKET_DEVICES}` }),
  metric: Type.String({ description: 'metric name, or several separated by commas' }),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
  points: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 60, description: 'at most this many buckets per device and metric' })),
  completeness: Type.Optional(
    Type.Boolean({ default: false, description: "also each device's completeness over the range (expected, received, missing, ratio)" }),
  ),
  tz: Type.Optional(TzParam),
  tsUnit: Type.Optional(TsUnitParam),
});

export const ManyBucketPageSchema = Type.Object(
  {
    from: Type.Number({ description: TS_DESCRIPTION }),
    to: Type.Number({ description: TS_DESCRIPTION }),
    resolution: StringEnum(RESOLUTIONS),
    bucketMs: Type.Number({ description: 'bucket width; 0 or less: every point stands alone (raw readings)' }),
    devices: Dict(
      Type.Object({
        series: Dict(Ref(BucketSeriesSchema)),
        completeness: Type.Optional(
          Type.Object({
            expected: Type.Integer(),
            received: Type.Integer(),
            missing: Type.Integer(),
            ratio: Type.Number({ description: 'received / expected; 1 when nothing was expected' }),
          }),
        ),
      }),
      { description: 'by device id, every device asked for (one without readings has empty series; completeness only for known devices)' },
    ),
  },
  { $id: 'TelemetryBucketsMany' },
);

export const GroupRowSchema = Type.Object({ device: Type.String(), metric: Type.String(), ts: Type.Number({ description: TS_DESCRIPTION }), value: num });
export const GroupRowsSchema = Type.Object({ rows: Type.Array(GroupRowSchema) }, { $id: 'GroupRows' });

export const SeriesStatsSchema = Type.Object({
  count: Type.Integer(),
  min: Nullable(num),
  max: Nullable(num),
  avg: Nullable(num),
  stddev: Nullable(Type.Number({ description: 'sample standard deviation (n - 1)' })),
  p50: Nullable(Type.Number({ description: 'percentiles interpolated between ranks; null when served from rollups' })),
  p95: Nullable(num),
  p99: Nullable(num),
});

export const DeviceStatsSchema = Type.Object(
  {
    device: Type.String(),
    from: num,
    to: num,
    resolution: StringEnum(RESOLUTIONS, { description: 'raw, or 1m/1h when raw data has expired (percentiles are then null)' }),
    stats: Dict(SeriesStatsSchema),
  },
  { $id: 'DeviceStats' },
);

/** Query strings of the history reads. */
export const StatsQuery = Type.Object({
  metric: Type.Optional(Type.String({ description: 'metric names separated by commas; all when omitted' })),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
});

export const RecentQuery = Type.Object({
  devices: DevicesParam,
  metric: Type.Optional(Type.String({ description: 'metrics separated by commas; all when omitted' })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1 })),
  order: Type.Optional(OrderParam),
  tsUnit: Type.Optional(TsUnitParam),
});

export const RangeQuery = Type.Object({
  devices: DevicesParam,
  metric: Type.Optional(Type.String()),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 })),
  order: Type.Optional(OrderParam),
  offset_from: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 1e13, description: "ms after each device's first reading where its window starts (default 0; needs offset_to)" }),
  ),
  offset_to: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e13, description: "ms after each device's first reading where its window ends" })),
  tsUnit: Type.Optional(TsUnitParam),
});

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export const ExportQuery = Type.Object({
  devices: Type.Optional(Type.String({ minLength: 1, description: DEVICES + '; all devices when omitted' })),
  metrics: Type.Optional(Type.String()),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
  format: Type.Optional(StringEnum(EXPORT_FORMATS, { default: 'csv' })),
  tsUnit: Type.Optional(TsUnitParam),
});

export const TelemetryQuery = Type.Object({
  metric: Type.Optional(Type.String({ description: 'metric name, or several separated by commas; all when omitted' })),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100_000, description: 'most points per metric (newest kept)' })),
  points: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100_000,
      description: 'downsample: at most this many buckets per metric ({t,min,max,avg,count}), from raw data or rollups',
    }),
  ),
  tz: Type.Optional(TzParam),
  tsUnit: Type.Optional(TsUnitParam),
});
