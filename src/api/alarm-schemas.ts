/** JSON schemas of analytics, rules, alarms and notifications (registered with the others in schemas.ts). */
import { ALARM_STATUSES, RULE_KINDS, SEVERITIES } from '../model/alarm.js';

const num = { type: 'number' } as const;
const nnum = { type: ['number', 'null'] } as const;
const severity = { type: 'string', enum: [...SEVERITIES] } as const;

const ruleFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  enabled: { type: 'boolean', default: true },
  severity,
  scope: { type: 'string', enum: ['all', 'device', 'profile'], description: 'which devices the rule watches' },
  target: { type: 'string', minLength: 1, maxLength: 128, description: 'device id (scope device) or profile name (scope profile)' },
  kind: {
    type: 'string',
    enum: [...RULE_KINDS],
    description:
      'threshold: value; rate: units/s; zscore: |z|; l2norm: norm of the metric vector; seqgap: missing seqs in the last minute; nodata: silence for forMs',
  },
  metric: { type: 'string', minLength: 1, maxLength: 128, description: 'threshold, rate, zscore' },
  metrics: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    maxItems: 64,
    description: 'l2norm: the vector (default: the profile vector from config)',
  },
  standardize: { type: 'boolean', default: false, description: "l2norm: norm of the metrics' rolling z-scores instead of their raw values" },
  op: { type: 'string', enum: ['>', '<', 'outside'], default: '>' },
  value: num,
  low: num,
  high: num,
  deadband: { type: 'number', minimum: 0, description: 'hysteresis: clears only this far back inside the limit' },
  clear: {
    type: 'object',
    description: 'explicit clear condition (replaces the deadband)',
    properties: { op: { type: 'string', enum: ['<', '>', 'inside'] }, value: num, low: num, high: num },
    required: ['op'],
    additionalProperties: false,
  },
  onDelayMs: { type: 'integer', minimum: 0, maximum: 86_400_000, description: 'the raise condition must hold this long (confirmed by readings)' },
  offDelayMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
  forMs: { type: 'integer', minimum: 100, maximum: 30 * 86_400_000, description: 'nodata: silence that raises' },
  description: { type: 'string', maxLength: 2000 },
} as const;

export const ruleInputSchema = {
  $id: 'RuleInput',
  type: 'object',
  properties: ruleFields,
  required: ['name', 'severity', 'scope', 'kind'],
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
} as const;

const n = (s: object) => ({ anyOf: [s, { type: 'null' }] });

export const ruleSchema = {
  $id: 'Rule',
  type: 'object',
  properties: {
    id: { type: 'string' },
    ...ruleFields,
    target: { type: ['string', 'null'] },
    metric: { type: ['string', 'null'] },
    metrics: n({ type: 'array', items: { type: 'string' } }),
    value: nnum,
    low: nnum,
    high: nnum,
    clear: n(ruleFields.clear),
    forMs: { type: ['integer', 'null'] },
    description: { type: ['string', 'null'] },
    createdAt: num,
    updatedAt: num,
  },
} as const;

export const alarmSchema = {
  $id: 'Alarm',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    ruleId: { type: 'string' },
    ruleName: { type: 'string' },
    kind: { type: 'string' },
    device: { type: 'string' },
    metric: { type: ['string', 'null'] },
    severity,
    status: { type: 'string', enum: [...ALARM_STATUSES] },
    raisedAt: { type: 'number', description: 'data time of the raising reading, epoch ms' },
    lastAt: num,
    count: { type: 'integer' },
    firstValue: nnum,
    lastValue: nnum,
    clearedAt: nnum,
    clearedBy: { type: ['string', 'null'] },
    ackedAt: nnum,
    ackedBy: { type: ['string', 'null'] },
    message: { type: 'string' },
  },
} as const;

export const alarmEventSchema = {
  $id: 'AlarmEvent',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    alarmId: { type: 'integer' },
    at: num,
    type: { type: 'string', enum: ['raised', 'acked', 'cleared', 'auto_cleared'] },
    by: { type: ['string', 'null'] },
    comment: { type: ['string', 'null'] },
    value: nnum,
  },
} as const;

const countMap = (keys: readonly string[]) => ({ type: 'object', properties: Object.fromEntries(keys.map((k) => [k, { type: 'integer' }])) });
export const alarmStatsSchema = {
  $id: 'AlarmStats',
  type: 'object',
  properties: {
    total: { type: 'integer' },
    open: { type: 'integer' },
    byStatus: countMap(ALARM_STATUSES),
    bySeverity: countMap(SEVERITIES),
    openBySeverity: countMap(SEVERITIES),
  },
} as const;

export const notificationSchema = {
  $id: 'Notification',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    channel: { type: 'string' },
    createdAt: num,
    kind: { type: 'string', description: 'raised, cleared, auto_cleared, acked, escalation, test (comma-separated when grouped)' },
    alarmIds: { type: 'array', items: { type: 'integer' } },
    status: { type: 'string', enum: ['pending', 'sent', 'failed'] },
    attempts: { type: 'integer' },
    lastAttemptAt: nnum,
    error: { type: ['string', 'null'] },
    summary: { type: 'string' },
  },
} as const;

export const backtestResultSchema = {
  $id: 'BacktestResult',
  type: 'object',
  properties: {
    ruleId: { type: 'string' },
    from: num,
    to: num,
    devices: { type: 'array', items: { type: 'string' } },
    readings: { type: 'integer' },
    messages: { type: 'integer' },
    truncated: { type: 'boolean' },
    alarms: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          device: { type: 'string' },
          raisedAt: num,
          clearedAt: nnum,
          count: { type: 'integer' },
          firstValue: nnum,
          lastValue: nnum,
          lastAt: num,
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const liveStatsSchema = {
  $id: 'LiveStats',
  type: 'object',
  properties: {
    device: { type: 'string' },
    ts: { type: ['number', 'null'], description: 'newest reading; every window ends here' },
    seq: { type: ['integer', 'null'] },
    metrics: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          metric: { type: 'string' },
          ts: num,
          current: num,
          min1m: num,
          max1m: num,
          avg1m: num,
          count1m: { type: 'integer' },
          ma1m: num,
          ma5m: num,
          ma15m: num,
          rate: { type: ['number', 'null'], description: 'units per second since the previous reading' },
          zscore: { type: ['number', 'null'], description: 'against the rolling window before this reading; null until 10 samples' },
        },
      },
    },
    l2: n({ type: 'object', properties: { metrics: { type: 'array', items: { type: 'string' } }, value: nnum } }),
    seqGaps1m: { type: 'integer' },
  },
} as const;

export const alarmSchemas = [
  ruleInputSchema,
  ruleSchema,
  alarmSchema,
  alarmEventSchema,
  alarmStatsSchema,
  notificationSchema,
  backtestResultSchema,
  liveStatsSchema,
];
