/** Rules, alarms, notifications and live analytics, declared once (types in model/alarm.ts and model/live.ts). */
import { Type } from '@sinclair/typebox';
import { ALARM_EVENT_TYPES, ALARM_STATUSES, RULE_KINDS, SEVERITIES, SYSTEM_KIND } from '../alarm.js';
import { Dict, Nullable, StringEnum } from './kit.js';

const num = Type.Number();
const Severity = StringEnum(SEVERITIES);

export const ClearConditionSchema = Type.Object(
  { op: StringEnum(['<', '>', 'inside']), value: Type.Optional(num), low: Type.Optional(num), high: Type.Optional(num) },
  { description: 'explicit clear condition (replaces the deadband)', additionalProperties: false },
);

const ruleFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  enabled: Type.Boolean({ default: true }),
  severity: Severity,
  scope: StringEnum(['all', 'device', 'profile'], { description: 'which devices the rule watches' }),
  target: Type.String({ minLength: 1, maxLength: 128, description: 'device id (scope device) or profile name (scope profile)' }),
  kind: StringEnum(RULE_KINDS, {
    description:
      'threshold: value; rate: units/s; zscore: |z|; l2norm: norm of the metric vector; seqgap: missing seqs in the last minute; nodata: silence for forMs',
  }),
  metric: Type.String({ minLength: 1, maxLength: 128, description: 'threshold, rate, zscore' }),
  metrics: Type.Array(Type.String({ minLength: 1 }), { maxItems: 64, description: 'l2norm: the vector (default: the profile vector from config)' }),
  standardize: Type.Boolean({ default: false, description: "l2norm: norm of the metrics' rolling z-scores instead of their raw values" }),
  op: StringEnum(['>', '<', 'outside'], { default: '>' }),
  value: num,
  low: num,
  high: num,
  deadband: Type.Number({ minimum: 0, description: 'hysteresis: clears only this far back inside the limit' }),
  clear: ClearConditionSchema,
  onDelayMs: Type.Integer({ minimum: 0, maximum: 86_400_000, description: 'the raise condition must hold this long (confirmed by readings)' }),
  offDelayMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
  forMs: Type.Integer({ minimum: 100, maximum: 30 * 86_400_000, description: 'nodata: silence that raises' }),
  description: Type.String({ maxLength: 2000 }),
};

const O = Type.Optional;
export const RuleInputSchema = Type.Object(
  {
    name: ruleFields.name,
    enabled: O(ruleFields.enabled),
    severity: ruleFields.severity,
    scope: ruleFields.scope,
    target: O(ruleFields.target),
    kind: ruleFields.kind,
    metric: O(ruleFields.metric),
    metrics: O(ruleFields.metrics),
    standardize: O(ruleFields.standardize),
    op: O(ruleFields.op),
    value: O(ruleFields.value),
    low: O(ruleFields.low),
    high: O(ruleFields.high),
    deadband: O(ruleFields.deadband),
    clear: O(ruleFields.clear),
    onDelayMs: O(ruleFields.onDelayMs),
    offDelayMs: O(ruleFields.offDelayMs),
    forMs: O(ruleFields.forMs),
    description: O(ruleFields.description),
  },
  {
    $id: 'RuleInput',
    additionalProperties: false,
    examples: [
      {
        name: 'Hot motor',
        severity: 'major',
        scope: 'profile',
        target: 'factory',
        kind: 'threshold',
        metric: 'temperature',
        op: '>',
        value: 40,
        deadband: 2,
        onDelayMs: 10000,
      },
    ],
  },
);

export const RuleSchema = Type.Object(
  {
    id: Type.String(),
    ...ruleFields,
    target: Nullable(Type.String()),
    metric: Nullable(Type.String()),
    metrics: Nullable(Type.Array(Type.String())),
    value: Nullable(num),
    low: Nullable(num),
    high: Nullable(num),
    clear: Nullable(ClearConditionSchema),
    forMs: Nullable(Type.Integer()),
    description: Nullable(Type.String()),
    createdAt: num,
    updatedAt: num,
  },
  { $id: 'Rule' },
);

export const AlarmSchema = Type.Object(
  {
    id: Type.Integer(),
    ruleId: Type.String(),
    ruleName: Type.String(),
    kind: StringEnum([...RULE_KINDS, SYSTEM_KIND], {
      description: "the rule's kind, or system for an alarm about Fieldscope itself (ruleId system:<component>)",
    }),
    device: Type.String(),
    metric: Nullable(Type.String()),
    severity: Severity,
    status: StringEnum(ALARM_STATUSES),
    raisedAt: Type.Number({ description: 'data time of the raising reading, epoch ms' }),
    lastAt: Type.Number({ description: 'data time of the latest reading that still met the raise condition' }),
    count: Type.Integer({ description: 'times the raise condition was met while open (1 at raise)' }),
    firstValue: Nullable(num),
    lastValue: Nullable(num),
    clearedAt: Nullable(num),
    clearedBy: Nullable(Type.String()),
    ackedAt: Nullable(num),
    ackedBy: Nullable(Type.String()),
    message: Type.String(),
  },
  { $id: 'Alarm' },
);

export const AlarmEventSchema = Type.Object(
  {
    id: O(Type.Integer()),
    alarmId: Type.Integer(),
    at: num,
    type: StringEnum(ALARM_EVENT_TYPES),
    by: Nullable(Type.String()),
    comment: Nullable(Type.String()),
    value: Nullable(num),
  },
  { $id: 'AlarmEvent' },
);

