import type { ReadErrorShape } from '../read-errors.js';

/** The reads a worker answers: the same methods on SqliteReads and PgReads. */
export type ReadOp =
  'queryRange' | 'queryBuckets' | 'queryRollups' | 'stats' | 'groupRecent' | 'groupRange' | 'exportPage' | 'exportChunk' | 'replayReadings' | 'job';

/**
 * Work that reads much and answers little (a backtest): a function exported by `module` (a file URL),
 * called where the reads run as `fn(reads, ...args)` with the engine's reads object, so the rows it reads
 * never cross to the thread that acknowledges devices. Args and answer must be structured-cloneable.
 */
export interface ReadJob {
  module: string;
  fn: string;
}

export interface ReadRequest {
  id: number;
  op: ReadOp;
  args: unknown[];
}

/** A worker's first message (ready), then one answer per request. */
export interface ReadReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: ReadErrorShape;
  ready?: true;
}
