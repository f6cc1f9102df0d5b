/** Rules, alarms and notifications as the API and the dashboard see them. Times are epoch ms (UTC). */

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
export interface ClearCondition {
  op: '<' | '>' | 'inside';
  value?: number;
  low?: number;
  high?: number;
}

export type RuleScope = 'all' | 'device' | 'profile';

export interface RuleInput {
  name: string;
  enabled?: boolean;
  severity: Severity;
  scope: RuleScope;
  /** Device id (scope device) or profile name (scope profile). */
  target?: string;
  kind: RuleKind;
  metric?: string;
  /** l2norm: the metric vector; default the analytics' vector for the device's profile. */
  metrics?: string[];
  /**
   * l2norm: the norm of each metric's z-score (its deviation over its own rolling spread) instead of
   * the raw values, so humidity at 60 % does not drown vibration at 0.1 g.
   */
  standardize?: boolean;
  op?: CompareOp;
  value?: number;
  low?: number;
  high?: number;
  /** Hysteresis: the alarm clears only once the signal is this far back inside the limit. */
  deadband?: number;
  clear?: ClearCondition;
  /** The raise condition must hold this long (on successive readings) before the alarm opens. */
  onDelayMs?: number;
  /** The clear condition must hold this long before the alarm clears. */
  offDelayMs?: number;
  /** nodata: silence that raises. */
  forMs?: number;
  description?: string;
}

export interface Rule extends Required<Pick<RuleInput, 'name' | 'severity' | 'scope' | 'kind'>> {
  id: string;
  enabled: boolean;
  target: string | null;
  metric: string | null;
  metrics: string[] | null;
  standardize: boolean;
  op: CompareOp;
  value: number | null;
  low: number | null;
  high: number | null;
  deadband: number;
  clear: ClearCondition | null;
  onDelayMs: number;
  offDelayMs: number;
  forMs: number | null;
  description: string | null;
  createdAt: number;
  updatedAt: number;
}

/** OPC UA / ThingsBoard lifecycle: active or cleared, acknowledged or not. */
export type AlarmStatus = 'active_unacked' | 'active_acked' | 'cleared_unacked' | 'cleared_acked';
export const ALARM_STATUSES: readonly AlarmStatus[] = ['active_unacked', 'active_acked', 'cleared_unacked', 'cleared_acked'];

/** An alarm about Fieldscope itself (store, spool, broker, serial port, channel, disk), not about a device's data. */
export const SYSTEM_KIND = 'system';
export const SYSTEM_DEVICE = 'system';

export interface Alarm {
  id: number;
  ruleId: string;
  ruleName: string;
  /** A rule's kind, or 'system' for a system alarm (its ruleId is `system:<component>`). */
  kind: RuleKind | typeof SYSTEM_KIND;
  device: string;
  metric: string | null;
  severity: Severity;
  status: AlarmStatus;
  /** Data time of the reading that raised it (nodata: last message + forMs). */
  raisedAt: number;
  /** Data time of the latest reading that still met the raise condition. */
  lastAt: number;
  /** Times the raise condition was met while open (1 at raise). */
  count: number;
  firstValue: number | null;
  lastValue: number | null;
  clearedAt: number | null;
  clearedBy: string | null;
  ackedAt: number | null;
  ackedBy: string | null;
  message: string;
}

export type AlarmEventType = 'raised' | 'acked' | 'cleared' | 'auto_cleared';

export interface AlarmEvent {
  id?: number;
  alarmId: number;
  at: number;
  type: AlarmEventType;
  by: string | null;
  comment: string | null;
  value: number | null;
}

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

export interface AlarmStats {
  total: number;
  open: number;
  byStatus: Record<AlarmStatus, number>;
  bySeverity: Record<Severity, number>;
  /** Open (active) alarms by severity. */
  openBySeverity: Record<Severity, number>;
}

export type ChannelType = 'websocket' | 'webhook' | 'slack' | 'email' | 'teams';

export interface NotificationRecord {
  id?: number;
  channel: string;
  createdAt: number;
  /** test, raised, cleared, acked, escalation (a batch may mix; comma-separated kinds) */
  kind: string;
  alarmIds: number[];
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastAttemptAt: number | null;
  error: string | null;
  summary: string;
}
