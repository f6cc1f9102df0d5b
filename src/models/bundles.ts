import type { BUNDLE_ORIGINS } from '../model/schemas/models.js';
import { DomainError } from '../model/errors.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, parseManifest, type Manifest, type ModelFileRef } from './manifest.js';
import type { LoadedModel, ModelRuntime } from './runtimes/runtime.js';

export type BundleOrigin = (typeof BUNDLE_ORIGINS)[number];

export interface Bundle {
  /** `<target>/<power>/<version>`: target is the equipment id, or `profile:<name>`. */
  id: string;
  target: string;
  dir: string;
  origin: BundleOrigin;
  manifest: Manifest;
  loadedAt: number;
  models: Partial<Record<keyof Manifest['models'], LoadedModel>>;
}

/** Why a bundle cannot be found or used: names the field and the rule, as bad input does elsewhere. */
export class BundleError extends DomainError {
  declare readonly field: string;
  declare readonly rule: string;
  constructor(message: string, field: string, rule: string, status = 400) {
    super(status, message, field, rule);
  }
}

interface ActiveState {
  /** `<target>/<power>` -> the versions activated there, newest last (rollback pops). */
  [slot: string]: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const targetOf = (m: Manifest): string => m.equipment_id ?? `profile:${m.profile}`;

/** Natural order of versions: v2 < v10. */
export const compareVersions = (a: string, b: string): number => a.localeCompare(b, undefined, { numeric: true });

/**
 * Every bundle Fieldscope knows: the operator's folder (seed 003's `<equipment_id>/<power>/<model_version>/`,
 * read as it is), uploads and fitted bundles under the data dir. Versions are kept; one is active per
 * target and power bucket (the newest until one is activated); activation and rollback need no restart.
 */
export class BundleRegistry {
  private bundles = new Map<string, Bundle>();
  private active: ActiveState = {};
  private readonly activeFile: string;
  readonly ownDir: string;
  private readonly problems: Array<{ dir: string; error: string }> = [];

  constructor(
    private readonly opts: {
      folder: string | null;
      dataDir: string;
      runtimes: ModelRuntime[];
      /** A bare xgb.json beside a manifest without a classifier becomes it (seed 003's SERVE_ML_ENABLE_XGB). */
      xgb?: boolean;
      log?: (msg: string, detail?: object) => void;
    },
  ) {
    this.ownDir = join(opts.dataDir, 'models', 'bundles');
    this.activeFile = join(opts.dataDir, 'models', 'active.json');
    mkdirSync(this.ownDir, { recursive: true });
    if (existsSync(this.activeFile)) this.active = JSON.parse(readFileSync(this.activeFile, 'utf8')) as ActiveState;
  }

  /** Rescans the folder and the data dir: new versions load, vanished ones unload. */
  async sync(): Promise<{ loaded: string[]; removed: string[]; errors: Array<{ dir: string; error: string }> }> {
    const found = new Map<string, { dir: string; origin: BundleOrigin }>();
    const errors: Array<{ dir: string; error: string }> = [];
    const scan = (root: string, origin: BundleOrigin) => {
      for (const dir of bundleDirs(root)) {
        try {
          const m = readManifest(dir);
          const id = `${targetOf(m)}/${m.power}/${m.model_version}`;
          const own = origin !== 'folder' && existsSync(join(dir, '.fitted')) ? 'fitted' : origin;
          // The operator's folder wins over an upload of the same id.
          if (!found.has(id)) found.set(id, { dir, origin: own });
        } catch (err) {
          errors.push({ dir, error: (err as Error).message });
        }
      }
    };
    if (this.opts.folder) scan(this.opts.folder, 'folder');
    scan(this.ownDir, 'upload');
    const loaded: string[] = [];
    const removed: string[] = [];
    for (const [id, b] of this.bundles) {
      const f = found.get(id);
      if (!f || f.dir !== b.dir || statSync(join(f.dir, 'manifest.json')).mtimeMs > b.loadedAt) {
        await this.unload(b);
        if (!f) removed.push(id);
      }
    }
    for (const [id, f] of found) {
      if (this.bundles.has(id)) continue;
      try {
        this.bundles.set(id, await this.load(f.dir, f.origin));
        loaded.push(id);
      } catch (err) {
        errors.push({ dir: f.dir, error: (err as Error).message });
      }
    }
    this.problems.splice(0, this.problems.length, ...errors);
    for (const e of errors) this.opts.log?.('model bundle not loaded', e);
    return { loaded, removed, errors };
  }

