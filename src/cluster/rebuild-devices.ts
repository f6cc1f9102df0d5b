import type { Analytics } from '../analytics/live-stats.js';
import type { AlarmEngine } from '../alarms/engine.js';
import type { Message } from '../model/reading.js';
import type { SeqDeviceState } from '../model/sequence.js';
import type { AlarmStore, CatalogStore, TelemetryStore } from '../stores/store.js';

export interface DeviceStateSources {
  telemetry: Pick<TelemetryStore, 'listDevices'>;
  alarmStore: Pick<AlarmStore, 'replayReadings'>;
  analytics: Analytics;
  alarms: Pick<AlarmEngine, 'rebuildDevices'>;
  /** Sequence watermarks too, when given: the tracker takes each device's state as last committed. */
  sequence?: { catalog: Pick<CatalogStore, 'loadSequenceState'>; tracker: { load(states: SeqDeviceState[]): void } };
  profileOf(device: string): string | null;
  /** How far back live analytics look (the longest window: z-score, 1 min stats). */
  windowMs: number;
  /** Most stored readings read back per device (the newest window is read; past this it is cut short). */
  maxReadings?: number;
}

/**
 * Rebuilds what a node holds per device from the store, for devices it has just taken over (a
 * partition moved to it): analytics windows from the device's newest stored readings, replayed in
 * order through the same code that built them live, and the alarm engine's on/off-delay timers
 * and open alarms as the last owner committed them. Call it before the first new message of those
 * devices is processed here.
 */
export function deviceRebuilder(s: DeviceStateSources): (ids: string[]) => Promise<void> {
  return async (ids) => {
    const wanted = new Set(ids);
    const stored = (await s.telemetry.listDevices()).filter((d) => wanted.has(d.id));
    for (const d of stored) {
      s.analytics.forget(d.id);
      const newest = Math.max(...Object.values(d.latest).map((l) => l.ts));
      if (!Number.isFinite(newest)) continue;
      const readings = await s.alarmStore.replayReadings({ device: d.id, from: newest - s.windowMs, to: newest, limit: s.maxReadings ?? 200_000 });
      // Readings of one message share its time and seq; replayReadings gives them oldest first.
      const messages = new Map<string, Pick<Message, 'ts' | 'seq' | 'values'>>();
      for (const r of readings) {
        const k = `${r.ts}/${r.seq ?? ''}`;
        let m = messages.get(k);
        if (!m) messages.set(k, (m = { ts: r.ts, seq: r.seq, values: {} }));
        m.values[r.metric] = r.value;
      }
      const profile = s.profileOf(d.id) ?? d.profile;
      for (const m of messages.values()) s.analytics.observe({ device: d.id, profile, ...m });
    }
    for (const id of wanted) if (!stored.some((d) => d.id === id)) s.analytics.forget(id);
    if (s.sequence) s.sequence.tracker.load((await s.sequence.catalog.loadSequenceState()).filter((st) => wanted.has(st.device)));
    await s.alarms.rebuildDevices(ids);
  };
}
