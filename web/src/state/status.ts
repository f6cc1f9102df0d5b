import type { MetricSpec } from '../../../src/model/device.js';

/** How a value sits against its profile's ranges. `none` when the profile gives no range. */
export type ValueStatus = 'normal' | 'warning' | 'alarm' | 'none';

/**
 * alarm: outside [min, max]; warning: outside [warnLow, warnHigh]; normal: inside what is given.
 * A bound the profile omits is open. A non-finite value is an alarm when any bound exists.
 */
export function valueStatus(value: number, spec: MetricSpec | undefined): ValueStatus {
  if (!spec) return 'none';
  const { min, max, warnLow, warnHigh } = spec;
  const hasRange = min !== undefined || max !== undefined || warnLow !== undefined || warnHigh !== undefined;
  if (!hasRange) return 'none';
  if (!Number.isFinite(value)) return 'alarm';
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) return 'alarm';
  if ((warnLow !== undefined && value < warnLow) || (warnHigh !== undefined && value > warnHigh)) return 'warning';
  return 'normal';
}

const rank: Record<ValueStatus, number> = { none: 0, normal: 1, warning: 2, alarm: 3 };

/** The worst of several statuses (alarm > warning > normal > none). */
export function worstStatus(statuses: Iterable<ValueStatus>): ValueStatus {
  let worst: ValueStatus = 'none';
  for (const s of statuses) if (rank[s] > rank[worst]) worst = s;
  return worst;
}
