/**
 * Model bundles, predictions, fitting and backtests (/api/v1/serve-ml, /api/v1/rul), declared once:
 * src/models takes its types from them, the routes validate and serialise with them, and the
 * dashboard's models screen imports the same types.
 */
import { Type } from '@sinclair/typebox';
import { AnyObject, Dict, ID_PATTERN, Nullable, Ref, StringEnum } from './kit.js';

const num = Type.Number();
const O = Type.Optional;

export const RUNTIMES = ['onnx', 'builtin', 'xgboost'] as const;
export const MODEL_KINDS = ['autoencoder', 'regressor', 'classifier', 'mahalanobis', 'degradation'] as const;
export const BUNDLE_ORIGINS = ['folder', 'upload', 'fitted'] as const;

export const ModelFileRefSchema = Type.Object({
  file: O(Type.String({ description: 'a file inside the bundle folder (onnx runtime); absent for builtin (parameters in params)' })),
  kind: StringEnum(MODEL_KINDS, { description: 'autoencoder (score = reconstruction error), regressor, classifier (class index), mahalanobis, degradation' }),
  runtime: O(StringEnum(RUNTIMES, { description: "this model's runtime when it differs from the bundle's" })),
  params: O(AnyObject()),
});

/**
 * An anomaly threshold that follows the device: the median of its recent normal scores plus k
 * robust standard deviations; until min_samples scores are in, the static anomaly_score decides.
 */
export const DynamicThresholdSchema = Type.Object({ window: num, k: num, min_samples: num, floor: O(num) });

/** A bundle's manifest.json: what the model applies to, what it reads, how inputs are scaled and what its outputs mean. */
export const ManifestSchema = Type.Object(
  {
    equipment_id: Nullable(Type.String({ description: 'the equipment (a device id) it applies to; null with profile: every device of the profile' })),
    profile: O(Nullable(Type.String())),
    power: Type.String({ description: 'power bucket: the folder name; power_range [low, high) picks it from a measured power' }),
    power_range: O(Nullable(Type.Array(num, { minItems: 2, maxItems: 2 }))),
    model_version: Type.String(),
    runtime: StringEnum(RUNTIMES),
    features: Type.Array(Type.String(), { description: 'input metrics, in the order the model reads them' }),
    window: Type.Integer({ description: 'time steps per window (1: one reading of each feature)' }),
    stride: O(Type.Integer({ description: 'live path: one prediction every stride new steps of a device (default 1)' })),
    scaler: Type.Object({ mean: Type.Array(num), std: Type.Array(num) }),
    models: Type.Object({ anomaly: O(ModelFileRefSchema), classifier: O(ModelFileRefSchema), rul: O(ModelFileRefSchema) }),
    outputs: O(Dict(Type.Object({ meaning: Type.String(), unit: Type.String() }))),
    thresholds: Type.Object({ anomaly_score: O(num), rul_days: O(num), anomaly_dynamic: O(DynamicThresholdSchema) }),
    training: O(
      Type.Object({
        from: O(Type.Union([Type.String(), num])),
        to: O(Type.Union([Type.String(), num])),
        metrics: O(AnyObject()),
        devices: O(Type.Array(Type.String())),
      }),
    ),
  },
  { $id: 'Manifest' },
);

/** A bundle as the serve-ml routes answer it. */
export const BundleViewSchema = Type.Object(
  {
    id: Type.String({ description: '<target>/<power>/<version>: target is the equipment id, or profile:<name>' }),
    equipment_id: Nullable(Type.String()),
    profile: Nullable(Type.String()),
    power: Type.String(),
    model_version: Type.String(),
    origin: StringEnum(BUNDLE_ORIGINS),
    active: Type.Boolean(),
    runtime: StringEnum(RUNTIMES),
    manifest: Ref(ManifestSchema),
  },
  { $id: 'Bundle' },
);

export const LoadErrorSchema = Type.Object({ dir: Type.String(), error: Type.String() });

/** What one run of a bundle on one window says. */
export const ModelOutputsSchema = Type.Object({
  anomaly_score: O(num),
  anomaly: O(Type.Integer({ description: '1: an anomaly' })),
  anomaly_threshold: O(Type.Number({ description: "the threshold the score was judged against (the bundle's, or the device's dynamic one)" })),
  class: O(Type.Integer()),
  rul_days: O(num),
  rul_days_low: O(num),
  rul_days_high: O(num),
  health_index: O(num),
});

export const PredictionSchema = Type.Object(
  {
    device: Type.String(),
    ts: num,
    bundle: Type.String(),
    power: Type.String(),
    model_version: Type.String(),
    threshold: O(num),
    via: StringEnum(['request', 'live'], { description: 'where the features came from' }),
    ...ModelOutputsSchema.properties,
  },
  { $id: 'Prediction' },
);

export const HEALTH_STATUSES = ['healthy', 'warning', 'critical', 'unknown'] as const;
/** GET /rul/health/{device}: the latest prediction and a status. */
export const DeviceHealthSchema = Type.Object({ ...PredictionSchema.properties, status: StringEnum(HEALTH_STATUSES) });

