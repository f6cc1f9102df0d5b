/**
 * A model bundle's manifest (manifest.json in the bundle's folder): what the model applies to,
 * what it reads, how inputs are scaled and what its outputs mean. One schema for folder bundles,
 * uploads and fitted bundles alike, declared in model/schemas/models.ts; checked here, naming the
 * field and the rule.
 */
import type { Static } from '@sinclair/typebox';
import { DomainError } from '../model/errors.js';
import { MODEL_KINDS, RUNTIMES as RUNTIME_NAMES, type DynamicThresholdSchema, type ManifestSchema, type ModelFileRefSchema } from '../model/schemas/models.js';

/** A model file of a bundle and how to run it (declared once in model/schemas/models.ts). */
export type ModelFileRef = Static<typeof ModelFileRefSchema>;

export type RuntimeName = (typeof RUNTIME_NAMES)[number];
const RUNTIMES = new Set<RuntimeName>(RUNTIME_NAMES);

/**
 * An anomaly threshold that follows the device: the median of its recent normal scores plus k
 * robust standard deviations (1.4826 x MAD). Scores above it do not move it, so a lasting fault
 * cannot teach the model that it is normal. Until `min_samples` scores are in, the static
 * `anomaly_score` threshold (if any) decides; `floor` bounds it from below.
 */
export type DynamicThreshold = Static<typeof DynamicThresholdSchema>;

export type Manifest = Static<typeof ManifestSchema>;

