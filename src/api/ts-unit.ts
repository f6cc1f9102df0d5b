import type { TsUnit } from '../model/telemetry.js';
import { msToMicros } from '../model/time.js';

/**
 * How a response writes reading times (the query parameter is TsUnitParam in
 * model/schemas/telemetry.ts). ms (the default): epoch milliseconds, with a fraction when the reading
 * has microseconds (1714122000000.5). us: whole epoch microseconds (1714122000000500), for clients
 * that want integers; every `ts` of the response is in that unit.
 */
export type { TsUnit };

/** A time in the unit asked for. */
export function tsIn(unit: TsUnit | undefined, ts: number): number {
  return unit === 'us' ? msToMicros(ts) : ts;
}

/** Rewrites columnar ts arrays (series: {metric: {ts: [...]}}), in place. */
export function seriesIn<T extends { ts: number[] }>(unit: TsUnit | undefined, series: Record<string, T>): Record<string, T> {
  if (unit === 'us') for (const s of Object.values(series)) s.ts = s.ts.map(msToMicros);
  return series;
}
