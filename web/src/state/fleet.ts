import type { Profile } from '../../../src/model/device.js';
import type { DeviceRow } from './filter.js';
import { isEnumMetric, metricOrder } from './profiles.js';
import { valueStatus } from './status.js';

/** A device's state at a glance: open alarms or a value out of range first, then a warning, offline, normal. */
export type FleetStatus = 'alarm' | 'warning' | 'offline' | 'normal';
const RANK: Record<FleetStatus, number> = { normal: 0, offline: 1, warning: 2, alarm: 3 };

export function deviceStatus(d: DeviceRow, profile: Profile | undefined, openAlarms: number): FleetStatus {
  if (openAlarms > 0) return 'alarm';
  // A loop, not keys().map(): the table sorts 5,000 devices by this every second.
  let warning = false;
  if (profile) {
    for (const m in d.latest) {
      const v = valueStatus(d.latest[m].value, profile.metrics[m]);
      if (v === 'alarm') return 'alarm';
      if (v === 'warning') warning = true;
    }
  }
  if (warning) return 'warning';
  return d.online ? 'normal' : 'offline';
}

export function worseStatus(a: FleetStatus, b: FleetStatus): FleetStatus {
  return RANK[b] > RANK[a] ? b : a;
}

/** The metric a device's sparkline shows: its profile's first quantity, else its first reading's. */
export function primaryMetric(d: DeviceRow, profile: Profile | undefined): string | null {
  for (const m of metricOrder(profile, Object.keys(d.latest))) if (!isEnumMetric(profile?.metrics[m])) return m;
  return null;
}

export type SortKey = 'status' | 'id' | 'profile' | 'location' | 'alarms' | 'completeness' | 'lastSeen';
export interface Sort {
  key: SortKey;
  dir: 1 | -1;
}

export interface SortContext {
  status(d: DeviceRow): FleetStatus;
  alarms(id: string): number;
  /** Received / expected over the last hour; NaN when not known yet. */
  completeness(id: string): number;
}

/** Devices in the order asked for; ties (and unknown completeness, last) by id, so the order is stable. */
export function sortDevices(rows: DeviceRow[], sort: Sort, ctx: SortContext): DeviceRow[] {
  const byId = (a: DeviceRow, b: DeviceRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const value = (d: DeviceRow): number | string => {
    switch (sort.key) {
      case 'status':
        return RANK[ctx.status(d)];
      case 'profile':
        return d.profile ?? '';
      case 'location':
        return d.location ?? '';
      case 'alarms':
        return ctx.alarms(d.id);
      case 'completeness':
        return ctx.completeness(d.id);
      case 'lastSeen':
        return d.lastSeen;
      default:
        return d.id;
    }
  };
  const keyed = rows.map((d) => ({ d, v: value(d) }));
  keyed.sort((a, b) => {
    const an = typeof a.v === 'number' && Number.isNaN(a.v);
    const bn = typeof b.v === 'number' && Number.isNaN(b.v);
    if (an || bn) return an === bn ? byId(a.d, b.d) : an ? 1 : -1;
    const c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
    return c !== 0 ? c * sort.dir : byId(a.d, b.d);
  });
  return keyed.map((k) => k.d);
}

export type GroupBy = 'site' | 'equipment' | 'profile';

export interface DeviceGroup {
  key: string;
  devices: DeviceRow[];
  online: number;
  alarms: number;
  status: FleetStatus;
  counts: Record<FleetStatus, number>;
}

/** Where a device is: the site its topic or message named, else the location people recorded. */
export function siteOf(d: DeviceRow): string {
  const a = d.attributes?.site;
  return (typeof a === 'string' && a) || d.location || '';
}

/** Devices grouped by site, equipment or profile, each group with its worst status and counts; groups by name, the unassigned last. */
export function groupDevices(rows: DeviceRow[], by: GroupBy, status: (d: DeviceRow) => FleetStatus, alarms: (id: string) => number): DeviceGroup[] {
  const groups = new Map<string, DeviceGroup>();
  for (const d of rows) {
    const key = by === 'site' ? siteOf(d) : by === 'equipment' ? (d.equipment ?? '') : (d.profile ?? '');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, devices: [], online: 0, alarms: 0, status: 'normal', counts: { alarm: 0, warning: 0, offline: 0, normal: 0 } }));
    const s = status(d);
    g.devices.push(d);
    if (d.online) g.online++;
    g.alarms += alarms(d.id);
    g.counts[s]++;
    g.status = worseStatus(g.status, s);
  }
  return [...groups.values()].sort((a, b) => (a.key === '' ? 1 : b.key === '' ? -1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