/** A manifest that breaks a rule: the field is named inside the manifest (`manifest.window`), as the API answers it. */
export class ManifestError extends DomainError {
  constructor(message: string, field: string, rule: string) {
    super(400, message, `manifest.${field}`, rule);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const KINDS = new Set<string>(MODEL_KINDS);

/** Checks a parsed manifest.json; names the field and the rule it breaks. */
export function parseManifest(raw: unknown): Manifest {
  const fail = (field: string, rule: string, message: string): never => {
    throw new ManifestError(`manifest.${field}: ${message}`, field, rule);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('', 'object', 'must be a JSON object');
  const m = raw as Record<string, unknown>;
  const eq = m.equipment_id ?? null;
  if (eq !== null && (typeof eq !== 'string' || !NAME.test(eq))) fail('equipment_id', 'device_id', 'must be a device id (letters, digits, . _ : -)');
  const profile = m.profile ?? null;
  if (profile !== null && typeof profile !== 'string') fail('profile', 'string', 'must be a profile name');
  if (eq === null && profile === null) fail('equipment_id', 'required', 'a bundle applies to an equipment_id or a profile');
  const power = m.power === undefined ? 'default' : String(m.power);
  if (!NAME.test(power)) fail('power', 'name', 'must be a folder name (letters, digits, . _ : -)');
  if (typeof m.model_version !== 'string' || !NAME.test(m.model_version)) fail('model_version', 'name', 'must be a folder name (letters, digits, . _ : -)');
  const runtime = m.runtime ?? 'onnx';
  if (!RUNTIMES.has(runtime as RuntimeName)) fail('runtime', 'enum', `must be one of ${[...RUNTIMES].join(', ')}`);
  const features = m.features;
  if (!Array.isArray(features) || features.length === 0 || features.some((f) => typeof f !== 'string' || !f))
    fail('features', 'min_items', 'must list at least one metric name');
  const fs = features as string[];
  if (new Set(fs).size !== fs.length) fail('features', 'unique', 'names a metric twice');
  const window = m.window ?? 1;
  if (!Number.isInteger(window) || (window as number) < 1 || (window as number) > 10_000) fail('window', 'range', 'must be an integer 1..10000');
  const stride = m.stride ?? 1;
  if (!Number.isInteger(stride) || (stride as number) < 1 || (stride as number) > 100_000) fail('stride', 'range', 'must be an integer 1..100000');
  const scaler = (m.scaler ?? { mean: fs.map(() => 0), std: fs.map(() => 1) }) as { mean?: unknown; std?: unknown };
  for (const k of ['mean', 'std'] as const) {
    const v = scaler[k];
    if (!Array.isArray(v) || v.length !== fs.length || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
      fail(`scaler.${k}`, 'length', `must hold ${fs.length} finite numbers, one per feature`);
  }
  if ((scaler.std as number[]).some((s) => s <= 0)) fail('scaler.std', 'positive', 'every std must be > 0');
  const models = (m.models ?? {}) as Record<string, unknown>;
  if (typeof models !== 'object' || Array.isArray(models)) fail('models', 'object', 'must map anomaly/classifier/rul to a model');
  const out: Manifest['models'] = {};
  for (const role of ['anomaly', 'classifier', 'rul'] as const) {
    const ref = models[role] as ModelFileRef | undefined;
    if (ref === undefined) continue;
    if (!ref || typeof ref !== 'object' || !KINDS.has(ref.kind)) fail(`models.${role}.kind`, 'enum', `must be one of ${[...KINDS].join(', ')}`);
    const own = ref.runtime ?? runtime;
    if (!RUNTIMES.has(own as RuntimeName)) fail(`models.${role}.runtime`, 'enum', `must be one of ${[...RUNTIMES].join(', ')}`);
    if (own === 'onnx' && (typeof ref.file !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*\.onnx$/.test(ref.file)))
      fail(`models.${role}.file`, 'onnx_file', 'must name an .onnx file inside the bundle');
    if (own === 'xgboost' && (typeof ref.file !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/.test(ref.file)))
      fail(`models.${role}.file`, 'json_file', 'must name an XGBoost .json model file inside the bundle');
    if (own === 'xgboost' && role !== 'classifier') fail(`models.${role}.runtime`, 'classifier_only', 'xgboost serves the classifier only');
    if (own === 'builtin' && (!ref.params || typeof ref.params !== 'object')) fail(`models.${role}.params`, 'required', 'a builtin model carries its params');
    if (
      ref.params?.window !== undefined &&
      (!Number.isInteger(ref.params.window) || (ref.params.window as number) < 1 || (ref.params.window as number) > (window as number))
    )
      fail(`models.${role}.params.window`, 'range', `must be an integer 1..${window as number} (the bundle's window)`);
    out[role] = ref;
  }
  if (!out.anomaly && !out.rul && !out.classifier) fail('models', 'min_items', 'needs an anomaly, classifier or rul model');
  const thresholds = (m.thresholds ?? {}) as Manifest['thresholds'];
  for (const k of ['anomaly_score', 'rul_days'] as const) {
    if (thresholds[k] !== undefined && (typeof thresholds[k] !== 'number' || !Number.isFinite(thresholds[k])))
      fail(`thresholds.${k}`, 'number', 'must be a finite number');
  }
  if (thresholds.anomaly_dynamic !== undefined) thresholds.anomaly_dynamic = parseDynamic(thresholds.anomaly_dynamic, fail);
  const pr = m.power_range ?? null;
  if (pr !== null && (!Array.isArray(pr) || pr.length !== 2 || typeof pr[0] !== 'number' || typeof pr[1] !== 'number' || pr[0] >= pr[1]))
    fail('power_range', 'range', 'must be [low, high] with low < high');
  return {
    equipment_id: eq as string | null,
    profile: profile as string | null,
    power,
    power_range: pr as [number, number] | null,
    model_version: m.model_version as string,
    runtime: runtime as Manifest['runtime'],
    features: fs,
    window: window as number,
    stride: stride as number,
    scaler: { mean: scaler.mean as number[], std: scaler.std as number[] },
    models: out,
    outputs: (m.outputs as Manifest['outputs']) ?? undefined,
    thresholds,
    training: (m.training as Manifest['training']) ?? undefined,
  };
}

function parseDynamic(raw: unknown, fail: (field: string, rule: string, message: string) => never): DynamicThreshold {
  const f = 'thresholds.anomaly_dynamic';
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(f, 'object', 'must be an object {window, k, min_samples, floor?}');
  const d = raw as Record<string, unknown>;
  const window = d.window ?? 500;
  const k = d.k ?? 3;
  const min = d.min_samples ?? 30;
  if (!Number.isInteger(window) || (window as number) < 10 || (window as number) > 100_000) fail(`${f}.window`, 'range', 'must be an integer 10..100000');
  if (typeof k !== 'number' || !(k > 0) || k > 100) fail(`${f}.k`, 'range', 'must be a number in (0, 100]');
  if (!Number.isInteger(min) || (min as number) < 5 || (min as number) > (window as number))
    fail(`${f}.min_samples`, 'range', `must be an integer 5..${window as number} (the window)`);
  if (d.floor !== undefined && (typeof d.floor !== 'number' || !Number.isFinite(d.floor))) fail(`${f}.floor`, 'number', 'must be a finite number');
  return { window: window as number, k: k as number, min_samples: min as number, ...(d.floor !== undefined ? { floor: d.floor as number } : {}) };
}
