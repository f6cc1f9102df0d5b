import type { ReadErrorShape } from '../read-errors.js';

/** The reads a worker answers: the same methods on SqliteReads and PgReads. */
export type ReadOp =
  | 'queryRange'
  | 'queryBuckets'
  | 'queryBucketsMany'
  | 'queryRollups'
  | 'stats'
  | 'groupRecent'
  | 'groupRange'
  | 'exportPage'
  | 'exportChunk'
  | 'replayReadings'
  | 'job';

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

/**
 * The workerData key that marks the prompt worker. With two workers or more, the pool's first is it:
 * it runs short reads only (grouped recent/range, raw telemetry pages), at the process's OS priority
 * where the others run at nice 10 (serve-reads.ts). A short read is bounded by what it returns (at
 * most the read row cap) and a person waits for it: at nice 10, on a machine that ingest keeps busy,
 * it got about a tenth of a core's share, so a grouped range of 10 ms CPU took most of a second
 * (issue 15's mixed load). Long and bulk reads keep yielding to ingest.
 */
export const PROMPT = 'fieldscopePromptReads';
