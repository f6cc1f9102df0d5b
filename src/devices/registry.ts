import type { DeviceInfo, LatestValue } from '../model/device.js';
import type { Message } from '../model/reading.js';
import type { LiveDeviceState } from '../model/live.js';
import type { DeviceSeen, StoredDevice } from '../stores/store.js';
import type { Reading } from '../model/reading.js';
import type { ProfileRegistry } from '../profiles/profiles.js';

interface DeviceState {
  id: string;
  profile: string | null;
  firstSeen: number;
  lastSeen: number;
  online: boolean;
  latest: Record<string, LatestValue>;
  attributes?: Record<string, string | boolean>;
}

export type DeviceListener = (event: LiveDeviceState) => void;

/**
 * What is known about each device right now: last seen, latest values, online or not.
 * Fed by committed messages, so what it shows is what the store holds.
 */
export class DeviceRegistry {
  private devices = new Map<string, DeviceState>();
  private listeners = new Set<DeviceListener>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: { offlineAfterMs: number; profiles: ProfileRegistry; now?: () => number }) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  load(stored: StoredDevice[]): void {
    const now = this.now();
    for (const d of stored) {
      const state: DeviceState = { ...d, latest: { ...d.latest }, online: false };
      state.online = now - d.lastSeen < this.offlineAfter(state);
      this.devices.set(d.id, state);
    }
  }

  /** Devices another process stored (an import beside the running server): known from now on, offline until heard. */
  adopt(stored: StoredDevice[]): void {
    for (const d of stored) {
      if (this.devices.has(d.id)) continue;
      const state: DeviceState = { ...d, latest: { ...d.latest }, online: false };
      this.devices.set(d.id, state);
      this.emit(state, true);
    }
  }

  onChange(listener: DeviceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(state: DeviceState, created = false): void {
    const ev: LiveDeviceState = { type: 'device', device: state.id, online: state.online, lastSeen: state.lastSeen, profile: state.profile };
    if (created) ev.created = true;
    for (const l of this.listeners) l(ev);
  }

  private offlineAfter(state: DeviceState): number {
    const p = state.profile ? this.opts.profiles.get(state.profile) : undefined;
    return p?.offlineAfterMs ?? this.opts.offlineAfterMs;
  }

  /**
   * Records what a commit stored. Live messages are signs of life; history (an import) makes its
   * devices known with their newest values, but says nothing about whether they are online now.
   */
  committed(c: { messages: Message[]; readings: Reading[]; devices: DeviceSeen[]; historical: boolean }): void {
    if (!c.historical) return this.observe(c.messages);
    for (const d of c.devices) {
      if (this.devices.has(d.id)) continue;
      const state: DeviceState = { id: d.id, profile: d.profile ?? null, firstSeen: d.seen, lastSeen: d.seen, online: false, latest: {} };
      this.devices.set(d.id, state);
      this.emit(state, true);
    }
    for (const r of c.readings) {
      const state = this.devices.get(r.device);
      if (!state) continue;
      const cur = state.latest[r.metric];
      if (!cur || r.ts >= cur.ts) state.latest[r.metric] = { ts: r.ts, value: r.value };
    }
  }

  /** Records committed messages. */
  observe(messages: Message[]): void {
    for (const m of messages) {
      let state = this.devices.get(m.device);
      let created = false;
      if (!state) {
        state = { id: m.device, profile: m.profile ?? null, firstSeen: m.receivedAt, lastSeen: m.receivedAt, online: true, latest: {} };
        this.devices.set(m.device, state);
        created = true;
      }
      if (m.receivedAt > state.lastSeen) state.lastSeen = m.receivedAt;
      if (!state.profile && m.profile) state.profile = m.profile;
      // A new object only when an attribute changed (readers get copies; a fleet's messages mostly repeat theirs).
      if (m.attributes && !holdsAll(state.attributes, m.attributes)) state.attributes = { ...state.attributes, ...m.attributes };
      for (const metric in m.values) {
        const cur = state.latest[metric];
        // Updated in place: an object per reading of every live message was garbage; readers copy or serialise at once.
        if (!cur) state.latest[metric] = { ts: m.ts, value: m.values[metric] };
        else if (m.ts >= cur.ts) {
          cur.ts = m.ts;
          cur.value = m.values[metric];
        }
      }
      if (created) this.emit(state, true);
      else if (!state.online) {
        state.online = true;
        this.emit(state);
      }
    }
  }

  /**
   * What the device's link says, without waiting for a message or a timeout: the MQTT last will
   * or the retained `devices/{id}/state` (online | offline). `online` counts as a sign of life.
   */
  setLinkState(id: string, online: boolean): void {
    const now = this.now();
    let state = this.devices.get(id);
    if (!state) {
      if (!online) return; // an old retained "offline" of a device never seen says nothing new
      state = { id, profile: null, firstSeen: now, lastSeen: now, online: true, latest: {} };
      this.devices.set(id, state);
      this.emit(state, true);
      return;
    }
    if (online && now > state.lastSeen) state.lastSeen = now;
    if (state.online !== online) {
      state.online = online;
      this.emit(state);
    }
  }

  /** Forgets a device (deleted through the API); it comes back if it sends again. */
  remove(id: string): boolean {
    return this.devices.delete(id);
  }

  /** Marks devices offline whose silence outlasted their profile's limit. */
  sweep(): void {
    const now = this.now();
    for (const state of this.devices.values()) {
      if (state.online && now - state.lastSeen >= this.offlineAfter(state)) {
        state.online = false;
        this.emit(state);
      }
    }
  }

  startSweeping(intervalMs = 1000): void {
    this.timer ??= setInterval(() => this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  setProfile(id: string, profile: string | null): void {
    const s = this.devices.get(id);
    if (s) {
      s.profile = profile;
      this.emit(s);
    }
  }

  /** The profile a device is bound to (undefined: device unknown). Cheap: runs per message. */
  profileOf(id: string): string | null | undefined {
    return this.devices.get(id)?.profile;
  }

  get(id: string): DeviceInfo | undefined {
    const s = this.devices.get(id);
    return s && { ...s, latest: { ...s.latest }, ...(s.attributes ? { attributes: { ...s.attributes } } : {}) };
  }

  /** Every device as held now, read-only: no copy, no sort (periodic sweeps over the whole fleet). */
  each(): Iterable<Readonly<Pick<DeviceState, 'id' | 'profile' | 'lastSeen'>>> {
    return this.devices.values();
  }

  list(): DeviceInfo[] {
    return [...this.devices.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((s) => ({ ...s, latest: { ...s.latest }, ...(s.attributes ? { attributes: { ...s.attributes } } : {}) }));
  }

  counts(): { total: number; online: number } {
    let online = 0;
    for (const s of this.devices.values()) if (s.online) online++;
    return { total: this.devices.size, online };
  }
}

/** Whether `held` has every one of `attrs` with the same value. */
function holdsAll(held: Record<string, unknown> | undefined, attrs: Record<string, unknown>): boolean {
  if (!held) return false;
  for (const k in attrs) if (held[k] !== attrs[k]) return false;
  return true;
}
