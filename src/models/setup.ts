import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Message } from '../model/reading.js';
import type { TopicMapping } from '../sources/mappings/topic-mappings.js';
import type { BlobStore, ModelStore } from '../stores/store.js';
import { BundleRegistry } from './bundles.js';
import { ModelServer } from './serving.js';
import { OnnxRuntime } from './runtimes/onnx/onnx-runtime.js';
import { BuiltinRuntime } from './runtimes/builtin/builtin-runtime.js';
import { XgboostRuntime } from './runtimes/xgboost/xgboost-runtime.js';

export interface ModelServices {
  registry: BundleRegistry;
  server: ModelServer;
  /** Rescans bundles (the folder, the store) and the activation history; windows restart on the new set. */
  sync(): Promise<Awaited<ReturnType<BundleRegistry['sync']>>>;
  stop(): Promise<void>;
}

/** Seed 003's features topic, read as the seed publishes it, when no mapping of the operator's takes it. */
export const SERVE_ML_MAPPING: TopicMapping = { topic: 'serve-ml/{equipment}/features', device: 'equipment', metrics: 'features', name: 'serve-ml features' };

export function withServeMlMapping(mappings: TopicMapping[]): TopicMapping[] {
  return mappings.some((m) => m.topic === SERVE_ML_MAPPING.topic) ? mappings : [...mappings, SERVE_ML_MAPPING];
}

export async function createModels(opts: {
  folder: string | null;
  /** Pick up a bundle's bare xgb.json as its classifier (seed 003's SERVE_ML_ENABLE_XGB). */
  xgb?: boolean;
  /** Where this node's predictions log and its cache of stored bundles live. */
  dataDir: string;
  /** Uploaded and fitted bundles and the activation history (shared by every node on the store). */
  store: { models: ModelStore; blobs: BlobStore };
  sink: (messages: Message[]) => Promise<void>;
  stamp: (device: string) => number;
  profileOf: (device: string) => string | null | undefined;
  logger: Logger;
  metrics?: Pick<Metrics, 'modelInferenceSeconds' | 'modelInferenceErrors'>;
}): Promise<ModelServices> {
  mkdirSync(join(opts.dataDir, 'models'), { recursive: true });
  const log = (msg: string, detail?: object) => opts.logger.warn(detail ?? {}, msg);
  const registry = new BundleRegistry({
    folder: opts.folder ? resolve(opts.folder) : null,
    dataDir: opts.dataDir,
    store: opts.store.models,
    blobs: opts.store.blobs,
    runtimes: [new OnnxRuntime(), new BuiltinRuntime(), new XgboostRuntime()],
    xgb: opts.xgb ?? false,
    log,
  });
  const metrics = opts.metrics;
  const server = new ModelServer({
    registry,
    sink: opts.sink,
    stamp: opts.stamp,
    profileOf: opts.profileOf,
    dataDir: opts.dataDir,
    log,
    onInference: metrics
      ? (b, seconds) => {
          const labels = { model: b.id, runtime: b.manifest.runtime };
          if (seconds === null) metrics.modelInferenceErrors.inc(labels);
          else metrics.modelInferenceSeconds.observe(labels, seconds);
        }
      : undefined,
  });
  const sync = async () => {
    const r = await registry.sync();
    server.changed();
    if (r.loaded.length || r.removed.length) opts.logger.info({ loaded: r.loaded, removed: r.removed }, 'model bundles synced');
    return r;
  };
  const moved = await registry.importFiles();
  if (moved.bundles.length || moved.slots.length)
    opts.logger.info({ bundles: moved.bundles, activations: moved.slots }, 'model bundles moved from the data directory into the store');
  await sync();
  return {
    registry,
    server,
    sync,
    stop: async () => {
      await server.close();
      await registry.close();
    },
  };
}
