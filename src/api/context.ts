import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { Pipeline } from '../pipeline/ingest.js';
import type { Batcher } from '../pipeline/batcher.js';
import type { Metrics } from '../metrics.js';
import type { Logger } from '../logger.js';
import type { Source } from '../sources/source.js';

/** What the API's resources are handed; none of them reaches for a global. */
export interface ApiContext {
  store: Store;
  devices: DeviceRegistry;
  profiles: ProfileRegistry;
  pipeline: Pipeline;
  batcher: Batcher;
  metrics: Metrics;
  logger: Logger;
  sources: Source[];
  version: string;
  maxPayloadBytes: number;
  maxBodyBytes: number;
}