const countMap = <K extends readonly string[]>(keys: K) =>
  Type.Unsafe<Record<K[number], number>>({ type: 'object', properties: Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])) });
/** How long alarms took from being raised to being acknowledged or cleared (those that were). */
const DurationSchema = Type.Object({
  count: Type.Integer({ description: 'alarms that were acknowledged (or cleared)' }),
  meanMs: Nullable(num),
  maxMs: Nullable(num),
});
const groupFields = {
  count: Type.Integer({ description: 'alarms raised' }),
  occurrences: Type.Integer({ description: 'times the condition was seen, over those alarms (their count field)' }),
  open: Type.Integer({ description: 'not yet cleared' }),
  acked: Type.Integer(),
  toAck: DurationSchema,
  toClear: DurationSchema,
};
export const AlarmGroupStatsSchema = Type.Object({ ...groupFields, key: Type.String({ description: 'rule id or device id' }), name: Nullable(Type.String()) });
export const AlarmStatsSchema = Type.Object(
  {
    /** The period (on raisedAt) the figures cover: null ends are open. */
    from: Type.Optional(Nullable(num)),
    to: Type.Optional(Nullable(num)),
    total: Type.Integer(),
    open: Type.Integer(),
    byStatus: countMap(ALARM_STATUSES),
    bySeverity: countMap(SEVERITIES),
    /** Open (active) alarms by severity. */
    openBySeverity: countMap(SEVERITIES),
    /** Time to acknowledge and to clear, over every alarm of the period. */
    toAck: Type.Optional(DurationSchema),
    toClear: Type.Optional(DurationSchema),
    byRule: Type.Optional(Type.Array(AlarmGroupStatsSchema, { description: 'per rule, most alarms first (at most `limit`); name: the rule name' })),
    byDevice: Type.Optional(Type.Array(AlarmGroupStatsSchema, { description: 'per device, most alarms first (at most `limit`)' })),
    rules: Type.Optional(Type.Integer({ description: 'rules with alarms in the period (byRule may list fewer)' })),
    devices: Type.Optional(Type.Integer({ description: 'devices with alarms in the period (byDevice may list fewer)' })),
  },
  { $id: 'AlarmStats' },
);

export const NotificationSchema = Type.Object(
  {
    id: O(Type.Integer()),
    channel: Type.String(),
    createdAt: num,
    kind: Type.String({ description: 'raised, cleared, auto_cleared, acked, escalation, test (comma-separated when grouped)' }),
    alarmIds: Type.Array(Type.Integer()),
    status: StringEnum(['pending', 'sent', 'failed']),
    attempts: Type.Integer(),
    lastAttemptAt: Nullable(num),
    error: Nullable(Type.String()),
    summary: Type.String(),
  },
  { $id: 'Notification' },
);

/** How a channel notifies (notify/channel.ts ChannelPolicy; its config is in docs/alarms.md). */
export const ChannelPolicySchema = Type.Object({
  severities: Type.Array(Severity, { description: 'severities that notify on this channel' }),
  events: Type.Array(Type.String(), { description: "notice types that notify (raised, cleared, acked, escalation, test); 'cleared' covers auto-clears too" }),
  groupWindowMs: Type.Integer({ description: 'notices within this window go out as one message (0: at once)' }),
  minIntervalMs: Type.Integer({ description: 'at most one raise notice per (device, rule) within this interval' }),
  renotifyAfterMs: Type.Integer({ description: 'notify again while an alarm stays active and unacknowledged this long (0: never)' }),
  retries: Type.Integer({ description: 'attempts after the first, waiting backoffMs, 2x, 4x, ... between them' }),
  backoffMs: Type.Integer(),
});

/** A configured notification channel and its delivery policy (GET /notifications). */
export const ChannelSchema = Type.Object({ name: Type.String(), type: Type.String(), policy: ChannelPolicySchema });

export const BacktestAlarmSchema = Type.Object({
  device: Type.String(),
  raisedAt: num,
  /** null: still open at the end of the range. */
  clearedAt: Nullable(num),
  count: Type.Integer(),
  firstValue: Nullable(num),
  lastValue: Nullable(num),
  lastAt: num,
  message: Type.String(),
});

export const BacktestResultSchema = Type.Object(
  {
    ruleId: Type.String(),
    from: num,
    to: num,
    devices: Type.Array(Type.String()),
    readings: Type.Integer(),
    messages: Type.Integer(),
    /** true when a device had more readings than the replay limit: the range was cut. */
    truncated: Type.Boolean(),
    alarms: Type.Array(BacktestAlarmSchema),
  },
  { $id: 'BacktestResult' },
);

export const MetricStatsSchema = Type.Object({
  metric: Type.String(),
  ts: num,
  current: num,
  min1m: num,
  max1m: num,
  avg1m: num,
  count1m: Type.Integer(),
  ma1m: num,
  ma5m: num,
  ma15m: num,
  rate: Nullable(Type.Number({ description: 'units per second since the previous reading' })),
  zscore: Nullable(Type.Number({ description: 'against the rolling window before this reading; null until 10 samples' })),
});

export const LiveStatsSchema = Type.Object(
  {
    device: Type.String(),
    ts: Nullable(Type.Number({ description: 'newest reading; every window ends here' })),
    seq: Nullable(Type.Integer()),
    metrics: Dict(MetricStatsSchema),
    l2: Nullable(Type.Object({ metrics: Type.Array(Type.String()), value: Nullable(num) })),
    seqGaps1m: Type.Integer(),
  },
  { $id: 'LiveStats' },
);
