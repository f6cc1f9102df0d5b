import type { Rule } from '../../../src/model/alarm.js';
import type { Profile } from '../../../src/model/device.js';

/** A threshold worth a line on the chart, before it is labelled for a language. */
export interface ThresholdSpec {
  metric: string;
  value: number;
  kind: 'warn' | 'limit' | 'rule';
  side: 'low' | 'high';
  /** warnLow, warnHigh, min, max, or the rule's name. */
  source: 'warnLow' | 'warnHigh' | 'min' | 'max' | { rule: string };
}

/**
 * The thresholds of a device's chart: its profile's normal range (warnLow/warnHigh) and valid
 * range (min/max), and the enabled threshold rules that apply to it (its own, its profile's, all
 * devices'), for the metrics charted. Enum metrics have no thresholds worth a line.
 */
export function chartThresholds(device: string, profile: Profile | undefined, rules: Rule[], metrics: string[]): ThresholdSpec[] {
  const out: ThresholdSpec[] = [];
  for (const m of metrics) {
    const spec = profile?.metrics[m];
    if (!spec || spec.labels) continue;
    if (spec.warnLow !== undefined) out.push({ metric: m, value: spec.warnLow, kind: 'warn', side: 'low', source: 'warnLow' });
    if (spec.warnHigh !== undefined) out.push({ metric: m, value: spec.warnHigh, kind: 'warn', side: 'high', source: 'warnHigh' });
    if (spec.min !== undefined) out.push({ metric: m, value: spec.min, kind: 'limit', side: 'low', source: 'min' });
    if (spec.max !== undefined) out.push({ metric: m, value: spec.max, kind: 'limit', side: 'high', source: 'max' });
  }
  for (const r of rules) {
    if (!r.enabled || r.kind !== 'threshold' || !r.metric || !metrics.includes(r.metric)) continue;
    if (profile?.metrics[r.metric]?.labels) continue;
    const applies = r.scope === 'all' || (r.scope === 'device' && r.target === device) || (r.scope === 'profile' && !!profile && r.target === profile.name);
    if (!applies) continue;
    const src = { rule: r.name };
    if (r.op === 'outside') {
      if (r.low != null) out.push({ metric: r.metric, value: r.low, kind: 'rule', side: 'low', source: src });
      if (r.high != null) out.push({ metric: r.metric, value: r.high, kind: 'rule', side: 'high', source: src });
    } else if (r.value != null) out.push({ metric: r.metric, value: r.value, kind: 'rule', side: r.op === '>' ? 'high' : 'low', source: src });
  }
  return out;
}
