import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../stores/store.js';
import { ChangeFeed } from './change-feed.js';
import type { JudgementGate } from './judgement-gate.js';
import { AdvisoryLease, LocalRunOnce, type RunOnce } from './leader.js';

/** What several nodes on one store share beyond its tables: one runner of run-once jobs, and the change feed. */
export interface SharedState {
  /** Retention, daily export, nodata timers...: run here only while this node holds the lease. */
  runOnce: RunOnce;
  /** Changes by other nodes reaching this node's caches; null when the store is this process's alone. */
  changes: ChangeFeed | null;
  /**
   * Rebuilds per-device state (analytics windows, rule timers, open alarms, sequence) of devices
   * this node takes over. With a gate, beside their partition's consumer (src/cluster/rebuild-devices.ts).
   */
  rebuildDevices(ids: string[], gate?: JudgementGate): Promise<void>;
}

/** Whether other processes may share this store (PostgreSQL); SQLite is one process's. */
export const isShared = (store: Store): boolean => store.engine === 'postgres';

export function runOnceFor(config: Config, store: Store, logger: Logger, opts: { checkMs?: number } = {}): RunOnce {
  return isShared(store) ? new AdvisoryLease({ url: config.store, name: 'jobs', logger, checkMs: opts.checkMs }) : new LocalRunOnce();
}

export function changeFeedFor(store: Store, logger: Logger): ChangeFeed | null {
  return isShared(store) && store.changes ? new ChangeFeed(store.changes, logger) : null;
}
