/**
 * Times for readings that came without one. A reading's identity is (device, metric, ts, seq), so
 * two messages stamped with the same receive time would be one reading: a burst, a backlog sent
 * after a reconnect or an HTTP array arrive within one millisecond. Each device's stamps are
 * therefore strictly increasing at the store's resolution; a burst runs ahead of the wall clock
 * by at most one step per message, and the wall clock catches up once the burst is over.
 */
export class ServerClock {
  private last = new Map<string, number>();

  /** resolution: the store's smallest time step, in ms. */
  constructor(private readonly resolution = 1) {}

  stamp(device: string, now: number): number {
    const prev = this.last.get(device);
    const ts = prev === undefined || now > prev ? now : prev + this.resolution;
    this.last.set(device, ts);
    return ts;
  }

  /**
   * Starts a device's stamps above a time already stored for it (its newest reading), so that a
   * restart right after a burst cannot reuse a stamp. Times further ahead than a burst could run
   * are a device's own clock and are not followed.
   */
  seed(device: string, storedTs: number, now: number): void {
    if (storedTs > now + MAX_LEAD_MS) return;
    const prev = this.last.get(device);
    if (prev === undefined || storedTs > prev) this.last.set(device, storedTs);
  }

  forget(device: string): void {
    this.last.delete(device);
  }
}

/** A device's burst may run this far ahead of the wall clock (its rate limit's burst, with room). */
const MAX_LEAD_MS = 60_000;
