import type { CommitStages } from './sqlite/telemetry-tables.js';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { RetentionPolicy, Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { DAY, HOUR } from './zoned-time.js';

export function retentionFromConfig(config: Config): RetentionPolicy {
  return { rawMs: config.retentionRawHours * HOUR, minuteMs: config.retentionMinuteDays * DAY, hourMs: config.retentionHourDays * DAY };
}

/** Builds (unopened) the store the config names. */
export function createStore(
  config: Config,
  opts: {
    onReadTimeout?: (op: string, running: boolean) => void;
    onRead?: (op: string, queuedSec: number, runSec: number) => void;
    onWriterCrash?: (err: Error) => void;
    onWriterCommit?: (stages: CommitStages) => void;
  } = {},
): Store {
  const retention = retentionFromConfig(config);
  const reads = { readTimeoutMs: config.readTimeoutMs, readWorkers: config.readWorkers, onReadTimeout: opts.onReadTimeout, onRead: opts.onRead };
  if (config.store === 'sqlite') {
    const synchronous = config.sqliteSynchronous;
    if (synchronous !== 'full' && synchronous !== 'normal') throw new ConfigError(`sqliteSynchronous: expected "full" or "normal", got "${synchronous}"`);
    return new SqliteStore({
      path: join(resolve(config.dataDir), 'fieldscope.db'),
      retention,
      minFreeBytes: config.storeMinFreeBytes,
      writerThread: config.sqliteWriterThread,
      synchronous,
      onWriterCrash: opts.onWriterCrash,
      onWriterCommit: opts.onWriterCommit,
      ...reads,
    });
  }
  if (/^postgres(ql)?:\/\//.test(config.store)) return new PostgresStore({ url: config.store, retention, ...reads });
  throw new ConfigError(`store: expected "sqlite" or a postgres:// URL, got "${config.store.replace(/\/\/[^@/]*@/, '//***@')}"`);
}
