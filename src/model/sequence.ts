import type { Static } from '@sinclair/typebox';
import type { CompletenessSchema } from './schemas/fleet.js';

/** Sequence accounting shapes: kept by pipeline/sequence.ts, stored by stores/, served by api/. */
/** A run of sequence numbers never received: between the message at fromTs and the one at toTs. */
export interface SeqGap {
  epoch: number;
  fromSeq: number;
  toSeq: number;
  fromTs: number;
  toTs: number;
}

/** What is known about one device's sequence numbers; persisted with every batch that changes it. */
export interface SeqDeviceState {
  device: string;
  /** Bumped on every device restart (seq back to a small number). */
  epoch: number;
  maxSeq: number | null;
  /** Device time of the message that carried maxSeq. */
  lastTs: number;
  received: number;
  duplicates: number;
  outOfOrder: number;
  restarts: number;
  /** Open gaps, oldest first (bounded: the oldest are forgotten past MAX_GAPS). */
  gaps: SeqGap[];
  /**
   * Seqs received in this epoch as merged [from, to] ranges, ascending. Only a seq in here is a
   * duplicate: a lower seq never seen (a first-contact backlog) is a late arrival. Bounded to the
   * reorder window and MAX_SEEN_RANGES. Absent in state saved before it existed.
   */
  seen?: [number, number][];
  /** Seqs below this are no longer tracked (older saved state, or ranges trimmed): counted as duplicates. */
  seenFloor?: number;
  /** The lowest seq received in this epoch and its device time: a backlog below it opens a gap up to it. */
  minSeq?: number;
  minTs?: number;
}

/** Counter increments for one device and one minute of device time. */
export interface SeqBucketDelta {
  device: string;
  bucket: number;
  received: number;
  duplicates: number;
  outOfOrder: number;
  restarts: number;
}

export interface SequenceUpdate {
  devices: SeqDeviceState[];
  buckets: SeqBucketDelta[];
}

export interface SeqStats {
  received: number;
  duplicates: number;
  outOfOrder: number;
  restarts: number;
}

/** What GET /devices/{id}/completeness answers (schemas/fleet.ts). */
export type Completeness = Static<typeof CompletenessSchema>;
