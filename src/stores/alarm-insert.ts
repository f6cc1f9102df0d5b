import type { Alarm } from '../model/alarm.js';

/** An alarm row's columns in the order both engines insert them; `alarmInsertArgs` gives the values in the same order. */
export const ALARM_INSERT_COLUMNS =
  'rule_id, rule_name, kind, device, metric, severity, status, raised_at, last_at, count, first_value, last_value, cleared_at, cleared_by, acked_at, acked_by, message';

export function alarmInsertArgs(a: Omit<Alarm, 'id'>): (string | number | null)[] {
  return [
    a.ruleId,
    a.ruleName,
    a.kind,
    a.device,
    a.metric,
    a.severity,
    a.status,
    a.raisedAt,
    a.lastAt,
    a.count,
    a.firstValue,
    a.lastValue,
    a.clearedAt,
    a.clearedBy,
    a.ackedAt,
    a.ackedBy,
    a.message,
  ];
}
