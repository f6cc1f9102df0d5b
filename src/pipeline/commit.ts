import type { Message, Reading } from '../model/reading.js';
import type { DeviceSeen, TelemetryStore, WriteBatch, WriteResult } from '../stores/store.js';

/** What one commit stored, told once to everyone who follows the data (see app.ts for who). */
export interface Committed {
  /** Live messages as sequence accounting kept them: duplicates left out. Empty for bulk imports. */
  messages: Message[];
  /** Every reading the batch carried (the store skips the ones it already had). */
  readings: Reading[];
  /** The devices the batch came from. */
  devices: DeviceSeen[];
  /** Devices this writer had not seen stored before. */
  newDevices: DeviceSeen[];
  /**
   * Old data (bulk import, spool replay of what was announced when spooled): followers update the
   * device registry, but raise no live alarm and send nothing on the live feed.
   */
  historical: boolean;
  /** The live feed showed these messages before the commit (Batcher.onValidated): live followers skip them. */
  shown?: boolean;
  /**
   * When not `shown`: the messages of the batch the live feed showed already, as they arrived
   * during the commit before (Batcher.onValidated); live followers skip these and show the rest.
   */
  shownBefore?: { has(m: Message): boolean };
  result: WriteResult;
}

export type CommittedListener = (c: Committed) => void;

/**
 * The one way readings reach the store. Every transport (through the batcher) and the bulk
 * importer write here; after each commit the followers hear one Committed event.
 */
export class CommitWriter {
  private readonly listeners: CommittedListener[] = [];
  private readonly known = new Set<string>();

  constructor(
    private readonly store: Pick<TelemetryStore, 'write'>,
    /** A follower that throws is a bug of its own: it must not turn a stored batch into a failed one. */
    private readonly onFollowerError: (err: Error) => void = () => {},
  ) {}

  /** Devices already stored (read at start), so that newDevices names only new ones. */
  knowDevices(ids: Iterable<string>): void {
    for (const id of ids) this.known.add(id);
  }

  /** Whether this device is already stored (its `device` created message went out before). */
  knows(id: string): boolean {
    return this.known.has(id);
  }

  onCommitted(listener: CommittedListener): void {
    this.listeners.push(listener);
  }

  /**
   * Stores the batch atomically, then tells the followers. `committed` runs in between, for the
   * writer's caller to settle its own books (sequence state, metrics) before anyone hears of it.
   */
  async write(
    batch: WriteBatch,
    how: { messages?: Message[]; historical: boolean; shown?: boolean; shownBefore?: Committed['shownBefore']; committed?: (r: WriteResult) => void },
  ): Promise<WriteResult> {
    const result = await this.store.write(batch);
    how.committed?.(result);
    this.announce(batch, how.messages ?? [], how.historical, result, how.shown, how.shownBefore);
    return result;
  }

  /**
   * Tells the followers about a batch without writing it: the batcher's spool took it durably
   * while the store was down, and live followers should not wait for the store to come back.
   */
  announce(batch: WriteBatch, messages: Message[], historical: boolean, result: WriteResult, shown = false, shownBefore?: Committed['shownBefore']): void {
    const newDevices: DeviceSeen[] = [];
    for (const d of batch.devices) {
      if (this.known.has(d.id)) continue;
      this.known.add(d.id);
      newDevices.push(d);
    }
    if (!this.listeners.length) return;
    // readings on demand: live followers read the messages, and the batch builds its readings only when asked.
    const c: Committed = {
      messages,
      get readings() {
        return batch.readings;
      },
      devices: batch.devices,
      newDevices,
      historical,
      shown,
      result,
    };
    if (shownBefore) c.shownBefore = shownBefore;
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (err) {
        this.onFollowerError(err as Error);
      }
    }
  }
}
