import type { Static } from '@sinclair/typebox';
import type { RawSeriesSchema, RejectedSchema } from './schemas/common.js';

/** Columnar series as the telemetry API returns them: ts[i] pairs with value[i]. */
export type RawSeries = Static<typeof RawSeriesSchema>;

/** A dead letter as GET /rejected answers it (a stored refused message, with its id). */
export type RejectedView = Static<typeof RejectedSchema>;

export interface TelemetryResponse {
  device: string;
  from: number;
  to: number;
  series: Record<string, RawSeries>;
}

/** Columnar buckets: ts[i] (bucket start) pairs with min[i], max[i], avg[i], count[i]; empty buckets are left out. */
export interface BucketSeries {
  ts: number[];
  min: number[];
  max: number[];
  avg: number[];
  count: number[];
}
