import { microsToMs, msToMicros, US_PER_MS } from '../model/time.js';

/**
 * Times for readings that came without one. A reading's identity is (device, metric, ts, seq), so
 * two messages stamped with the same receive time would be one reading: a burst, a backlog sent
 * after a reconnect or an HTTP array arrive within one millisecond. Each device's stamps are
 * therefore strictly increasing at the store's resolution (one microsecond); a burst runs ahead of
 * the wall clock by at most one step per message, and the wall clock catches up once the burst is
 * over. Kept as whole µs so that steps add exactly.
 */
export class ServerClock {
  private last = new Map<string, number>();
  private readonly stepUs: number;

  /** resolution: the store's smallest time step, in ms (default: 1 µs). */
  constructor(resolution = 1 / US_PER_MS) {
    this.stepUs = Math.max(1, msToMicros(resolution));
  }

  stamp(device: string, now: number): number {
    const nowUs = msToMicros(now);
    const prev = this.last.get(device);
    const us = prev === undefined || nowUs > prev ? nowUs : prev + this.stepUs;
    this.last.set(device, us);
    return microsToMs(us);
  }

  /**
   * Starts a device's stamps above a time already stored for it (its newest reading), so that a
   * restart right after a burst cannot reuse a stamp. Times further ahead than a burst could run
   * are a device's own clock and are not followed.
   */
  seed(device: string, storedTs: number, now: number): void {
    if (storedTs > now + MAX_LEAD_MS) return;
    const stored = msToMicros(storedTs);
    const prev = this.last.get(device);
    if (prev === undefined || stored > prev) this.last.set(device, stored);
  }

  forget(device: string): void {
    this.last.delete(device);
  }
}

/** A device's burst may run this far ahead of the wall clock (its rate limit's burst, with room). */
const MAX_LEAD_MS = 60_000;
