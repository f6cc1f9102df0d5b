import { join } from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { Message } from '../model/reading.js';
import type { PredictRequestSchema } from '../model/schemas/models.js';
import type { Prediction } from '../model/models.js';
import { BundleError, type Bundle, type BundleRegistry } from './bundles.js';
import { infer, type Outputs } from './inference.js';
import { judgeFor, type AnomalyJudge } from './dynamic-threshold.js';
import { PredictionLog } from './prediction-log.js';
import { StepWindow } from './step-window.js';

/** A prediction as stored in memory and answered (declared once in model/schemas/models.ts). */
export type { Prediction };

/** The seed's predict request: one step (numbers, appended to the device's window) or a whole window (arrays, oldest first). */
export type PredictRequest = Static<typeof PredictRequestSchema>;

/** Writes prediction messages through the commit path (the batcher), like any reading. */
export type PredictionSink = (messages: Message[]) => Promise<void>;

interface Window {
  bundle: string;
  steps: StepWindow;
  /** The latest value of each feature (a step is complete once every one has been seen). */
  last: Array<number | undefined>;
  /** Features of `last` not seen yet. */
  unseen: number;
  /** Complete steps since the last live prediction (for the manifest's stride). */
  since: number;
  /** The device's anomaly threshold (dynamic ones learn from this device's scores). */
  judge: AnomalyJudge;
  busy: boolean;
  again: boolean;
}

interface Choice {
  generation: number;
  profile: string | null;
  power: number | undefined;
  version: string | undefined;
  bundle: Bundle;
}

