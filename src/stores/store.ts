import type { Reading, SourceKind } from '../model/reading.js';
import type { LatestValue } from '../model/device.js';
import type { RawSeries } from '../model/telemetry.js';

/** A device as the store keeps it. */
export interface StoredDevice {
  id: string;
  profile: string | null;
  firstSeen: number;
  lastSeen: number;
  latest: Record<string, LatestValue>;
}

/** A refused message, kept with its reason so nobody has to guess later. */
export interface RejectedRecord {
  id?: number;
  at: number;
  source: SourceKind;
  device: string | null;
  field: string;
  rule: string;
  error: string;
  /** The raw payload as received (text), cut to a bounded size. */
  payload: string;
}

export interface DeviceSeen {
  id: string;
  /** Receive time of the newest message in the batch. */
  seen: number;
  profile?: string;
}

export interface WriteBatch {
  readings: Reading[];
  devices: DeviceSeen[];
  rejected: RejectedRecord[];
}

export interface WriteResult {
  /** Readings newly stored. */
  inserted: number;
  /** Readings already stored (same device, metric and time): replays and re-imports land here. */
  duplicates: number;
}

export interface RangeQuery {
  device: string;
  metrics?: string[];
  from: number;
  to: number;
  /** Most points per metric; the newest are kept when cut. */
  limit: number;
}

export interface RejectedQuery {
  limit: number;
  /** Only records with id below this (paging backwards). */
  before?: number;
  device?: string;
}

/**
 * The storage interface every engine implements. Services hold the logic and talk to storage
 * only through this, so the same tests run against every engine.
 */
export interface Store {
  readonly engine: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Stores a batch atomically: all of it or none of it. */
  write(batch: WriteBatch): Promise<WriteResult>;
  listDevices(): Promise<StoredDevice[]>;
  setDeviceProfile(device: string, profile: string | null): Promise<void>;
  queryRange(q: RangeQuery): Promise<Record<string, RawSeries>>;
  listRejected(q: RejectedQuery): Promise<RejectedRecord[]>;
  /** Throws if the engine cannot serve. */
  ping(): Promise<void>;
}
