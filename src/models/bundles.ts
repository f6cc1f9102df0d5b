import type { BUNDLE_ORIGINS } from '../model/schemas/models.js';
import { DomainError } from '../model/errors.js';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, ModelStore, StoredBundle } from '../stores/store.js';
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

/** A stored bundle's files: kept under a prefix of its own upload, so two uploads of one id never mix files. */
const fileKey = (prefix: string, name: string) => `${prefix}${name}`;

/** Marks a cache folder complete, naming the stored upload it was written from. */
const CACHE_MARK = '.stored-from';

/**
 * Every bundle Fieldscope knows: the operator's folder (seed 003's `<equipment_id>/<power>/<model_version>/`,
 * read as it is), and uploaded and fitted bundles, which live in the store (so every node sharing it
 * serves them) and are written out to this node's cache folder for the runtimes to load. Versions are
 * kept; one is active per target and power bucket (the newest until one is activated, the history in
 * the store); activation and rollback need no restart.
 */
export class BundleRegistry {
  private bundles = new Map<string, Bundle>();
  private active: ActiveState = {};
  /** Where stored bundles are written out for the runtimes: this node's copy, rebuilt from the store. */
  readonly cacheDir: string;
  private readonly legacyDir: string;
  private readonly legacyActive: string;
  private readonly problems: Array<{ dir: string; error: string }> = [];
  /** One sync at a time: an upload's sync and a change notice's must not load one bundle twice. */
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly opts: {
      folder: string | null;
      dataDir: string;
      store: ModelStore;
      blobs: BlobStore;
      runtimes: ModelRuntime[];
      /** A bare xgb.json beside a manifest without a classifier becomes it (seed 003's SERVE_ML_ENABLE_XGB). */
      xgb?: boolean;
      log?: (msg: string, detail?: object) => void;
    },
  ) {
    this.cacheDir = join(opts.dataDir, 'models', 'cache');
    this.legacyDir = join(opts.dataDir, 'models', 'bundles');
    this.legacyActive = join(opts.dataDir, 'models', 'active.json');
    mkdirSync(this.cacheDir, { recursive: true });
  }

  /**
   * Brings bundles and the activation history that an older version kept as files under the data dir
   * (`models/bundles/<target>/<power>/<version>/`, `models/active.json`) into the store. A bundle's
   * folder is removed once every file of it is stored; active.json once its slots are.
   */
  async importFiles(): Promise<{ bundles: string[]; slots: string[] }> {
    const bundles: string[] = [];
    const slots: string[] = [];
    const stored = new Set((await this.opts.store.listBundles()).map((b) => b.id));
    for (const dir of bundleDirs(this.legacyDir)) {
      try {
        const raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as unknown;
        const m = parseManifest(raw);
        const id = `${targetOf(m)}/${m.power}/${m.model_version}`;
        if (!stored.has(id)) {
          const names = readdirSync(dir, { withFileTypes: true })
            .filter((e) => e.isFile() && e.name !== 'manifest.json' && e.name !== '.fitted')
            .map((e) => e.name);
          const files: Record<string, () => AsyncIterable<Uint8Array>> = {};
          for (const name of names) files[name] = () => createReadStream(join(dir, name));
          await this.store(id, raw, files, existsSync(join(dir, '.fitted')) ? 'fitted' : 'upload');
          bundles.push(id);
        }
        rmSync(dir, { recursive: true, force: true });
      } catch (err) {
        this.opts.log?.('model bundle folder not moved into the store (left where it is)', { dir, error: (err as Error).message });
      }
    }
    if (existsSync(this.legacyActive)) {
      const old = JSON.parse(readFileSync(this.legacyActive, 'utf8')) as ActiveState;
      const now = await this.opts.store.listActivations();
      for (const [slot, history] of Object.entries(old)) {
        // The store's history wins: another node moved it first, or activations were made since.
        if (now[slot] || !Array.isArray(history)) continue;
        await this.opts.store.saveActivation(slot, history.map(String));
        slots.push(slot);
      }
      rmSync(this.legacyActive, { force: true });
    }
    return { bundles, slots };
  }

  /** Rescans the folder and the store: new versions load, vanished ones unload; the activation history is read again. */
  sync(): Promise<{ loaded: string[]; removed: string[]; errors: Array<{ dir: string; error: string }> }> {
    const run = this.syncing.then(() => this.syncNow());
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private async syncNow(): Promise<{ loaded: string[]; removed: string[]; errors: Array<{ dir: string; error: string }> }> {
    const found = new Map<string, { dir: string; origin: BundleOrigin }>();
    const errors: Array<{ dir: string; error: string }> = [];
    if (this.opts.folder) {
      for (const dir of bundleDirs(this.opts.folder)) {
        try {
          const m = readManifest(dir);
          found.set(`${targetOf(m)}/${m.power}/${m.model_version}`, { dir, origin: 'folder' });
        } catch (err) {
          errors.push({ dir, error: (err as Error).message });
        }
      }
    }
    const cached = new Set<string>();
    for (const b of await this.opts.store.listBundles()) {
      // The operator's folder wins over a stored bundle of the same id.
      if (found.has(b.id)) continue;
      try {
        const dir = await this.cache(b);
        cached.add(dir);
        found.set(b.id, { dir, origin: b.origin });
      } catch (err) {
        errors.push({ dir: `store:${b.id}`, error: (err as Error).message });
      }
    }
    this.active = await this.opts.store.listActivations();
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
    for (const dir of bundleDirs(this.cacheDir)) if (!cached.has(dir)) rmSync(dir, { recursive: true, force: true });
    this.problems.splice(0, this.problems.length, ...errors);
    for (const e of errors) this.opts.log?.('model bundle not loaded', e);
    return { loaded, removed, errors };
  }

  /** Checks an uploaded (or fitted) bundle loads, stores it (manifest and files) and loads it. */
  async add(manifestRaw: unknown, files: Record<string, Buffer>, origin: 'upload' | 'fitted'): Promise<Bundle> {
    const m = parseManifest(manifestRaw);
    const id = `${targetOf(m)}/${m.power}/${m.model_version}`;
    if (this.bundles.has(id)) throw new BundleError(`bundle ${id} exists; give it a new model_version`, 'model_version', 'unique', 409);
    for (const [role, ref] of Object.entries(m.models) as Array<[string, ModelFileRef]>) {
      if (ref.file && !files[ref.file])
        throw new BundleError(`models.${role}.file ${ref.file} is not among the uploaded files`, `files.${ref.file}`, 'required');
    }
    for (const name of Object.keys(files))
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) || name === 'manifest.json' || name === CACHE_MARK)
        throw new BundleError(`file name ${name} is not a plain file name`, `files.${name}`, 'file_name');
    // Tried where nothing serves from before it is stored: a bundle that does not load is refused whole.
    const tmp = join(this.cacheDir, `.check-${randomUUID()}`);
    mkdirSync(tmp, { recursive: true });
    try {
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifestRaw, null, 2) + '\n');
      for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data);
      try {
        await this.unload(await this.load(tmp, origin), false);
      } catch (err) {
        throw new BundleError(`the bundle does not load: ${(err as Error).message}`, 'files', 'loadable');
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const sources: Record<string, () => AsyncIterable<Uint8Array>> = {};
    for (const [name, data] of Object.entries(files)) sources[name] = () => Readable.from([data]);
    if (!(await this.store(id, manifestRaw, sources, origin)))
      throw new BundleError(`bundle ${id} exists; give it a new model_version`, 'model_version', 'unique', 409);
    await this.sync();
    const b = this.bundles.get(id);
    if (!b) throw new BundleError(`bundle ${id} was stored but does not load here`, 'files', 'loadable', 500);
    return b;
  }

  /** Files first, then the row that makes them a bundle; false (files dropped) when the id was taken meanwhile. */
  private async store(id: string, manifest: unknown, files: Record<string, () => AsyncIterable<Uint8Array>>, origin: 'upload' | 'fitted'): Promise<boolean> {
    const prefix = `model/${id}/${randomUUID()}/`;
    const names = Object.keys(files);
    try {
      for (const name of names) await this.opts.blobs.put(fileKey(prefix, name), files[name]());
      const row: StoredBundle = { id, origin, manifest, files: names, blobPrefix: prefix, createdAt: Date.now() };
      if (await this.opts.store.addBundle(row)) return true;
    } catch (err) {
      for (const name of names) await this.opts.blobs.delete(fileKey(prefix, name)).catch(() => undefined);
      throw err;
    }
    for (const name of names) await this.opts.blobs.delete(fileKey(prefix, name));
    return false;
  }

  /** Writes a stored bundle out to this node's cache folder (once per upload), each file checked against its sha256 as it is read. */
  private async cache(b: StoredBundle): Promise<string> {
    const dir = join(this.cacheDir, safe(b.id.split('/')[0]), ...b.id.split('/').slice(1));
    const mark = join(dir, CACHE_MARK);
    if (existsSync(mark) && readFileSync(mark, 'utf8') === b.blobPrefix) return dir;
    const tmp = `${dir}.tmp-${randomUUID()}`;
    mkdirSync(tmp, { recursive: true });
    try {
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(b.manifest, null, 2) + '\n');
      for (const name of b.files) await pipeline(Readable.from(this.opts.blobs.read(fileKey(b.blobPrefix, name))), createWriteStream(join(tmp, name)));
      writeFileSync(join(tmp, CACHE_MARK), b.blobPrefix);
      const loadedHere = this.bundles.get(b.id);
      if (loadedHere?.dir === dir) await this.unload(loadedHere);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, '..'), { recursive: true });
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return dir;
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

  /** The runtimes bundles can be run with on this server, as registered (models/setup.ts). */
  get runtimeNames(): string[] {
    return this.opts.runtimes.map((r) => r.name);
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

  async activate(id: string): Promise<Bundle> {
    const b = this.bundles.get(id);
    if (!b) throw new BundleError(`no bundle ${id}`, 'id', 'not_found', 404);
    const slot = `${b.target}/${b.manifest.power}`;
    // The stored history, not this node's copy: another node may have activated since.
    this.active = await this.opts.store.listActivations();
    const history = (this.active[slot] ??= []);
    if (history.at(-1) !== b.manifest.model_version) history.push(b.manifest.model_version);
    if (history.length > 50) history.splice(0, history.length - 50);
    await this.opts.store.saveActivation(slot, history);
    return b;
  }

  /** Back to the version active before the current one. */
  async rollback(target: string, power: string): Promise<Bundle> {
    const slot = `${target}/${power}`;
    this.active = await this.opts.store.listActivations();
    const history = this.active[slot] ?? [];
    const current = this.activeVersion(target, power);
    while (history.length && history.at(-1) === current) history.pop();
    const previous = history.at(-1);
    if (!previous || !this.bundles.has(`${slot}/${previous}`))
      throw new BundleError(`${slot} has no earlier activated version to roll back to`, 'power', 'no_history', 409);
    await this.opts.store.saveActivation(slot, history);
    return this.bundles.get(`${slot}/${previous}`)!;
  }

  /**
   * The bundle that serves a request, by the seed's FAQ: the power bucket named, or the bucket whose
   * range holds a measured power, or the only bucket; then the version asked for, or the active one.
   */
  /** Whether any bundle is for this target (a device id or profile:NAME): no sorted list built. */
  serves(target: string): boolean {
    for (const b of this.bundles.values()) if (b.target === target) return true;
    return false;
  }

  select(targets: string[], power: string | number | undefined, version: string | undefined): Bundle {
    const target = targets.find((t) => this.serves(t));
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

  private async unload(b: Bundle, forget = true): Promise<void> {
    for (const m of Object.values(b.models)) await m?.close().catch(() => undefined);
    if (forget && this.bundles.get(b.id) === b) this.bundles.delete(b.id);
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
