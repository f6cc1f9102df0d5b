/** Columnar series as the telemetry API returns them: ts[i] pairs with value[i]. */
export interface RawSeries {
  ts: number[];
  value: number[];
}

export interface TelemetryResponse {
  device: string;
  from: number;
  to: number;
  series: Record<string, RawSeries>;
}
