import type { DeviceInfo } from '../../../src/model/device.js';

export type OnlineFilter = 'all' | 'online' | 'offline';

export interface DeviceFilter {
  query: string;
  online: OnlineFilter;
}

/** Devices whose id or profile contains every word of the query (case-insensitive), sorted by id. */
export function filterDevices(devices: Iterable<DeviceInfo>, filter: DeviceFilter): DeviceInfo[] {
  const words = filter.query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: DeviceInfo[] = [];
  for (const d of devices) {
    if (filter.online === 'online' && !d.online) continue;
    if (filter.online === 'offline' && d.online) continue;
    const hay = `${d.id} ${d.profile ?? ''}`.toLowerCase();
    if (words.every((w) => hay.includes(w))) out.push(d);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
