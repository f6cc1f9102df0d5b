import type { Store } from '../stores/store.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { ProfileRegistry } from '../profiles/profiles.js';
import type { Pipeline } from '../pipeline/ingest.js';
import type { Batcher } from '../pipeline/batcher.js';
import type { CommitWriter } from '../pipeline/commit.js';
import type { Metrics } from '../metrics.js';
import type { Logger } from '../logger.js';
import type { Source } from '../sources/source.js';
import type { AlarmServices } from './alarm-context.js';
import type { DeviceServices } from '../devices/services.js';
import type { SequenceTracker } from '../pipeline/sequence.js';
import type { SeqDeviceState } from '../model/sequence.js';
import type { AuthServices } from '../auth/setup.js';
import type { ReadGuard } from './read-guard.js';
import type { ModelServices } from '../models/setup.js';
import type { RetentionRules } from '../stores/retention-rules.js';

/** What the API's resources are handed; none of them reaches for a global. */
export interface ApiContext {
  store: Store;
  devices: DeviceRegistry;
  profiles: ProfileRegistry;
  pipeline: Pipeline;
  batcher: Batcher;
  /** The one commit path (bulk imports write through it). */
  writer: CommitWriter;
  metrics: Metrics;
  logger: Logger;
  sources: Source[];
  version: string;
  /** Per-device sequence accounting, for completeness. */
  sequence?: SequenceTracker;
  /**
   * Cluster mode: a device's sequence state wherever it is kept (this node's tracker for devices it
   * consumes, the store for the others); absent: the tracker above.
   */
  sequenceState?: (device: string) => Promise<SeqDeviceState | undefined>;
  maxPayloadBytes: number;
  maxBodyBytes: number;
  /** Live analytics, alarm engine and notifications (absent: their routes are not registered). */
  alarmServices?: AlarmServices;
  /** Commands, device metadata, equipment, firmware and OTA (absent: their routes are not registered). */
  deviceServices?: DeviceServices;
  /** Users, tokens, keys, device credentials and limits (absent: no guard, everything open; only for unit tests). */
  auth?: AuthServices;
  /** Limits on history reads: at once (in all, per caller) and readings per second per caller (absent: none). */
  readGuard?: ReadGuard;
  /** Most readings one request may return (absent: no cap). */
  readMaxRows?: number;
  /** Model bundles and serving (absent: the serve-ml and rul routes are not registered). */
  models?: ModelServices;
  /** Which retention applies to which device (absent: the retention routes are not registered). */
  retention?: RetentionRules;
  /** Browser origins allowed by CORS; none by default. */
  corsOrigins?: string[];
  /** Certificate and key (PEM): the server speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
}