const KEEP_PER_DEVICE = 200;
/** The prediction log is rotated past this size; one older file is kept (predictions.ndjson.1). */
const LOG_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Serves bundles: by request (the seed's HTTP contract), and continuously from each device's own
 * committed readings (the features topic's readings are readings too), keeping a window of the
 * last N steps of the manifest's features per device. Every prediction is stored as series of the
 * device (anomaly_score, anomaly, class, rul_days...) with the model version as an attribute, and
 * logged with it under the data dir.
 */
export class ModelServer {
  private windows = new Map<string, Window>();
  private recent = new Map<string, Prediction[]>();
  private readonly power = new Map<string, number>();
  private readonly noBundle = new Map<string, number>();
  /** Each device's bundle as last selected, and what it was selected by: reused while those stay the same. */
  private readonly chosen = new Map<string, Choice>();
  private generation = 0;
  readonly counters = { predictions: 0, live: 0, requests: 0, errors: 0, skipped: 0 };
  readonly latencyMs: number[] = [];
  private readonly log: PredictionLog;

  constructor(
    private readonly opts: {
      registry: BundleRegistry;
      sink: PredictionSink;
      /** A unique server time for a prediction a request asked for (no device time to reuse). */
      stamp: (device: string) => number;
      profileOf: (device: string) => string | null | undefined;
      dataDir: string;
      log?: (msg: string, detail?: object) => void;
      /** Each run of a bundle: its time, or that it failed (Prometheus histogram and counter). */
      onInference?: (bundle: Bundle, seconds: number | null) => void;
    },
  ) {
    this.log = new PredictionLog(join(opts.dataDir, 'models', 'predictions.ndjson'), LOG_MAX_BYTES, (err) =>
      this.opts.log?.('prediction log not written', { err: err.message }),
    );
  }

  /** Every prediction so far is in the log, and the log is closed. */
  async close(): Promise<void> {
    await this.log.close();
  }

  /** Bundles changed (sync, upload, activation): windows and lookups start afresh. */
  changed(): void {
    this.generation++;
    this.noBundle.clear();
    this.chosen.clear();
    this.windows.clear();
  }

  /** The seed's POST /serve-ml/predict. */
  async predict(req: PredictRequest): Promise<Prediction> {
    this.counters.requests++;
    const bundle = this.opts.registry.select(this.targetsOf(req.equipment_id), req.power ?? numberOr(req.features.power), req.model_version);
    const m = bundle.manifest;
    for (const f of m.features)
      if (req.features[f] === undefined)
        throw new BundleError(`features.${f} is missing (the model reads ${m.features.join(', ')})`, `features.${f}`, 'required');
    const arrays = m.features.map((f) => req.features[f]);
    if (arrays.every(Array.isArray)) {
      const n = (arrays[0] as number[]).length;
      for (const [i, a] of arrays.entries()) {
        const arr = a as number[];
        if (arr.length !== n || n < m.window || arr.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
          throw new BundleError(
            `features.${m.features[i]} must hold ${m.window} or more finite numbers, as many as every other feature`,
            `features.${m.features[i]}`,
            'window',
          );
      }
      const rows = Array.from({ length: m.window }, (_, s) => arrays.map((a) => (a as number[])[n - m.window + s]));
      const ts = this.opts.stamp(req.equipment_id);
      return this.runAndStore(
        bundle,
        req.equipment_id,
        rows,
        rows.map((_, i) => ts - (rows.length - 1 - i)),
        ts,
        'request',
        this.windowOf(req.equipment_id, bundle).judge,
      );
    }
    if (arrays.some(Array.isArray))
      throw new BundleError('features: give every feature as one number (one step) or every one as an array (a window)', 'features', 'shape');
    for (const [i, v] of arrays.entries())
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new BundleError(`features.${m.features[i]} must be a finite number`, `features.${m.features[i]}`, 'number');
    const ts = this.opts.stamp(req.equipment_id);
    const w = this.windowOf(req.equipment_id, bundle);
    w.steps.push(arrays as number[], ts);
    if (w.steps.length < m.window)
      throw new BundleError(
        `the window of ${req.equipment_id} holds ${w.steps.length} of ${m.window} steps; send ${m.window - w.steps.length} more, or arrays of ${m.window}`,
        'features',
        'window',
        409,
      );
    const { rows, times } = w.steps.steps();
    return this.runAndStore(bundle, req.equipment_id, rows, times, ts, 'request', w.judge);
  }

  /** A window built from stored history (RUL on demand, backtests): runs without storing. */
  async runOn(bundle: Bundle, rows: ArrayLike<number>[], times: ArrayLike<number>): Promise<Outputs> {
    return infer(bundle, rows, times);
  }

  /** Committed messages: each device with a bundle gets its window extended and a prediction. */
  observe(messages: Message[]): void {
    for (const msg of messages) {
      if (msg.source === 'model') continue;
      const p = msg.values.power;
      if (p !== undefined) this.power.set(msg.device, p);
      if (this.noBundle.get(msg.device) === this.generation) continue;
      const bundle = this.bundleFor(msg);
      if (!bundle) continue;
      const m = bundle.manifest;
      const w = this.windowOf(msg.device, bundle);
      let any = false;
      for (let i = 0; i < m.features.length; i++) {
        const v = msg.values[m.features[i]];
        if (v === undefined) continue;
        if (w.last[i] === undefined) w.unseen--;
        w.last[i] = v;
        any = true;
      }
      if (!any || w.unseen > 0) continue;
      w.steps.push(w.last, msg.ts);
      if (w.steps.length < m.window || ++w.since < (m.stride ?? 1)) continue;
      w.since = 0;
      this.runLive(msg.device, bundle, w);
    }
  }

  /**
   * The bundle a live message is served by (or none): selected again only when what selects it
   * changed (the bundles, the device's profile, its last power, the version the message asks for),
   * since every message of a fleet asks.
   */
  private bundleFor(msg: Message): Bundle | null {
    const profile = this.opts.profileOf(msg.device) ?? null;
    const power = this.power.get(msg.device);
    const version = typeof msg.attributes?.model_version === 'string' ? msg.attributes.model_version : undefined;
    const c = this.chosen.get(msg.device);
    if (c && c.generation === this.generation && c.profile === profile && c.power === power && c.version === version) return c.bundle;
    const targets = this.targetsOf(msg.device, profile);
    if (!targets.some((t) => this.opts.registry.serves(t))) {
      // No bundle for this device: remembered until bundles change, so most devices cost one lookup
      // (asked, not thrown: a fleet of 100,000 arriving paid an error's stack trace each).
      this.noBundle.set(msg.device, this.generation);
      return null;
    }
    try {
      const bundle = this.opts.registry.select(targets, power, version);
      this.chosen.set(msg.device, { generation: this.generation, profile, power, version, bundle });
      return bundle;
    } catch (err) {
      if (err instanceof BundleError && err.field === 'equipment_id') this.noBundle.set(msg.device, this.generation);
      else this.counters.skipped++;
      return null;
    }
  }

  latest(device: string): Prediction | undefined {
    return this.recent.get(device)?.at(-1);
  }

  history(device?: string, limit = 100): Prediction[] {
    const all = device ? (this.recent.get(device) ?? []) : [...this.recent.values()].flat().sort((a, b) => a.ts - b.ts);
    return all.slice(-limit);
  }

  devices(): string[] {
    return [...this.recent.keys()];
  }

  /** A busy device's next window waits for the one in flight, then only the newest runs. */
  private runLive(device: string, bundle: Bundle, w: Window): void {
    if (w.busy) {
      w.again = true;
      this.counters.skipped++;
      return;
    }
    w.busy = true;
    const { rows, times } = w.steps.steps();
    this.runAndStore(bundle, device, rows, times, times[times.length - 1], 'live', w.judge)
      .then(() => this.counters.live++)
      .catch((err: Error) => {
        this.counters.errors++;
        this.opts.log?.('live prediction failed', { device, bundle: bundle.id, err: err.message });
      })
      .finally(() => {
        w.busy = false;
        if (w.again && this.windows.get(device) === w) {
          w.again = false;
          this.runLive(device, bundle, w);
        }
      });
  }

  private async runAndStore(
    bundle: Bundle,
    device: string,
    rows: ArrayLike<number>[] | Float64Array,
    times: ArrayLike<number>,
    ts: number,
    via: Prediction['via'],
    judge: AnomalyJudge,
  ): Promise<Prediction> {
    const t0 = performance.now();
    let out: Outputs;
    try {
      out = await infer(bundle, rows, times, judge);
    } catch (err) {
      this.opts.onInference?.(bundle, null);
      throw err;
    }
    const ms = performance.now() - t0;
    this.latencyMs.push(ms);
    this.opts.onInference?.(bundle, ms / 1000);
    if (this.latencyMs.length > 10_000) this.latencyMs.splice(0, 5_000);
    const m = bundle.manifest;
    const p: Prediction = { device, ts, bundle: bundle.id, power: m.power, model_version: m.model_version, via, ...out };
    const threshold = out.anomaly_threshold ?? m.thresholds.anomaly_score;
    if (threshold !== undefined) p.threshold = threshold;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(out)) if (typeof v === 'number' && Number.isFinite(v)) values[k] = v;
    await this.opts.sink([{ device, ts, values, attributes: { model: bundle.id, model_version: m.model_version }, source: 'model', receivedAt: Date.now() }]);
    this.counters.predictions++;
    const list = this.recent.get(device) ?? [];
    list.push(p);
    if (list.length > KEEP_PER_DEVICE) list.splice(0, list.length - KEEP_PER_DEVICE);
    this.recent.set(device, list);
    this.log.append(JSON.stringify(p) + '\n');
    return p;
  }

  /** What a device's bundle may be for: the device itself, then its profile. */
  private targetsOf(device: string, profile = this.opts.profileOf(device)): string[] {
    return profile ? [device, `profile:${profile}`] : [device];
  }

  private windowOf(device: string, bundle: Bundle): Window {
    let w = this.windows.get(device);
    if (!w || w.bundle !== bundle.id) {
      w = {
        bundle: bundle.id,
        steps: new StepWindow(bundle.manifest.window, bundle.manifest.features.length),
        last: bundle.manifest.features.map(() => undefined),
        unseen: bundle.manifest.features.length,
        since: bundle.manifest.stride ?? 1,
        judge: judgeFor(bundle.manifest.thresholds),
        busy: false,
        again: false,
      };
      this.windows.set(device, w);
    }
    return w;
  }
}

const numberOr = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
