import type { DeviceInfo } from '../../../src/model/device.js';
import type { LiveServerMessage } from '../../../src/model/live.js';

type Listener = () => void;

/** Runs `flush` later, once, for any number of calls before it runs (e.g. at the next animation frame). */
export type Schedule = (flush: () => void) => void;

/**
 * The next animation frame, or 100 ms when frames do not come (a hidden tab), whichever is first:
 * a thousand live messages in a frame become one notice.
 */
export const nextFrame: Schedule = (flush) => {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    flush();
  };
  const timer = setTimeout(once, 100);
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
};

/**
 * Every device the dashboard knows, kept current from REST snapshots and live messages.
 * A changed device is replaced by a new object (unchanged ones keep their identity), so views
 * can skip what did not change. Listeners are told of changes through `schedule`: at once by
 * default; the dashboard passes `nextFrame`, so 5,000 readings a second cost one notice per frame.
 */
export class DeviceStore {
  private byId = new Map<string, DeviceInfo>();
  private listeners = new Set<Listener>();
  private sorted: DeviceInfo[] | null = null;
  private order: string[] | null = null;
  private pending = false;
  version = 0;

  constructor(private readonly schedule: Schedule = (flush) => flush()) {}

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(id: string): DeviceInfo | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** All devices sorted by id; the same array until something changes. */
  list(): DeviceInfo[] {
    // The id order changes only when a device appears: a new reading costs a copy, not a sort.
    if (!this.order || this.order.length !== this.byId.size) this.order = [...this.byId.keys()].sort();
    if (!this.sorted) this.sorted = this.order.map((id) => this.byId.get(id)!);
    return this.sorted;
  }

  /** Folds in devices from the REST API. Newer live knowledge is kept (per metric, by ts). */
  upsert(devices: DeviceInfo[]): void {
    let changed = false;
    for (const d of devices) {
      const cur = this.byId.get(d.id);
      const next = cur ? mergeSnapshot(cur, d) : { ...d, latest: { ...d.latest } };
      if (next !== cur) {
        this.byId.set(d.id, next);
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  /** A device as the server answered a change to it: taken whole (a profile unbound stays unbound). */
  put(d: DeviceInfo): void {
    const cur = this.byId.get(d.id);
    this.byId.set(d.id, { ...d, latest: cur ? mergeSnapshot(cur, d).latest : { ...d.latest } });
    this.changed();
  }

  /** A device removed from the registry (it comes back if it sends again). */
  remove(id: string): void {
    if (this.byId.delete(id)) {
      this.order = null;
      this.changed();
    }
  }

  /**
   * Applies one live message; `now` is the server's clock as the client best knows it.
   * Returns true if anything changed. Message types it does not know are ignored.
   */
  apply(msg: LiveServerMessage | { type: string }, now: number): boolean {
    const m = msg as LiveServerMessage;
    if (m.type === 'readings') {
      if (typeof m.device !== 'string' || !m.values || typeof m.values !== 'object') return false;
      const cur = this.byId.get(m.device) ?? blank(m.device, now);
      const latest = { ...cur.latest };
      for (const metric in m.values) {
        const value = m.values[metric];
        if (typeof value !== 'number') continue;
        const prev = latest[metric];
        if (!prev || prev.ts <= m.ts) latest[metric] = { ts: m.ts, value };
      }
      this.byId.set(m.device, { ...cur, online: true, lastSeen: Math.max(cur.lastSeen, now), latest });
      this.changed();
      return true;
    }
    if (m.type === 'device') {
      if (typeof m.device !== 'string') return false;
      const cur = this.byId.get(m.device) ?? blank(m.device, m.lastSeen || now);
      this.byId.set(m.device, {
        ...cur,
        online: !!m.online,
        lastSeen: Math.max(cur.lastSeen, m.lastSeen || 0),
        profile: m.profile !== undefined ? m.profile : cur.profile,
      });
      this.changed();
      return true;
    }
    return false;
  }

  private changed(): void {
    this.sorted = null;
    this.version++;
    if (this.pending) return;
    this.pending = true;
    this.schedule(() => {
      this.pending = false;
      for (const fn of [...this.listeners]) fn();
    });
  }
}

function blank(id: string, now: number): DeviceInfo {
  return { id, profile: null, firstSeen: now, lastSeen: now, online: true, latest: {} };
}

/** A REST snapshot over what we hold: newer-by-ts wins per metric; unchanged input returns `cur`. */
function mergeSnapshot(cur: DeviceInfo, snap: DeviceInfo): DeviceInfo {
  const latest = { ...cur.latest };
  let latestChanged = false;
  for (const metric in snap.latest) {
    const s = snap.latest[metric];
    const c = latest[metric];
    if (!c || s.ts > c.ts) {
      latest[metric] = s;
      latestChanged = true;
    }
  }
  // Live saw the device after the snapshot was taken: keep what live said about online.
  const online = cur.lastSeen > snap.lastSeen ? cur.online : snap.online;
  const next: DeviceInfo = {
    // Fields this store does not manage (name, location, tags...) come from the newest snapshot.
    ...snap,
    id: cur.id,
    profile: snap.profile ?? cur.profile,
    firstSeen: Math.min(cur.firstSeen || snap.firstSeen, snap.firstSeen || cur.firstSeen),
    lastSeen: Math.max(cur.lastSeen, snap.lastSeen),
    online,
    latest: latestChanged ? latest : cur.latest,
  };
  const same =
    !latestChanged &&
    Object.keys(snap).every(
      (k) =>
        k === 'latest' ||
        (k in next === k in cur &&
          JSON.stringify((next as unknown as Record<string, unknown>)[k]) === JSON.stringify((cur as unknown as Record<string, unknown>)[k])),
    ) &&
    next.profile === cur.profile &&
    next.firstSeen === cur.firstSeen &&
    next.lastSeen === cur.lastSeen &&
    next.online === cur.online;
  return same ? cur : next;
}
