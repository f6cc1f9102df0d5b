import type { ReadErrorShape } from '../read-errors.js';

/** The reads a worker answers: the same methods on SqliteReads and PgReads. */
export type ReadOp = 'queryRange' | 'queryBuckets' | 'queryRollups' | 'stats' | 'groupRecent' | 'groupRange' | 'exportPage' | 'exportChunk' | 'replayReadings';

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
