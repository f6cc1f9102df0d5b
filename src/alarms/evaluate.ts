import type { Rule } from '../model/alarm.js';
import type { DeviceStats } from '../analytics/live-stats.js';
import { signalOf, verdict } from './rules.js';
import { initialTrigger, step, type TriggerAction, type TriggerState } from './trigger.js';

export interface Decision {
  rule: Rule;
  action: TriggerAction;
  before: TriggerState;
  after: TriggerState;
  value: number | null;
}

/**
 * One device message against every rule that applies to it (nodata excepted: silence has no
 * message). Pure: the same (rules, stats, trigger states) give the same decisions, live or in a
 * backtest. `triggers` is read, never written; callers keep the `after` states they accept.
 */
export function evaluateMessage(
  rules: readonly Rule[],
  stats: DeviceStats,
  changed: Record<string, number>,
  ts: number,
  profile: string | null,
  vectorFor: (profile: string | null) => string[] | null,
  triggerOf: (rule: Rule) => TriggerState | undefined,
): Decision[] {
  const out: Decision[] = [];
  for (const rule of rules) {
    if (rule.kind === 'nodata') continue;
    const signal = signalOf(rule, stats, changed, vectorFor, profile);
    if (signal === undefined) continue;
    const before = triggerOf(rule) ?? initialTrigger();
    // No signal yet (a z-score before its window fills): neither raise nor clear.
    const v = signal === null || !Number.isFinite(signal) ? 'hold' : verdict(rule, signal);
    const { state, action } = step(before, rule, v, ts);
    out.push({ rule, action, before, after: state, value: signal });
  }
  return out;
}
