import type { Static } from '@sinclair/typebox';
import { StringEnum } from '../model/schemas/kit.js';
import { msToMicros } from '../model/time.js';

/**
 * How a response writes reading times. ms (the default): epoch milliseconds, with a fraction when
 * the reading has microseconds (1714122000000.5). us: whole epoch microseconds (1714122000000500),
 * for clients that want integers; every `ts` of the response is in that unit.
 */
export const tsUnitParam = StringEnum(['ms', 'us'], {
  default: 'ms',
  description: 'unit of every ts in the answer: ms = epoch ms with a fraction for µs (default), us = integer epoch µs',
});
export type TsUnit = Static<typeof tsUnitParam>;

export const tsDescription = 'epoch ms, UTC, with a fraction down to the µs (integer epoch µs with tsUnit=us)';

/** A time in the unit asked for. */
export function tsIn(unit: TsUnit | undefined, ts: number): number {
  return unit === 'us' ? msToMicros(ts) : ts;
}

/** Rewrites the ts of each row, in place, to the unit (nothing to do for ms). */
export function rowsIn<T extends { ts: number }>(unit: TsUnit | undefined, rows: T[]): T[] {
  if (unit === 'us') for (const r of rows) r.ts = msToMicros(r.ts);
  return rows;
}

/** Rewrites columnar ts arrays (series: {metric: {ts: [...]}}), in place. */
export function seriesIn<T extends { ts: number[] }>(unit: TsUnit | undefined, series: Record<string, T>): Record<string, T> {
  if (unit === 'us') for (const s of Object.values(series)) s.ts = s.ts.map(msToMicros);
  return series;
}
