import type { Alarm, NotificationRecord, Severity } from '../model/alarm.js';
import { SEVERITIES } from '../model/alarm.js';
import type { AlarmStore } from '../stores/store.js';
import type { Logger } from '../logger.js';
import type { AlarmChange } from '../alarms/engine.js';
import type { Channel, ChannelPolicy, Notice, NoticeType } from './channel.js';
import { subject } from './channel.js';

export const defaultPolicy = (type: Channel['type']): ChannelPolicy => ({
  severities: [...SEVERITIES],
  events: type === 'websocket' ? ['raised', 'cleared', 'acked', 'escalation', 'test'] : ['raised', 'cleared', 'escalation', 'test'],
  groupWindowMs: type === 'websocket' ? 0 : 5000,
  minIntervalMs: type === 'websocket' ? 0 : 60_000,
  renotifyAfterMs: 0,
  retries: type === 'websocket' ? 0 : 4,
  backoffMs: 1000,
});

interface ChannelState {
  channel: Channel;
  policy: ChannelPolicy;
  queue: Notice[];
  groupTimer: NodeJS.Timeout | null;
  /** Last raise notice per (device, rule): the minimum interval. */
  lastRaise: Map<string, number>;
  /** Alarms whose raise went out here, with when they were last notified: clears and escalations follow only those. */
  notified: Map<string, number>;
  /** The last delivery failed after its retries (and none has succeeded since), with why. */
  failing: string | null;
}

/**
 * Who an alarm is, across its life: a system alarm raised while the store was down changes id
 * when the store takes it, and its clear must still follow its raise.
 */
const alarmKey = (a: Alarm) => `${a.ruleId}\u0000${a.device}\u0000${a.raisedAt}`;

export type DeliveryListener = (channel: string, status: 'sent' | 'failed') => void;

/**
 * Turns alarm changes into messages per channel without spamming: severity and event filters,
 * a grouping window (one message for a burst), a minimum interval per (device, rule), escalation
 * while unacknowledged, retries with exponential backoff, and a delivery log in the store.
 */
export class Dispatcher {
  private states: ChannelState[];
  private escalationTimer: NodeJS.Timeout | null = null;
  private inflight = new Set<Promise<unknown>>();
  private stopped = false;
  /** Retries sleeping out their backoff. */
  private wakers = new Set<() => void>();

  constructor(
    channels: { channel: Channel; policy: ChannelPolicy }[],
    private readonly store: AlarmStore,
    private readonly logger: Logger,
    private readonly onDelivered?: DeliveryListener,
  ) {
    this.states = channels.map(({ channel, policy }) => ({
      channel,
      policy,
      queue: [],
      groupTimer: null,
      lastRaise: new Map(),
      notified: new Map(),
      failing: null,
    }));
  }

  /** Per channel: failing since its last delivery gave up, until one succeeds (system alarms watch this). */
  health(): { name: string; failing: boolean; error: string | null }[] {
    return this.states.map((s) => ({ name: s.channel.name, failing: s.failing !== null, error: s.failing }));
  }

  channels(): { name: string; type: string; policy: ChannelPolicy }[] {
    return this.states.map((s) => ({ name: s.channel.name, type: s.channel.type, policy: s.policy }));
  }

  channel(name: string): Channel | undefined {
    return this.states.find((s) => s.channel.name === name)?.channel;
  }

  /** Escalation: re-notify alarms still active and unacknowledged; `openAlarms` reads the engine's view. */
  startEscalation(openAlarms: () => Alarm[], everyMs = 1000): void {
    if (!this.states.some((s) => s.policy.renotifyAfterMs > 0)) return;
    this.escalationTimer = setInterval(() => {
      const now = Date.now();
      const open = openAlarms().filter((a) => a.status === 'active_unacked');
      for (const s of this.states) {
        if (!s.policy.renotifyAfterMs) continue;
        for (const a of open) {
          const last = s.notified.get(alarmKey(a));
          if (last === undefined || now - last < s.policy.renotifyAfterMs) continue;
          s.notified.set(alarmKey(a), now);
          this.enqueue(s, { type: 'escalation', at: now, alarm: a });
        }
      }
    }, everyMs);
    this.escalationTimer.unref();
  }

