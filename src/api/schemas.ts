import { alarmSchemas } from './alarm-schemas.js';

/** JSON schemas for every shape the API takes or returns: one per shape, reused by routes and the OpenAPI document. */

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: { type: 'string', description: 'What is wrong, in words' },
    field: { type: 'string', description: 'The field at fault' },
    rule: { type: 'string', description: 'The rule it broke (machine-readable)' },
  },
  required: ['error'],
} as const;

export const latestValueSchema = {
  $id: 'LatestValue',
  type: 'object',
  properties: {
    ts: { type: 'number', description: 'epoch ms, UTC, with a fraction down to the µs (integer epoch µs with tsUnit=us)' },
    value: { type: 'number' },
  },
  required: ['ts', 'value'],
} as const;

export const deviceSchema = {
  $id: 'Device',
  type: 'object',
  properties: {
    id: { type: 'string' },
    profile: { type: ['string', 'null'] },
    firstSeen: { type: 'number', description: 'epoch ms' },
    lastSeen: { type: 'number', description: 'epoch ms' },
    online: { type: 'boolean' },
    latest: { type: 'object', additionalProperties: { $ref: 'LatestValue#' } },
    attributes: {
      type: 'object',
      additionalProperties: { type: ['string', 'boolean'] },
      description: 'text sent beside the numbers (status, fw) or carried by a mapped topic (site, line): the latest of each since the server started',
    },
    name: { type: ['string', 'null'], description: 'what people call it (PUT/PATCH /api/v1/devices/{id})' },
    location: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
    equipment: { type: ['string', 'null'], description: 'id of the equipment this sensor belongs to' },
    notes: { type: ['string', 'null'] },
  },
  required: ['id', 'profile', 'firstSeen', 'lastSeen', 'online', 'latest'],
} as const;

export const rawSeriesSchema = {
  $id: 'RawSeries',
  type: 'object',
  description: 'Columnar points: ts[i] pairs with value[i], ascending in time',
  properties: {
    ts: { type: 'array', items: { type: 'number' }, description: 'epoch ms with a fraction down to the µs (integer epoch µs with tsUnit=us)' },
    value: { type: 'array', items: { type: 'number' } },
  },
  required: ['ts', 'value'],
} as const;

const localText = {
  anyOf: [
    { type: 'string', maxLength: 200 },
    {
      type: 'object',
      properties: { en: { type: 'string', maxLength: 200 }, ko: { type: 'string', maxLength: 200 } },
      required: ['en'],
      additionalProperties: false,
    },
  ],
} as const;

export const metricSpecSchema = {
  $id: 'MetricSpec',
  type: 'object',
  properties: {
    unit: { type: 'string' },
    description: { type: 'string' },
    min: { type: 'number' },
    max: { type: 'number' },
    warnLow: { type: 'number' },
    warnHigh: { type: 'number' },
    displayName: localText,
    labels: {
      type: 'object',
      description: 'an enum metric: what each value means, e.g. {"0":"normal","3":{"en":"unbalance + looseness","ko":"불평형 + 풀림"}}',
      propertyNames: { pattern: '^-?\\d{1,9}$' },
      additionalProperties: localText,
    },
  },
  additionalProperties: false,
} as const;

export const profileSchema = {
  $id: 'Profile',
  type: 'object',
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.\\-]{0,63}$' },
    description: { type: 'string' },
    displayName: localText,
    rules: {
      type: 'array',
      maxItems: 100,
      description:
        "the profile's rule pack: rules for every device of the profile, installed once (enabled) on the first start that sees the profile; then editable and removable like any rule (id pack:<profile>:<key>)",
      // The other fields are a RuleInput's, checked when the pack is installed; kept in answers so a profile read can be saved back.
      items: {
        type: 'object',
        properties: { key: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' } },
        required: ['key', 'name', 'severity', 'kind'],
        additionalProperties: true,
      },
    },
    metrics: { type: 'object', additionalProperties: { $ref: 'MetricSpec#' } },
    unknownMetrics: { type: 'string', enum: ['accept', 'flag', 'reject'] },
    outOfRange: { type: 'string', enum: ['reject', 'flag'] },
    offlineAfterMs: { type: 'integer', minimum: 1000 },
    rawRetentionHours: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 876000,
      description: "raw readings of the profile's devices are kept this long (hours; changing it needs the admin role); imported history is kept regardless",
    },
    commands: {
      type: 'object',
      description: 'Commands the device understands beyond set_interval, set_threshold and reboot',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_.\\-]{0,63}$' },
      additionalProperties: {
        type: 'object',
        properties: { description: { type: 'string' }, params: { type: 'object', additionalProperties: { type: 'string' } } },
        additionalProperties: false,
      },
    },
  },
  required: ['name', 'metrics'],
} as const;

export const rejectedSchema = {
  $id: 'Rejected',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'number', description: 'receive time, epoch ms' },
    source: { type: 'string' },
    device: { type: ['string', 'null'] },
    field: { type: 'string' },
    rule: { type: 'string' },
    error: { type: 'string' },
    payload: { type: 'string', description: 'raw payload as received (cut at 16 KiB)' },
  },
} as const;

export const telemetryPayloadSchema = {
  $id: 'TelemetryPayload',
  // No type here on purpose: the body reaches the route as text and the pipeline decodes it, so
  // HTTP answers exactly as MQTT would; this schema documents the shapes.
  description:
    'One device message: an object of metric -> number, plus optional ts (epoch s, epoch ms or ISO-8601), seq (integer), profile, device_id, status. Or a JSON array of them, or NDJSON (one per line, content-type application/x-ndjson).',
  examples: [
    { v: 5.02, a: 0.245, w: 1.23, ts: 1712345678, seq: 123, status: 'ok' },
    { device_id: 'sensor_001', temperature: 25.3, humidity: 60.5, timestamp: '2025-11-17T10:30:00Z' },
  ],
} as const;

export const allSchemas = [
  ...alarmSchemas,
  errorSchema,
  latestValueSchema,
  deviceSchema,
  rawSeriesSchema,
  metricSpecSchema,
  profileSchema,
  rejectedSchema,
  telemetryPayloadSchema,
];

/** A time given as epoch ms, epoch s, or ISO-8601 text. */
export const timeParam = { type: 'string', description: 'epoch ms, epoch s, or ISO-8601' } as const;

export const deviceIdParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' } },
  required: ['id'],
} as const;

export const errorResponses = {
  400: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
} as const;
