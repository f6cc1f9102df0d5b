/**
 * Shapes of devices, profiles, readings and refusals, declared once: the server validates and
 * serialises with them, the OpenAPI document lists them, and src/model and the dashboard take their
 * TypeScript types from them (Static<>). Imported by the dashboard as types only.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Dict, ID_PATTERN, NAME_PATTERN, Nullable, Ref, StringEnum } from './kit.js';
import { RuleInputSchema } from './alarms.js';
import { MAX_RETENTION_HOURS } from '../retention.js';

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'What is wrong, in words' }),
    field: Type.Optional(Type.String({ description: 'The field at fault' })),
    rule: Type.Optional(Type.String({ description: 'The rule it broke (machine-readable)' })),
  },
  { $id: 'Error' },
);

export const LatestValueSchema = Type.Object(
  {
    ts: Type.Number({ description: 'epoch ms, UTC, with a fraction down to the µs (integer epoch µs with tsUnit=us)' }),
    value: Type.Number(),
  },
  { $id: 'LatestValue' },
);

export const DeviceSchema = Type.Object(
  {
    id: Type.String(),
    profile: Nullable(Type.String()),
    firstSeen: Type.Number({ description: 'epoch ms' }),
    lastSeen: Type.Number({ description: 'epoch ms' }),
    online: Type.Boolean(),
    latest: Dict(Ref(LatestValueSchema)),
    attributes: Type.Optional(
      Dict(Type.Union([Type.String(), Type.Boolean()]), {
        description: 'text sent beside the numbers (status, fw) or carried by a mapped topic (site, line): the latest of each since the server started',
      }),
    ),
    name: Type.Optional(Nullable(Type.String({ description: 'what people call it (PUT/PATCH /api/v1/devices/{id})' }))),
    location: Type.Optional(Nullable(Type.String())),
    tags: Type.Optional(Type.Array(Type.String())),
    equipment: Type.Optional(Nullable(Type.String({ description: 'id of the equipment this sensor belongs to' }))),
    notes: Type.Optional(Nullable(Type.String())),
  },
  { $id: 'Device' },
);

export const RawSeriesSchema = Type.Object(
  {
    ts: Type.Array(Type.Number(), { description: 'epoch ms with a fraction down to the µs (integer epoch µs with tsUnit=us)' }),
    value: Type.Array(Type.Number()),
  },
  { $id: 'RawSeries', description: 'Columnar points: ts[i] pairs with value[i], ascending in time' },
);

/** Text in each of the dashboard's languages; a plain string serves all. */
export const LocalTextSchema = Type.Union([
  Type.String({ maxLength: 200 }),
  Type.Object({ en: Type.String({ maxLength: 200 }), ko: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
]);

export const MetricSpecSchema = Type.Object(
  {
    unit: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    /** Values outside [warnLow, warnHigh] are shown as a warning. */
    warnLow: Type.Optional(Type.Number()),
    warnHigh: Type.Optional(Type.Number()),
    /** What people call the metric, per language. */
    displayName: Type.Optional(LocalTextSchema),
    /** An enum metric: what each value means (fault_type 3 -> "unbalance + looseness"). */
    labels: Type.Optional(
      Dict(LocalTextSchema, {
        description: 'an enum metric: what each value means, e.g. {"0":"normal","3":{"en":"unbalance + looseness","ko":"불평형 + 풀림"}}',
        propertyNames: { pattern: '^-?\\d{1,9}$' },
      }),
    ),
  },
  { $id: 'MetricSpec', additionalProperties: false },
);

export const CommandSpecSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    /** Parameter names and what they mean, for people; the device checks them. */
    params: Type.Optional(Dict(Type.String())),
  },
  { additionalProperties: false },
);

/**
 * A rule of a profile's pack. Only its key is checked here: the rest is a RuleInput's, checked when
 * the pack is installed, and kept in answers so a profile read can be saved back.
 */
export const RulePackEntrySchema = Type.Unsafe<
  Omit<Static<typeof RuleInputSchema>, 'scope' | 'target'> & { /** Unique within the profile; the rule's id is pack:<profile>:<key>. */ key: string }
>({
  type: 'object',
  properties: { key: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' } },
  required: ['key', 'name', 'severity', 'kind'],
  additionalProperties: true,
});

export const ProfileSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN }),
    description: Type.Optional(Type.String()),
    /** What people call devices of this profile, per language. */
    displayName: Type.Optional(LocalTextSchema),
    rules: Type.Optional(
      Type.Array(RulePackEntrySchema, {
        maxItems: 100,
        description:
          "the profile's rule pack: rules for every device of the profile, installed once (enabled) on the first start that sees the profile; then editable and removable like any rule (id pack:<profile>:<key>)",
      }),
    ),
    metrics: Dict(Ref(MetricSpecSchema)),
    /** What to do with a metric the profile does not name. */
    unknownMetrics: Type.Optional(StringEnum(['accept', 'flag', 'reject'])),
    /** What to do with a value outside [min, max]. */
    outOfRange: Type.Optional(StringEnum(['reject', 'flag'])),
    /** A device is offline after this long without a message. */
    offlineAfterMs: Type.Optional(Type.Integer({ minimum: 1000 })),
    rawRetentionHours: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: MAX_RETENTION_HOURS,
        description: "raw readings of the profile's devices are kept this long (hours; changing it needs the admin role); imported history is kept regardless",
      }),
    ),
    commands: Type.Optional(
      Dict(CommandSpecSchema, {
        description: 'Commands the device understands beyond set_interval, set_threshold and reboot',
        propertyNames: { pattern: NAME_PATTERN },
      }),
    ),
  },
  { $id: 'Profile' },
);

export const RejectedSchema = Type.Object(
  {
    id: Type.Integer(),
    at: Type.Number({ description: 'receive time, epoch ms' }),
    source: Type.String(),
    device: Nullable(Type.String()),
    field: Type.String(),
    rule: Type.String(),
    error: Type.String(),
    payload: Type.String({ description: 'raw payload as received (cut at 16 KiB)' }),
  },
  { $id: 'Rejected' },
);

/** A time given as epoch ms, epoch s, or ISO-8601 text. */
export const TimeParam = Type.String({ description: 'epoch ms, epoch s, or ISO-8601' });

/** `/:id` of a device. */
export const DeviceIdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
