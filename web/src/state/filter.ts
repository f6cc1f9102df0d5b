import type { DeviceInfo } from '../../../src/model/device.js';

export type OnlineFilter = 'all' | 'online' | 'offline' | 'alarm';

/** A device as the list shows it: metadata people record (name, location, tags) when there is any. */
export type DeviceRow = DeviceInfo & { name?: string | null; location?: string | null; tags?: string[] | null; equipment?: string | null };

export interface DeviceFilter {
  query: string;
  online: OnlineFilter;
  /** Profile name ('' = any). */
  type?: string;
  /** Location ('' = any). */
  location?: string;
}

/**
 * Devices whose id, name, profile, location or tags contain every word of the query
 * (case-insensitive), of the type and location asked for, in the state asked for ('alarm': with
 * open alarms, per `openAlarms`), sorted by id.
 */
export function filterDevices(devices: Iterable<DeviceRow>, filter: DeviceFilter, openAlarms?: (id: string) => number): DeviceRow[] {
  const words = filter.query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: DeviceRow[] = [];
  for (const d of devices) {
    if (filter.online === 'online' && !d.online) continue;
    if (filter.online === 'offline' && d.online) continue;
    if (filter.online === 'alarm' && !(openAlarms && openAlarms(d.id) > 0)) continue;
    if (filter.type && (d.profile ?? '') !== filter.type) continue;
    if (filter.location && (d.location ?? '') !== filter.location) continue;
    if (!words.length) {
      out.push(d);
      continue;
    }
    const hay = `${d.id} ${d.profile ?? ''} ${d.name ?? ''} ${d.location ?? ''} ${(d.tags ?? []).join(' ')}`.toLowerCase();
    if (words.every((w) => hay.includes(w))) out.push(d);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Distinct non-empty values of a field, sorted: the choices of a filter. */
export function choices(devices: Iterable<DeviceRow>, field: 'profile' | 'location'): string[] {
  const s = new Set<string>();
  for (const d of devices) {
    const v = d[field];
    if (v) s.add(v);
  }
  return [...s].sort();
}
