import type { Alarm, AlarmStatus, Severity } from '../../../src/model/alarm.js';

export const OPEN_STATUSES: readonly AlarmStatus[] = ['active_unacked', 'active_acked'];

export function isOpen(a: Alarm): boolean {
  return a.status === 'active_unacked' || a.status === 'active_acked';
}

const severityRank: Record<Severity, number> = { critical: 4, major: 3, minor: 2, warning: 1, info: 0 };

export function worseSeverity(a: Severity | null, b: Severity): Severity {
  return a === null || severityRank[b] > severityRank[a] ? b : a;
}

/**
 * Alarms the dashboard knows of, kept current from REST snapshots and live `alarm`/`toast`
 * messages. An alarm only moves forward: an update older than what is held (by its latest event
 * time) is ignored, so a slow snapshot cannot undo a live ack.
 */
export class AlarmStore {
  private byId = new Map<number, Alarm>();
  private listeners = new Set<() => void>();
  private openCounts: Map<string, { count: number; worst: Severity | null }> | null = null;
  version = 0;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(id: number): Alarm | undefined {
    return this.byId.get(id);
  }

  /** Replaces the set of open alarms with a snapshot (alarms that closed meanwhile leave it). */
  setOpen(open: Alarm[]): void {
    const ids = new Set(open.map((a) => a.id));
    for (const [id, a] of this.byId) if (isOpen(a) && !ids.has(id)) this.byId.delete(id);
    for (const a of open) this.put(a);
    this.changed();
  }

  /** Folds in alarms (from a list query or a live message). Returns true when anything changed. */
  upsert(alarms: Alarm[]): boolean {
    let changed = false;
    for (const a of alarms) changed = this.put(a) || changed;
    if (changed) this.changed();
    return changed;
  }

  /** Open alarms per device: how many, and the worst severity among them. */
  openByDevice(): Map<string, { count: number; worst: Severity | null }> {
    if (!this.openCounts) {
      const m = new Map<string, { count: number; worst: Severity | null }>();
      for (const a of this.byId.values()) {
        if (!isOpen(a)) continue;
        const cur = m.get(a.device) ?? { count: 0, worst: null };
        m.set(a.device, { count: cur.count + 1, worst: worseSeverity(cur.worst, a.severity) });
      }
      this.openCounts = m;
    }
    return this.openCounts;
  }

  /** Alarms of one device whose time span touches [from, to], oldest first. */
  forDevice(device: string, from: number, to: number): Alarm[] {
    const out: Alarm[] = [];
    for (const a of this.byId.values()) {
      if (a.device !== device) continue;
      const end = a.clearedAt ?? Infinity;
      if (a.raisedAt <= to && end >= from) out.push(a);
    }
    return out.sort((a, b) => a.raisedAt - b.raisedAt);
  }

  private put(a: Alarm): boolean {
    const cur = this.byId.get(a.id);
    if (cur && stamp(cur) > stamp(a)) return false;
    if (cur && cur.status === a.status && cur.count === a.count && cur.lastAt === a.lastAt && stamp(cur) === stamp(a)) return false;
    // A system alarm raised while the store was down had a provisional (negative) id; once stored it
    // comes back under its real id, and the provisional copy goes.
    if (a.id > 0) {
      for (const [id, p] of this.byId) if (id < 0 && p.ruleId === a.ruleId && p.device === a.device && p.raisedAt === a.raisedAt) this.byId.delete(id);
    }
    this.byId.set(a.id, a);
    return true;
  }

  private changed(): void {
    this.openCounts = null;
    this.version++;
    for (const fn of [...this.listeners]) fn();
  }
}

/** The time of an alarm's latest change, to order two copies of it. */
function stamp(a: Alarm): number {
  return Math.max(a.raisedAt, a.lastAt, a.ackedAt ?? 0, a.clearedAt ?? 0);
}

export interface AlarmFilter {
  /** attention: active or not yet acknowledged (what someone still has to look at) */
  status: 'attention' | 'open' | 'all' | AlarmStatus;
  severity: 'all' | Severity;
  device: string;
  /** raisedAt from/to, epoch ms; NaN = open */
  from: number;
  to: number;
  /** system: alarms about Fieldscope itself; device: alarms from rules; absent or all: both. */
  origin?: 'all' | 'system' | 'device';
}

/** System alarms (store, spool, broker, serial, channels, disk) are told apart by their kind. */
export const isSystemAlarm = (a: Alarm) => a.kind === 'system';

/** Query string for GET /api/v1/alarms from a filter. */
export function alarmQuery(f: AlarmFilter, limit = 500): string {
  const p = new URLSearchParams();
  if (f.status === 'attention') p.set('status', 'active_unacked,active_acked,cleared_unacked');
  else if (f.status !== 'all') p.set('status', f.status);
  if (f.severity !== 'all') p.set('severity', f.severity);
  if (f.device.trim()) p.set('device', f.device.trim());
  if (Number.isFinite(f.from)) p.set('from', String(f.from));
  if (Number.isFinite(f.to)) p.set('to', String(f.to));
  if (f.origin && f.origin !== 'all') p.set('origin', f.origin);
  p.set('limit', String(limit));
  return p.toString();
}

export interface Toast {
  id: number;
  severity: Severity;
  /** What happened to the alarm (raised, acked, cleared, auto_cleared); null when the toast carries several. */
  event: string | null;
  title: string;
  text: string;
  alarmId: number | null;
  device: string | null;
  at: number;
}

/** Only a raised critical alarm waits to be dismissed: clears, acks and lower severities are news that passes. */
export function isSticky(t: Pick<Toast, 'severity' | 'event'>): boolean {
  return t.severity === 'critical' && (t.event === 'raised' || t.event === null);
}

/**
 * Toasts, newest first: `visible` of them on screen, the rest collapsed into a count; each
 * non-sticky one leaves after `ttlMs`, and at most `keep` are remembered at all.
 */
export class ToastQueue {
  private items: Toast[] = [];
  private next = 1;
  private listeners = new Set<() => void>();
  version = 0;

  constructor(
    readonly visible = 3,
    readonly ttlMs = 8_000,
    private readonly keep = 50,
  ) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The toasts shown, newest first (at most `visible`). */
  list(): Toast[] {
    return this.items.slice(0, this.visible);
  }

  /** How many more there are than are shown. */
  get collapsed(): number {
    return Math.max(0, this.items.length - this.visible);
  }

  push(t: Omit<Toast, 'id'>): Toast {
    const toast = { ...t, id: this.next++ };
    this.items = [toast, ...this.items].slice(0, this.keep);
    this.changed();
    return toast;
  }

  dismiss(id: number): void {
    const before = this.items.length;
    this.items = this.items.filter((t) => t.id !== id);
    if (this.items.length !== before) this.changed();
  }

  dismissAll(): void {
    if (!this.items.length) return;
    this.items = [];
    this.changed();
  }

  /**
   * Drops toasts older than ttlMs, except raised critical alarms (those wait to be dismissed).
   * `held`: the operator's pointer is moving over the page. The toasts sit in the page's flow (they
   * never cover its controls), so one leaving moves everything under them: while held, none leaves
   * by itself, and those due go together once the pointer rests or leaves.
   */
  expire(now: number, held = false): void {
    if (held) return;
    const before = this.items.length;
    this.items = this.items.filter((t) => isSticky(t) || now - t.at < this.ttlMs);
    if (this.items.length !== before) this.changed();
  }

  private changed(): void {
    this.version++;
    for (const fn of [...this.listeners]) fn();
  }
}