const Power = Type.Union([Type.String({ pattern: ID_PATTERN }), num]);
export const FeaturesSchema = Type.Unsafe<Record<string, number | number[]>>({
  type: 'object',
  minProperties: 1,
  maxProperties: 256,
  additionalProperties: { anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' }, maxItems: 100_000 }] },
  description: 'one step (numbers, appended to the device window) or a whole window (arrays, oldest first)',
});

export const PredictRequestSchema = Type.Object(
  {
    equipment_id: Type.String({ pattern: ID_PATTERN }),
    power: O(Power),
    model_version: O(Type.String({ pattern: ID_PATTERN })),
    features: FeaturesSchema,
  },
  { additionalProperties: false },
);

export const RulPredictRequestSchema = Type.Object(
  {
    device_id: Type.String({ pattern: ID_PATTERN }),
    power: O(Power),
    model_version: O(Type.String({ pattern: ID_PATTERN })),
    features: O(FeaturesSchema),
  },
  { additionalProperties: false },
);

export const FitRequestSchema = Type.Object(
  {
    device: Type.String({ pattern: ID_PATTERN, description: 'the device whose history is read; the bundle applies to it (or to profile)' }),
    profile: O(Type.String({ minLength: 1, maxLength: 64 })),
    features: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 64, uniqueItems: true }),
    from: Type.Number({ description: 'the window marked as healthy (epoch ms)' }),
    to: num,
    power: O(Type.String({ pattern: ID_PATTERN })),
    model_version: O(Type.String({ pattern: ID_PATTERN })),
    window: O(Type.Integer({ minimum: 1, maximum: 1000, description: 'steps the anomaly model averages over (default 10)' })),
    quantile: O(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'quantile of the healthy scores the threshold sits on (default 0.995)' })),
    margin: O(Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'times the quantile (default 1.2)' })),
    failure_threshold: O(Type.Number({ exclusiveMinimum: 0, description: 'RUL: health index at which the equipment counts as failed (default 6)' })),
    trend_steps: O(Type.Integer({ minimum: 3, maximum: 100_000, description: 'RUL: steps the degradation trend is fitted over (default 200)' })),
    failed_at: O(Type.Number({ description: 'RUL: when this device failed (epoch ms): the health index just before sets the failure threshold' })),
    failure_span_ms: O(
      Type.Integer({ minimum: 1000, description: 'RUL: the span before failed_at whose mean health index is the threshold (default 30 min)' }),
    ),
    max_rul_days: O(Type.Number({ exclusiveMinimum: 0, description: 'RUL: no prediction longer than this (default 365 days)' })),
    kinds: O(Type.Array(StringEnum(['anomaly', 'rul']), { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export const ModelBacktestRequestSchema = Type.Object(
  {
    id: Type.String({ maxLength: 400, description: 'the bundle' }),
    device: Type.String({ pattern: ID_PATTERN }),
    from: num,
    to: num,
    stride: O(Type.Integer({ minimum: 1, description: 'run every stride steps (default: so that about 500 windows run)' })),
    failed_at: O(Type.Number({ description: 'when the device failed (epoch ms): RUL error is measured against it' })),
  },
  { additionalProperties: false },
);

/** One replayed window of a backtest: its time and what the bundle said. */
export const ModelBacktestPointSchema = Type.Object({ ts: num, ...ModelOutputsSchema.properties });

export const ModelBacktestSchema = Type.Object(
  {
    bundle: Type.String(),
    device: Type.String(),
    steps: Type.Integer(),
    windows: Type.Integer(),
    anomalies: Type.Integer(),
    anomaly_rate: num,
    first_anomaly: Nullable(num),
    threshold: Nullable(num),
    dynamic_threshold: Nullable(DynamicThresholdSchema),
    rul_rmse_days: Nullable(num),
    points: Type.Array(ModelBacktestPointSchema),
  },
  { $id: 'ModelBacktest' },
);

export const ServingCountersSchema = Type.Object({
  predictions: Type.Integer(),
  live: Type.Integer(),
  requests: Type.Integer(),
  errors: Type.Integer(),
  skipped: Type.Integer(),
});

export const RulStatsSchema = Type.Object({
  devices: Type.Array(
    Type.Object({
      device: Type.String(),
      predictions: Type.Integer(),
      latest_rul_days: Nullable(num),
      min_rul_days: Nullable(num),
      mean_rul_days: Nullable(num),
      anomalies: Type.Integer(),
    }),
  ),
  counters: ServingCountersSchema,
  latency_ms: Type.Object({ p50: Nullable(num), p99: Nullable(num), samples: Type.Integer() }),
});

export const RulStatusSchema = Type.Object({
  bundles: Type.Integer(),
  rul_bundles: Type.Integer(),
  active: Type.Array(Type.String()),
  runtimes: Type.Array(Type.String(), { description: 'runtimes this server runs bundles with' }),
  counters: ServingCountersSchema,
  errors: Type.Array(LoadErrorSchema),
});

export const SyncResultSchema = Type.Object({ loaded: Type.Array(Type.String()), removed: Type.Array(Type.String()), errors: Type.Array(LoadErrorSchema) });
