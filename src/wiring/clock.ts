import type { ServerClock } from '../pipeline/server-clock.js';
import type { DeviceInfo } from '../model/device.js';

/** Server stamps continue above each device's newest stored reading (see ServerClock.seed). */
export function seedClock(clock: ServerClock, devices: DeviceInfo[]): void {
  const now = Date.now();
  for (const d of devices) {
    let newest = -Infinity;
    for (const metric in d.latest) newest = Math.max(newest, d.latest[metric].ts);
    if (newest > 0) clock.seed(d.id, newest, now);
  }
}