  handle(change: AlarmChange): void {
    if (this.stopped) return;
    const now = Date.now();
    const { alarm } = change;
    for (const s of this.states) {
      const p = s.policy;
      if (!p.severities.includes(alarm.severity)) continue;
      const type: NoticeType = change.type;
      if (!p.events.includes(type === 'auto_cleared' ? 'cleared' : type)) continue;
      if (type === 'raised') {
        const k = alarm.ruleId + '\u0000' + alarm.device;
        const last = s.lastRaise.get(k);
        if (last !== undefined && now - last < p.minIntervalMs) continue;
        s.lastRaise.set(k, now);
        s.notified.set(alarmKey(alarm), now);
      } else {
        // Follow-ups only for alarms this channel announced, so a suppressed raise stays quiet.
        if (!s.notified.has(alarmKey(alarm))) continue;
        if (type === 'cleared' || type === 'auto_cleared') s.notified.delete(alarmKey(alarm));
      }
      this.enqueue(s, change.message === undefined ? { type, at: now, alarm } : { type, at: now, alarm, message: change.message });
    }
  }

  /** Sends a test message to one channel now (no grouping), retrying as configured. */
  async test(name: string): Promise<NotificationRecord | undefined> {
    const s = this.states.find((x) => x.channel.name === name);
    if (!s) return undefined;
    return this.deliver(s, [{ type: 'test', at: Date.now(), alarm: null }]);
  }

  async list(q: { limit: number; channel?: string; before?: number }): Promise<NotificationRecord[]> {
    return this.store.listNotifications(q);
  }

  private enqueue(s: ChannelState, n: Notice): void {
    if (!s.policy.groupWindowMs) {
      this.track(this.deliver(s, [n]));
      return;
    }
    s.queue.push(n);
    if (s.groupTimer) return;
    s.groupTimer = setTimeout(() => this.flush(s), s.policy.groupWindowMs);
  }

  private flush(s: ChannelState): void {
    if (s.groupTimer) clearTimeout(s.groupTimer);
    s.groupTimer = null;
    const batch = s.queue;
    s.queue = [];
    if (batch.length) this.track(this.deliver(s, batch));
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async deliver(s: ChannelState, notices: Notice[]): Promise<NotificationRecord> {
    const rec: NotificationRecord = {
      channel: s.channel.name,
      createdAt: Date.now(),
      kind: [...new Set(notices.map((n) => n.type))].join(','),
      alarmIds: [...new Set(notices.flatMap((n) => (n.alarm ? [n.alarm.id] : [])))],
      status: 'pending',
      attempts: 0,
      lastAttemptAt: null,
      error: null,
      summary: subject(notices),
    };
    // The delivery log is best effort: with the store down (itself an alarm worth sending), the
    // message still goes out and only its log entry is missing.
    const id = await this.store.addNotification(rec).catch((err: Error) => {
      this.logger.warn({ channel: s.channel.name, err: err.message }, 'notification not logged');
      return null;
    });
    const saved = { ...rec, id: id ?? 0 };
    const log = async () => {
      if (id !== null) await this.store.updateNotification(saved).catch(() => undefined);
    };
    for (;;) {
      saved.attempts++;
      saved.lastAttemptAt = Date.now();
      try {
        await s.channel.send(notices);
        saved.status = 'sent';
        saved.error = null;
      } catch (err) {
        saved.error = (err as Error).message;
        if (saved.attempts <= s.policy.retries && !this.stopped) {
          await log();
          await new Promise<void>((r) => {
            let t: NodeJS.Timeout | undefined = undefined;
            const done = () => {
              clearTimeout(t);
              this.wakers.delete(done);
              r();
            };
            this.wakers.add(done);
            t = setTimeout(done, s.policy.backoffMs * 2 ** (saved.attempts - 1));
          });
          continue;
        }
        saved.status = 'failed';
        this.logger.warn({ channel: s.channel.name, attempts: saved.attempts, err: saved.error }, 'notification failed');
      }
      s.failing = saved.status === 'failed' ? saved.error : null;
      this.onDelivered?.(s.channel.name, saved.status);
      await log();
      return saved;
    }
  }

  /** Sends what is grouped, waits for deliveries under way, closes channels. */
  async stop(): Promise<void> {
    if (this.escalationTimer) clearInterval(this.escalationTimer);
    for (const s of this.states) this.flush(s);
    this.stopped = true;
    // A retry waiting out its backoff makes one last attempt now instead of holding up shutdown.
    for (const w of [...this.wakers]) w();
    await Promise.allSettled([...this.inflight]);
    for (const s of this.states) s.channel.close?.();
  }
}

export function isSeverity(x: unknown): x is Severity {
  return typeof x === 'string' && (SEVERITIES as readonly string[]).includes(x);
}
