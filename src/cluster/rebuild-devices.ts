import type { Analytics } from '../analytics/live-stats.js';
import type { AlarmEngine } from '../alarms/engine.js';
import type { Logger } from '../logger.js';
import { NO_SEQ, type Message } from '../model/reading.js';
import type { SeqDeviceState } from '../model/sequence.js';
import type { AlarmStore, CatalogStore, RuleWatermark, TelemetryStore } from '../stores/store.js';
import { messageKey, type JudgementGate } from './judgement-gate.js';

export interface DeviceStateSources {
  telemetry: Pick<TelemetryStore, 'listDevices'>;
  alarmStore: Pick<AlarmStore, 'replayReadings' | 'loadRuleWatermarks'>;
  analytics: Analytics;
  alarms: Pick<AlarmEngine, 'rebuildDevices' | 'observe' | 'idle'>;
  /** Sequence watermarks too, when given: the tracker takes each device's state as last committed. */
  sequence?: { catalog: Pick<CatalogStore, 'loadSequenceState'>; tracker: { load(states: SeqDeviceState[]): void } };
  profileOf(device: string): string | null;
  /** How far back live analytics look (the longest window: z-score, 1 min stats). */
  windowMs: number;
  /** Most stored readings read back per device (the newest window is read; past this it is cut short). */
  maxReadings?: number;
  logger?: Logger;
}

type Stored = Pick<Message, 'ts' | 'seq' | 'values'>;

const READ_CONCURRENCY = 4;

/** fn over items, at most `limit` at a time; results in the items' order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const after = (m: Stored, w: RuleWatermark): boolean => m.ts > w.ts || (m.ts === w.ts && (m.seq ?? NO_SEQ) > w.seq);

/**
 * Rebuilds what a node holds per device from the store, for devices it has just taken over (a
 * partition moved to it): the alarm engine's on/off-delay timers and open alarms as the last owner
 * committed them; analytics windows from the device's stored readings up to its rule watermark
 * (the last message the rules judged), replayed in order through the same code that built them
 * live; then the readings committed after the watermark, which the last owner never judged (it
 * died between commit and judgement), judged here through the alarm engine as live ones. Call it
 * after the partition's fence is claimed (no earlier owner commits or judges after that) and
 * before the first new message of those devices is judged here.
 *
 * With a gate (cluster mode) the partition is consumed and committed meanwhile: the caller holds
 * the devices in the gate before its consumer starts, the rebuild leaves out what the gate holds
 * and hands it to the rules right after its own replay. The sequence state is then the caller's
 * to load before the consumer starts (loading it here would undo what was counted meanwhile).
 */
export function deviceRebuilder(s: DeviceStateSources): (ids: string[], gate?: JudgementGate) => Promise<void> {
  return async (ids, gate) => {
    const wanted = new Set(ids);
    // Timers and open alarms first: the replay below judges on top of them.
    await s.alarms.rebuildDevices(ids);
    const stored = (await s.telemetry.listDevices()).filter((d) => wanted.has(d.id));
    const marks = new Map((s.alarmStore.loadRuleWatermarks ? await s.alarmStore.loadRuleWatermarks(stored.map((d) => d.id)) : []).map((w) => [w.device, w]));
    const judgeable = !!s.alarmStore.loadRuleWatermarks;
    // Read concurrently (each read is a round trip through the store's read workers: on a loaded
    // machine 17 devices read one after another took 6-15 s), replayed in order afterwards.
    const windows = await mapLimited(stored, READ_CONCURRENCY, async (d) => {
      const newest = Math.max(...Object.values(d.latest).map((l) => l.ts));
      if (!Number.isFinite(newest)) return null;
      // No watermark on a store that keeps them: the device was never judged (its rows are seeded when the table is made).
      const mark = marks.get(d.id) ?? (judgeable ? { device: d.id, ts: -Infinity, seq: NO_SEQ } : { device: d.id, ts: newest, seq: Number.MAX_SAFE_INTEGER });
      const from = Number.isFinite(mark.ts) ? Math.min(mark.ts, newest) - s.windowMs : 0;
      const readings = await s.alarmStore.replayReadings({ device: d.id, from: Math.floor(from), to: Math.ceil(newest), limit: s.maxReadings ?? 200_000 });
      return { mark, readings };
    });
    // From here to the gate's release, synchronous: no commit of these devices is announced in between.
    const unjudged: Message[] = [];
    const read = new Map<string, Set<string>>();
    for (const [i, d] of stored.entries()) {
      s.analytics.forget(d.id);
      const w = windows[i];
      if (!w) continue;
      const { mark, readings } = w;
      // Committed here since the takeover: judged after the replay, from the gate.
      const mine = gate?.heldKeys(d.id);
      // Readings of one message share its time and seq.
      const byMessage = new Map<string, Stored>();
      for (const r of readings) {
        const k = messageKey(r.ts, r.seq);
        if (mine?.has(k)) continue;
        let m = byMessage.get(k);
        if (!m) byMessage.set(k, (m = r.seq === undefined ? { ts: r.ts, values: {} } : { ts: r.ts, seq: r.seq, values: {} }));
        m.values[r.metric] = r.value;
      }
      read.set(d.id, new Set(byMessage.keys()));
      const messages = [...byMessage.values()].sort((a, b) => a.ts - b.ts || (a.seq ?? NO_SEQ) - (b.seq ?? NO_SEQ));
      const profile = s.profileOf(d.id) ?? d.profile;
      for (const m of messages) {
        if (after(m, mark)) {
          unjudged.push({ device: d.id, ...m, ...(profile ? { profile } : {}), source: 'mqtt', receivedAt: m.ts });
        } else s.analytics.observe({ device: d.id, profile, ...m });
      }
    }
    for (const id of wanted) if (!stored.some((d) => d.id === id)) s.analytics.forget(id);
    // Through analytics and rules (each device's in order), with the watermarks moved as they are
    // judged; then what was committed here meanwhile, after it.
    if (unjudged.length) s.alarms.observe(unjudged);
    if (gate) {
      const meanwhile = gate.release(ids, read);
      if (meanwhile.length) s.alarms.observe(meanwhile);
    }
    await s.alarms.idle();
    if (s.sequence && !gate) s.sequence.tracker.load((await s.sequence.catalog.loadSequenceState()).filter((st) => wanted.has(st.device)));
  };
}