  /** Writes an uploaded (or fitted) bundle under the data dir and loads it. */
  async add(manifestRaw: unknown, files: Record<string, Buffer>, origin: 'upload' | 'fitted'): Promise<Bundle> {
    const m = parseManifest(manifestRaw);
    const id = `${targetOf(m)}/${m.power}/${m.model_version}`;
    if (this.bundles.has(id)) throw new BundleError(`bundle ${id} exists; give it a new model_version`, 'model_version', 'unique', 409);
    for (const [role, ref] of Object.entries(m.models) as Array<[string, ModelFileRef]>) {
      if (ref.file && !files[ref.file])
        throw new BundleError(`models.${role}.file ${ref.file} is not among the uploaded files`, `files.${ref.file}`, 'required');
    }
    for (const name of Object.keys(files))
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw new BundleError(`file name ${name} is not a plain file name`, `files.${name}`, 'file_name');
    const dir = join(this.ownDir, safe(targetOf(m)), m.power, m.model_version);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifestRaw, null, 2) + '\n');
    for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data);
    if (origin === 'fitted') writeFileSync(join(tmp, '.fitted'), '');
    let b: Bundle;
    try {
      b = await this.load(tmp, origin);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw new BundleError(`the bundle does not load: ${(err as Error).message}`, 'files', 'loadable');
    }
    await this.unload(b);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, '..'), { recursive: true });
    renameSync(tmp, dir);
    const loaded = await this.load(dir, origin);
    this.bundles.set(id, loaded);
    return loaded;
  }

  list(filter: { equipment_id?: string; power?: string } = {}): Bundle[] {
    return [...this.bundles.values()]
      .filter(
        (b) => (filter.equipment_id === undefined || b.target === filter.equipment_id) && (filter.power === undefined || b.manifest.power === filter.power),
      )
      .sort((a, b) => a.id.localeCompare(b.id) || compareVersions(a.manifest.model_version, b.manifest.model_version));
  }

  get(id: string): Bundle | undefined {
    return this.bundles.get(id);
  }

  get loadErrors(): Array<{ dir: string; error: string }> {
    return [...this.problems];
  }

  /** The active version of a target's power bucket: the last activated one still present, else the newest. */
  activeVersion(target: string, power: string): string | null {
    const slot = `${target}/${power}`;
    const history = this.active[slot] ?? [];
    for (let i = history.length - 1; i >= 0; i--) if (this.bundles.has(`${slot}/${history[i]}`)) return history[i];
    // A fitted bundle serves only once activated: it is meant to be backtested first.
    const versions = this.list()
      .filter((b) => b.target === target && b.manifest.power === power && b.origin !== 'fitted')
      .map((b) => b.manifest.model_version)
      .sort(compareVersions);
    return versions.at(-1) ?? null;
  }

  isActive(b: Bundle): boolean {
    return this.activeVersion(b.target, b.manifest.power) === b.manifest.model_version;
  }

  activate(id: string): Bundle {
    const b = this.bundles.get(id);
    if (!b) throw new BundleError(`no bundle ${id}`, 'id', 'not_found', 404);
    const slot = `${b.target}/${b.manifest.power}`;
    const history = (this.active[slot] ??= []);
    if (history.at(-1) !== b.manifest.model_version) history.push(b.manifest.model_version);
    if (history.length > 50) history.splice(0, history.length - 50);
    this.save();
    return b;
  }

  /** Back to the version active before the current one. */
  rollback(target: string, power: string): Bundle {
    const slot = `${target}/${power}`;
    const history = this.active[slot] ?? [];
    const current = this.activeVersion(target, power);
    while (history.length && history.at(-1) === current) history.pop();
    const previous = history.at(-1);
    if (!previous || !this.bundles.has(`${slot}/${previous}`))
      throw new BundleError(`${slot} has no earlier activated version to roll back to`, 'power', 'no_history', 409);
    this.save();
    return this.bundles.get(`${slot}/${previous}`)!;
  }

  /**
   * The bundle that serves a request, by the seed's FAQ: the power bucket named, or the bucket whose
   * range holds a measured power, or the only bucket; then the version asked for, or the active one.
   */
  select(targets: string[], power: string | number | undefined, version: string | undefined): Bundle {
    const target = targets.find((t) => this.list().some((b) => b.target === t));
    if (!target) throw new BundleError(`no model bundle for ${targets.join(' or ')}`, 'equipment_id', 'no_bundle', 404);
    const mine = this.list().filter((b) => b.target === target);
    const buckets = [...new Set(mine.map((b) => b.manifest.power))];
    let bucket: string | undefined;
    if (power !== undefined && buckets.includes(String(power))) bucket = String(power);
    else if (typeof power === 'number' || (typeof power === 'string' && power.trim() !== '' && Number.isFinite(Number(power)))) {
      const p = Number(power);
      bucket = mine.find((b) => b.manifest.power_range && p >= b.manifest.power_range[0] && p < b.manifest.power_range[1])?.manifest.power;
      // No range holds it: the numerically nearest bucket name.
      bucket ??= buckets.filter((x) => Number.isFinite(Number(x))).sort((a, b) => Math.abs(Number(a) - p) - Math.abs(Number(b) - p))[0];
    } else if (power === undefined && buckets.length === 1) bucket = buckets[0];
    if (bucket === undefined) {
      throw new BundleError(
        power === undefined
          ? `${target} has power buckets ${buckets.join(', ')}: give power`
          : `no power bucket of ${target} fits ${power} (buckets ${buckets.join(', ')})`,
        'power',
        power === undefined ? 'required' : 'no_bucket',
        power === undefined ? 400 : 404,
      );
    }
    const v = version ?? this.activeVersion(target, bucket);
    const b = v ? this.bundles.get(`${target}/${bucket}/${v}`) : undefined;
    if (!b) throw new BundleError(`no version ${v} of ${target}/${bucket}`, 'model_version', 'not_found', 404);
    return b;
  }

  async close(): Promise<void> {
    for (const b of this.bundles.values()) await this.unload(b);
    this.bundles.clear();
  }

  private async load(dir: string, origin: BundleOrigin): Promise<Bundle> {
    let manifest = readManifest(dir);
    // Seed 003's case A: xgb.json may sit in the folder or not; with the switch on, it is the classifier.
    if (this.opts.xgb && !manifest.models.classifier && existsSync(join(dir, 'xgb.json')))
      manifest = { ...manifest, models: { ...manifest.models, classifier: { file: 'xgb.json', kind: 'classifier', runtime: 'xgboost' } } };
    const models: Bundle['models'] = {};
    try {
      for (const [role, ref] of Object.entries(manifest.models) as Array<[keyof Manifest['models'], ModelFileRef]>) {
        const name = ref.runtime ?? manifest.runtime;
        const runtime = this.opts.runtimes.find((r) => r.name === name);
        if (!runtime) throw new ManifestError(`manifest.models.${role}.runtime: ${name} is not available`, `models.${role}.runtime`, 'available');
        models[role] = await runtime.load(dir, manifest, ref);
      }
    } catch (err) {
      for (const m of Object.values(models)) await m?.close().catch(() => undefined);
      throw err;
    }
    return {
      id: `${targetOf(manifest)}/${manifest.power}/${manifest.model_version}`,
      target: targetOf(manifest),
      dir,
      origin,
      manifest,
      loadedAt: Date.now(),
      models,
    };
  }

  private async unload(b: Bundle): Promise<void> {
    for (const m of Object.values(b.models)) await m?.close().catch(() => undefined);
    this.bundles.delete(b.id);
  }

  private save(): void {
    const tmp = `${this.activeFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.active, null, 2));
    renameSync(tmp, this.activeFile);
  }
}

function readManifest(dir: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch (err) {
    throw new ManifestError(`manifest.json: ${(err as Error).message}`, 'manifest.json', 'json');
  }
  return parseManifest(raw);
}

/** Folders three levels down (`<target>/<power>/<version>`) that hold a manifest.json. */
function bundleDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const sub = (d: string) =>
    readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory() && NAME.test(e.name))
      .map((e) => join(d, e.name));
  for (const t of sub(root)) for (const p of sub(t)) for (const v of sub(p)) if (existsSync(join(v, 'manifest.json'))) out.push(v);
  return out;
}

const safe = (target: string) => target.replace(/:/g, '_');
