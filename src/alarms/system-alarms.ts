import type { Alarm, AlarmQuery, Severity } from '../model/alarm.js';
import { SYSTEM_DEVICE, SYSTEM_KIND } from '../model/alarm.js';
import type { AlarmStore } from '../stores/store.js';
import type { Logger } from '../logger.js';
import type { AlarmChange } from './engine.js';
import * as lifecycle from './lifecycle.js';

/** What a system alarm is about: `store`, `spool`, `broker`, `serial:/dev/ttyUSB0`, `channel:webhook`, `disk`. */
export interface SystemCondition {
  component: string;
  severity: Severity;
  /** Short name shown as the alarm's rule name ("Store unavailable"). */
  title: string;
  message: string;
}

interface Entry {
  alarm: Alarm;
  /** Not yet in the store (raised while it was down, or its clear not yet written). */
  pending: 'open' | 'update' | null;
  /** The id the alarm had before the store gave it one: a clear must find it either way. */
  provisional: number | null;
}

export const systemRuleId = (component: string) => `system:${component}`;

/**
 * Alarms about Fieldscope itself. They follow the device alarms' lifecycle and notifications but
 * cannot depend on the store: the store being down is one of them. So the open ones are held here,
 * written to the store when it answers, and a raise made while it is down gets a provisional
 * negative id until then. The monitor (system-monitor.ts) says which conditions hold.
 */
export class SystemAlarms {
  private open = new Map<string, Entry>();
  /** Cleared while the store was down: kept until written so the API can still show them. */
  private unwritten: Entry[] = [];
  /** Cleared by hand while the condition still held: not raised again until it has ended. */
  private latched = new Set<string>();
  private listeners = new Set<(c: AlarmChange) => void>();
  private nextProvisional = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: AlarmStore,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes over system alarms left open by the previous run: the next check clears those that ended. */
  async start(): Promise<void> {
    for (const a of await this.store.activeAlarms()) {
      if (a.kind === SYSTEM_KIND) this.open.set(a.ruleId.slice('system:'.length), { alarm: a, pending: null, provisional: null });
    }
  }

  onChange(listener: (c: AlarmChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  openAlarms(): Alarm[] {
    return [...this.open.values()].map((e) => e.alarm);
  }

  /** Components with an open alarm (for the monitor: a condition that ended clears these). */
  components(): string[] {
    return [...this.open.keys()];
  }

  /** Waits for what is queued. */
  idle(): Promise<void> {
    return this.enqueue(async () => undefined);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err: Error) => this.logger.error({ err: err.message }, 'system alarm step failed'));
    return run;
  }

  private emit(c: AlarmChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'system alarm listener failed');
      }
    }
  }

  /** The condition holds: raise its alarm unless one is open (or it was cleared by hand meanwhile). */
  raise(c: SystemCondition): Promise<void> {
    return this.enqueue(async () => {
      if (this.open.has(c.component) || this.latched.has(c.component)) return;
      const at = this.now();
      const draft: Omit<Alarm, 'id'> = {
        ruleId: systemRuleId(c.component),
        ruleName: c.title,
        kind: SYSTEM_KIND,
        device: SYSTEM_DEVICE,
        metric: c.component,
        severity: c.severity,
        status: 'active_unacked',
        raisedAt: at,
        lastAt: at,
        count: 1,
        firstValue: null,
        lastValue: null,
        clearedAt: null,
        clearedBy: null,
        ackedAt: null,
        ackedBy: null,
        message: c.message,
      };
      let entry: Entry;
      try {
        const { alarm } = await this.store.openAlarm(draft);
        entry = { alarm, pending: null, provisional: null };
      } catch {
        const id = this.nextProvisional--;
        entry = { alarm: { ...draft, id }, pending: 'open', provisional: id };
      }
      this.open.set(c.component, entry);
      this.logger.warn({ component: c.component, message: c.message }, 'system alarm raised');
      this.emit({ type: 'raised', alarm: entry.alarm });
    });
  }

  /** The condition has ended: its alarm clears itself. */
  resolve(component: string): Promise<void> {
    return this.enqueue(async () => {
      this.latched.delete(component);
      const e = this.open.get(component);
      if (!e) return;
      this.open.delete(component);
      const at = this.now();
      e.alarm = lifecycle.clear(e.alarm, null, at);
      if (e.pending !== 'open') e.pending = 'update';
      await this.write(e);
      if (e.pending) this.unwritten.push(e);
      this.logger.warn({ component }, 'system alarm cleared');
      this.emit({ type: 'auto_cleared', alarm: e.alarm });
    });
  }

  /** Writes what the store missed while it was down; the monitor calls it on every check. */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      for (const e of this.open.values()) if (e.pending) await this.write(e);
      for (const e of this.unwritten) if (e.pending) await this.write(e);
      this.unwritten = this.unwritten.filter((e) => e.pending);
    });
  }

  /** One entry into the store, as far as it goes; false (and still pending) when the store refuses. */
  private async write(e: Entry): Promise<boolean> {
    try {
      if (e.pending === 'open') {
        const { id: _provisional, ...rest } = e.alarm;
        const raised = { ...rest, status: 'active_unacked' as const, clearedAt: null, clearedBy: null };
        const { alarm } = await this.store.openAlarm(raised);
        const cleared = e.alarm.clearedAt !== null;
        e.alarm = { ...e.alarm, id: alarm.id };
        e.pending = cleared ? 'update' : null;
      }
      if (e.pending === 'update') {
        await this.store.updateAlarm(e.alarm, { at: e.alarm.clearedAt ?? this.now(), type: 'auto_cleared', by: null, comment: null, value: null });
        e.pending = null;
      }
      return true;
    } catch {
      return false;
    }
  }

  /** An operator acked or cleared a system alarm through the API: keep this copy in step. */
  observe(change: AlarmChange): void {
    const a = change.alarm;
    if (a.kind !== SYSTEM_KIND || (change.type !== 'acked' && change.type !== 'cleared')) return;
    void this.enqueue(async () => {
      for (const [component, e] of this.open) {
        if (e.alarm.id !== a.id) continue;
        if (change.type === 'cleared') {
          this.open.delete(component);
          this.latched.add(component);
        } else e.alarm = { ...e.alarm, status: a.status, ackedAt: a.ackedAt, ackedBy: a.ackedBy };
      }
    });
  }

  /** System alarms the store does not have yet, matching a list query (merged into GET /alarms). */
  notInStore(q: AlarmQuery): Alarm[] {
    const entries = [...this.open.values(), ...this.unwritten].filter((e) => e.pending === 'open');
    return entries.map((e) => e.alarm).filter((a) => matches(a, q));
  }

  /** Every system alarm held here, matching a query: what the API shows while the store is down. */
  held(q: AlarmQuery): Alarm[] {
    return [...this.open.values(), ...this.unwritten].map((e) => e.alarm).filter((a) => matches(a, q));
  }
}

function matches(a: Alarm, q: AlarmQuery): boolean {
  if (q.origin === 'device') return false;
  if (q.status?.length && !q.status.includes(a.status)) return false;
  if (q.severity?.length && !q.severity.includes(a.severity)) return false;
  if (q.device !== undefined && q.device !== a.device) return false;
  if (q.ruleId !== undefined && q.ruleId !== a.ruleId) return false;
  if (q.from !== undefined && a.raisedAt < q.from) return false;
  if (q.to !== undefined && a.raisedAt > q.to) return false;
  return true;
}
