/** Rules, alarms and notifications as the API and the dashboard see them. Times are epoch ms (UTC). */
import type { Static } from '@sinclair/typebox';
import type {
  AlarmEventSchema,
  AlarmSchema,
  AlarmStatsSchema,
  AlarmGroupStatsSchema,
  BacktestAlarmSchema,
  BacktestResultSchema,
  ChannelSchema,
  ClearConditionSchema,
  NotificationSchema,
  RuleInputSchema,
  RuleSchema,
} from './schemas/alarms.js';

export type Severity = 'critical' | 'major' | 'minor' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'warning', 'info'];

/**
 * What a rule watches. Every kind except `nodata` yields one number per device message (the
 * signal), which is then compared like a threshold, so deadband, clear condition and delays work
 * the same for all of them.
 *  - threshold: the metric's value
 *  - rate: the metric's rate of change, units per second (signed)
 *  - zscore: |z| of the metric's value against its rolling window
 *  - l2norm: L2 norm of the device's metric vector (the rule's `metrics`, else its profile's)
 *  - seqgap: sequence numbers missing in the last minute
 *  - nodata: no message for `forMs`
 */
export type RuleKind = 'threshold' | 'rate' | 'zscore' | 'l2norm' | 'seqgap' | 'nodata';
export const RULE_KINDS: readonly RuleKind[] = ['threshold', 'rate', 'zscore', 'l2norm', 'seqgap', 'nodata'];

export type CompareOp = '>' | '<' | 'outside';

/** An explicit clear condition: the alarm clears only when this holds (instead of the deadband). */
export type ClearCondition = Static<typeof ClearConditionSchema>;

export type RuleScope = 'all' | 'device' | 'profile';

/** A rule as sent (POST/PUT /rules); the shape is declared once in schemas/alarms.ts. */
export type RuleInput = Static<typeof RuleInputSchema>;

/** A rule as stored and answered: every field present, null where unset. */
export type Rule = Static<typeof RuleSchema>;

/** OPC UA / ThingsBoard lifecycle: active or cleared, acknowledged or not. */
export type AlarmStatus = 'active_unacked' | 'active_acked' | 'cleared_unacked' | 'cleared_acked';
export const ALARM_STATUSES: readonly AlarmStatus[] = ['active_unacked', 'active_acked', 'cleared_unacked', 'cleared_acked'];

/** An alarm about Fieldscope itself (store, spool, broker, serial port, channel, disk), not about a device's data. */
export const SYSTEM_KIND = 'system';
export const SYSTEM_DEVICE = 'system';

export type Alarm = Static<typeof AlarmSchema>;

export type AlarmEventType = 'raised' | 'acked' | 'cleared' | 'auto_cleared';
export const ALARM_EVENT_TYPES: readonly AlarmEventType[] = ['raised', 'acked', 'cleared', 'auto_cleared'];

export type AlarmEvent = Static<typeof AlarmEventSchema>;

export type AlarmOrigin = 'system' | 'device';
export const ALARM_ORIGINS: readonly AlarmOrigin[] = ['system', 'device'];

export interface AlarmQuery {
  status?: AlarmStatus[];
  severity?: Severity[];
  device?: string;
  ruleId?: string;
  /** system: only system alarms; device: only alarms from rules. */
  origin?: AlarmOrigin;
  /** raisedAt range */
  from?: number;
  to?: number;
  limit: number;
}

export type AlarmStats = Static<typeof AlarmStatsSchema>;
export type AlarmGroupStats = Static<typeof AlarmGroupStatsSchema>;

export type ChannelType = 'websocket' | 'webhook' | 'slack' | 'email' | 'teams';

export type NotificationRecord = Static<typeof NotificationSchema>;

/** A configured notification channel and its policy, as GET /notifications lists it. */
export type NotificationChannel = Static<typeof ChannelSchema>;

/** An alarm a rule would have raised in a backtest. Times are data times (reading ts). */
export type BacktestAlarm = Static<typeof BacktestAlarmSchema>;
/** What a backtest answers (POST /rules/{id}/backtest). */
export type BacktestResult = Static<typeof BacktestResultSchema>;
