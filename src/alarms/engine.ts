import type { Alarm, AlarmEventType, Rule, RuleInput } from '../model/alarm.js';
import { SYSTEM_KIND } from '../model/alarm.js';
import { NO_SEQ, type Message } from '../model/reading.js';
import { FencedError, type AlarmStore, type PartitionFence, type RuleWatermark } from '../stores/store.js';
import type { Analytics, MessageLike } from '../analytics/live-stats.js';
import type { Logger } from '../logger.js';
import { appliesTo, buildRule, describe, describeClear } from './rules.js';
import { evaluateMessage } from './evaluate.js';
import { initialTrigger, sameTrigger, type TriggerState } from './trigger.js';
import * as lifecycle from './lifecycle.js';
import { DomainError } from '../model/errors.js';

export interface AlarmChange {
  type: AlarmEventType;
  alarm: Alarm;
  /** What this change says when the raise message would mislead: an auto-clear quotes the clearing value. */
  message?: string;
}

/** What the engine needs to know about devices (the device registry provides it). */
export interface DeviceDirectory {
  get(id: string): { profile: string | null; lastSeen: number } | undefined;
  list(): { id: string; profile: string | null; lastSeen: number }[];
  /**
   * Every device as held now, neither copied nor sorted (the silence sweep reads three fields of
   * each, every 250 ms: a sorted copy of 100,000 devices that often took the whole main thread).
   */
  /** A device's profile without copying its state (asked per committed message). */
  profileOf?(id: string): string | null | undefined;
  each?(): Iterable<{ readonly id: string; readonly profile: string | null; readonly lastSeen: number }>;
}

export interface AlarmEngineOptions {
  store: AlarmStore;
  analytics: Analytics;
  devices: DeviceDirectory;
  logger: Logger;
  /** How often silence (nodata rules) is checked. */
  sweepMs?: number;
  /**
   * 'external': start() leaves silence alone; whoever runs nodata timers calls startSilenceSweep
   * (in a cluster, the one node holding the run-once lease, with last-seen times from the store).
   */
  silenceSweep?: 'local' | 'external';
  /** What an enum metric's value means (fault_type 3 -> "unbalance + looseness"), for alarm messages. */
  label?: (profile: string | null, metric: string, value: number) => string | undefined;
  now?: () => number;
  /**
   * Shared store (cluster mode): each batch of committed messages is judged in one store
   * transaction with each device's rule watermark (its last judged message), so a node taking the
   * device over judges exactly what is after it (`replayCommitted`). Needs the store's `atomically`.
   */
  watermarks?: {
    /**
     * The lease a device's judgement is fenced by: undefined when there is none (one node on a
     * shared store), null when this node no longer holds the device's partition (its new owner
     * judges the message from the watermark; this node leaves it).
     */
    fenceOf?: (device: string) => PartitionFence | null | undefined;
    /** Wait before retrying a judgement the store refused (not a fence). Default 1000 ms. */
    retryMs?: number;
  };
}

const EMPTY_VALUES: Record<string, number> = {};

type Observed = { m: Message; profile: string | null; stats: ReturnType<Analytics['observe']> };

const key = (ruleId: string, device: string) => ruleId + '\u0000' + device;
const deviceOfKey = (k: string) => k.slice(k.indexOf('\u0000') + 1);

export type SilenceDevice = { id: string; profile: string | null; lastSeen: number };

/**
 * Live rule evaluation. Every change goes through one queue, so readings, timers and operator
 * actions never interleave: one open alarm per (device, rule) holds by construction, and the
 * store's partial unique index holds it again underneath.
 */
export class AlarmEngine {
  private rules: Rule[] = [];
  private triggers = new Map<string, TriggerState>();
  private open = new Map<string, Alarm>();
  private queue: Promise<unknown> = Promise.resolve();
  private listeners = new Set<(c: AlarmChange) => void>();
  private timer: NodeJS.Timeout | null = null;
  /** Where the silence sweep reads last-seen times; null while this engine sweeps no silence. */
  private silenceList: (() => Promise<SilenceDevice[]> | Iterable<SilenceDevice>) | null = null;
  /** While a batch is judged in one transaction: what it changed in memory (restored if it rolls back), and its events (sent once committed). */
  private undo: { triggers: Map<string, TriggerState | undefined>; open: Map<string, Alarm | undefined> } | null = null;
  private deferred: [AlarmEventType, Alarm, string | undefined][] | null = null;
  /** A sweep of every device is queued and has not started: another would find the same. */
  private sweepQueued = false;
  /** Queued steps that may change the rules (enqueueRuleChange), not yet finished. */
  private ruleChangesQueued = 0;

  constructor(private readonly opts: AlarmEngineOptions) {}

  private profileOf(device: string): string | null {
    const d = this.opts.devices;
    return (d.profileOf ? d.profileOf(device) : d.get(device)?.profile) ?? null;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  async start(): Promise<void> {
    const { store } = this.opts;
    this.rules = await store.listRules();
    for (const t of await store.listTriggers()) this.triggers.set(key(t.ruleId, t.device), { phase: t.phase as TriggerState['phase'], since: t.since });
    // System alarms are held by system-alarms.ts, which clears them; the engine only acks and clears them by hand.
    for (const a of await store.activeAlarms()) if (a.kind !== SYSTEM_KIND) this.open.set(key(a.ruleId, a.device), a);
    if (this.opts.silenceSweep !== 'external') this.startSilenceSweep();
  }

  /** Checks silence every sweepMs against the devices `list` gives (default: the device directory) until stopped. */
  startSilenceSweep(
    list: () => Promise<SilenceDevice[]> | Iterable<SilenceDevice> = () => this.opts.devices.each?.() ?? this.opts.devices.list(),
    everyMs = this.opts.sweepMs ?? 250,
  ): { stop(): void } {
    if (this.timer) clearInterval(this.timer);
    this.silenceList = list;
    const timer = setInterval(() => this.checkSilence(), everyMs);
    timer.unref();
    this.timer = timer;
    return {
      stop: () => {
        clearInterval(timer);
        if (this.timer !== timer) return;
        this.timer = null;
        this.silenceList = null;
      },
    };
  }

  /** Waits for everything queued so far. */
  async idle(): Promise<void> {
    await this.enqueue(async () => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.silenceList = null;
    await this.idle();
  }

  onChange(listener: (c: AlarmChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  listRules(): Rule[] {
    return [...this.rules];
  }

  openAlarms(): Alarm[] {
    return [...this.open.values()];
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch((err: Error) => this.opts.logger.error({ err: err.message }, 'alarm engine step failed'));
    return run;
  }

  private emit(type: AlarmEventType, alarm: Alarm, message?: string): void {
    if (this.deferred) {
      this.deferred.push([type, alarm, message]);
      return;
    }
    for (const l of this.listeners) {
      try {
        l(message === undefined ? { type, alarm } : { type, alarm, message });
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'alarm listener failed');
      }
    }
  }

  /** Committed messages: analytics now (in commit order), rules in the queue. */
  observe(messages: Message[]): void {
    if (!this.opts.watermarks && !this.rules.length) {
      // Nothing will judge these: fold them into the live windows without an item, an input object
      // or a snapshot per message (garbage on the ingest hot path).
      const input: MessageLike = { device: '', ts: 0, seq: undefined, profile: null, values: EMPTY_VALUES };
      for (const m of messages) {
        input.device = m.device;
        input.ts = m.ts;
        input.seq = m.seq;
        input.profile = m.profile ?? this.profileOf(m.device);
        input.values = m.values;
        this.opts.analytics.observeQuietly(input);
      }
      return;
    }
    if (!this.opts.watermarks && this.ruleChangesQueued === 0) return this.observeJudgedOnly(messages);
    const items = messages.map((m) => {
      const profile = m.profile ?? this.profileOf(m.device);
      return { m, profile, stats: this.opts.analytics.observe({ device: m.device, ts: m.ts, seq: m.seq, profile, values: m.values }) };
    });
    if (this.opts.watermarks) {
      // Even with no rule: the watermark says these were judged, so a rule made later never judges them on a takeover.
      void this.enqueue(() => this.judgeCommitted(items));
      return;
    }
    if (!this.rules.length) return;
    void this.enqueue(async () => {
      for (const { m, profile, stats } of items) await this.evaluate(m, profile, stats, this.opts.store);
    });
  }

  /**
   * Rules exist, but most devices may have none that applies (a profile's rule pack, a rule for one
   * device): only the messages some rule will judge get a snapshot, an item and a turn in the queue;
   * the rest are folded in quietly, in the same commit order. Exact only while no rule change is
   * queued: then the rules the queue will judge these with are the ones in hand now.
   */
  private observeJudgedOnly(messages: Message[]): void {
    const { analytics } = this.opts;
    const rules = this.rules;
    let items: Observed[] | null = null;
    const input: MessageLike = { device: '', ts: 0, seq: undefined, profile: null, values: EMPTY_VALUES };
    for (const m of messages) {
      const profile = m.profile ?? this.profileOf(m.device);
      let judged = false;
      for (const r of rules)
        if (appliesTo(r, m.device, profile)) {
          judged = true;
          break;
        }
      if (judged) {
        (items ??= []).push({ m, profile, stats: analytics.observe({ device: m.device, ts: m.ts, seq: m.seq, profile, values: m.values }) });
        continue;
      }
      input.device = m.device;
      input.ts = m.ts;
      input.seq = m.seq;
      input.profile = profile;
      input.values = m.values;
      analytics.observeQuietly(input);
    }
    if (!items) return;
    const judge = items;
    void this.enqueue(async () => {
      for (const { m, profile, stats } of judge) await this.evaluate(m, profile, stats, this.opts.store);
    });
  }

  /** A step that may change this.rules: counted while queued, so observe knows the rules in hand are the ones that will judge. */
  private enqueueRuleChange<T>(fn: () => Promise<T>): Promise<T> {
    this.ruleChangesQueued++;
    return this.enqueue(async () => {
      try {
        return await fn();
      } finally {
        this.ruleChangesQueued--;
      }
    });
  }

  /**
   * Committed messages a device's last owner committed but had not judged (after its watermark),
   * oldest first: judged here exactly as live ones, watermark and all. Resolves once judged.
   */
  async replayCommitted(messages: Message[]): Promise<void> {
    this.observe(messages);
    await this.idle();
  }

  /** One batch judged in one transaction with its devices' watermarks (watermark mode). */
  private async judgeCommitted(items: Observed[]): Promise<void> {
    const { store, logger } = this.opts;
    const fenceOf = this.opts.watermarks?.fenceOf;
    let todo = items.map((it) => ({ it, fence: fenceOf ? fenceOf(it.m.device) : undefined }));
    for (let attempt = 1; ; attempt++) {
      // A partition this node no longer holds: its new owner judges these from the watermark.
      todo = todo.filter((t) => t.fence !== null);
      if (!todo.length) return;
      const fences = new Map<number, PartitionFence>();
      for (const t of todo) if (t.fence) fences.set(t.fence.partition, t.fence);
      const marks = new Map<string, RuleWatermark>();
      for (const { it } of todo) {
        const had = marks.get(it.m.device);
        const seq = it.m.seq ?? NO_SEQ;
        if (!had || had.ts < it.m.ts || (had.ts === it.m.ts && had.seq < seq)) marks.set(it.m.device, { device: it.m.device, ts: it.m.ts, seq });
      }
      this.undo = { triggers: new Map(), open: new Map() };
      this.deferred = [];
      try {
        await store.atomically!(
          async (tx) => {
            if (this.rules.length) for (const { it } of todo) await this.evaluate(it.m, it.profile, it.stats, tx);
            await tx.saveRuleWatermarks!([...marks.values()]);
          },
          [...fences.values()].sort((a, b) => a.partition - b.partition),
        );
        const events = this.deferred;
        this.undo = null;
        this.deferred = null;
        for (const [type, alarm, message] of events) this.emit(type, alarm, message);
        return;
      } catch (err) {
        this.rollBack();
        if (err instanceof FencedError) {
          // Rolled back whole; judged again without the partitions a newer lease owns.
          const gone = new Set(err.partitions);
          logger.warn({ partitions: err.partitions }, 'alarm engine: judgement refused by the partition fence (the new owner judges those devices)');
          todo = todo.filter((t) => !(t.fence && gone.has(t.fence.partition)));
          continue;
        }
        if (attempt >= 3) {
          logger.error({ err: (err as Error).message, messages: todo.length }, 'alarm engine: committed messages could not be judged; left unjudged');
          return;
        }
        logger.warn({ err: (err as Error).message }, 'alarm engine: judging committed messages failed; retrying');
        await new Promise((r) => setTimeout(r, this.opts.watermarks?.retryMs ?? 1000));
      }
    }
  }

  /** A judgement's transaction rolled back: memory as it was before it. */
  private rollBack(): void {
    const undo = this.undo;
    this.undo = null;
    this.deferred = null;
    if (!undo) return;
    for (const [k, t] of undo.triggers)
      if (t === undefined) this.triggers.delete(k);
      else this.triggers.set(k, t);
    for (const [k, a] of undo.open)
      if (a === undefined) this.open.delete(k);
      else this.open.set(k, a);
  }

  /** Inside a judgement's transaction: remembers a key's state before its first change. */
  private remember(k: string): void {
    if (!this.undo) return;
    if (!this.undo.triggers.has(k)) this.undo.triggers.set(k, this.triggers.get(k));
    if (!this.undo.open.has(k)) this.undo.open.set(k, this.open.get(k));
  }

  private async evaluate(m: Message, profile: string | null, stats: ReturnType<Analytics['observe']>, store: AlarmStore): Promise<void> {
    const rules = this.rules.filter((r) => appliesTo(r, m.device, profile));
    if (!rules.length) return;
    // Data is back: silence alarms clear at the message's arrival.
    for (const r of rules) if (r.kind === 'nodata') await this.apply(r, m.device, 'clear', initialTrigger(), m.receivedAt, null, store);
    const decisions = evaluateMessage(
      rules,
      stats,
      m.values,
      m.ts,
      profile,
      (p) => this.opts.analytics.vectorFor(p),
      (r) => this.triggers.get(key(r.id, m.device)),
    );
    for (const d of decisions) await this.apply(d.rule, m.device, d.action, d.after, m.ts, d.value, store);
  }

  private async apply(
    rule: Rule,
    device: string,
    action: 'raise' | 'repeat' | 'clear' | null,
    after: TriggerState,
    ts: number,
    value: number | null,
    store: AlarmStore = this.opts.store,
  ): Promise<void> {
    const k = key(rule.id, device);
    this.remember(k);
    const before = this.triggers.get(k) ?? initialTrigger();
    if (!sameTrigger(before, after)) {
      if (after.phase === 'normal') this.triggers.delete(k);
      else this.triggers.set(k, after);
      await store.saveTrigger({ ruleId: rule.id, device, phase: after.phase, since: after.since });
    }
    const current = this.open.get(k);
    if (action === 'raise' || (action === 'repeat' && !current)) {
      const { alarm, created } = await store.openAlarm({
        ruleId: rule.id,
        ruleName: rule.name,
        kind: rule.kind,
        device,
        metric: rule.metric,
        severity: rule.severity,
        status: 'active_unacked',
        raisedAt: ts,
        lastAt: ts,
        count: 1,
        firstValue: value,
        lastValue: value,
        clearedAt: null,
        clearedBy: null,
        ackedAt: null,
        ackedBy: null,
        message: describe(rule, device, value, (metric, v) => this.opts.label?.(this.profileOf(device), metric, v)),
      });
      this.open.set(k, alarm);
      if (created) this.emit('raised', alarm);
    } else if (action === 'repeat' && current) {
      await store.repeatAlarm(current.id, value, ts);
      this.open.set(k, lifecycle.repeat(current, value, ts));
    } else if (action === 'clear' && current) {
      const cleared = lifecycle.clear(current, null, ts);
      await store.updateAlarm(cleared, { at: ts, type: 'auto_cleared', by: null, comment: null, value });
      this.open.delete(k);
      this.emit(
        'auto_cleared',
        cleared,
        describeClear(rule, device, value, (metric, v) => this.opts.label?.(this.profileOf(device), metric, v)),
      );
    }
  }

  /** nodata rules: a device silent for forMs raises, stamped at lastSeen + forMs. */
  private async sweep(devices: Iterable<SilenceDevice>): Promise<void> {
    const silence = this.rules.filter((r) => r.kind === 'nodata' && r.enabled);
    if (!silence.length) return;
    const now = this.now();
    // Most devices spoke more recently than the shortest limit: one comparison each, no rule looked at.
    const shortest = Math.min(...silence.map((r) => r.forMs!));
    for (const d of devices) {
      if (now < d.lastSeen + shortest) continue;
      for (const r of silence) {
        if (!appliesTo(r, d.id, d.profile)) continue;
        const due = d.lastSeen + r.forMs!;
        if (now < due || this.open.has(key(r.id, d.id))) continue;
        await this.apply(r, d.id, 'raise', { phase: 'active', since: null }, due, (now - d.lastSeen) / 1000);
      }
    }
  }

  /**
   * Checks silence now: of every device (the timer), or of the one the registry just reported
   * offline. A sweep of every device is queued at most once at a time: one offline report per
   * device, each queueing a sweep of all of them, was quadratic in the fleet (at 50,000 devices the
   * main thread did nothing else, accepted no connection and answered no request). A device gone
   * offline is checked alone while this engine sweeps its own directory; with an external list (a
   * cluster's last-seen times from the store) the local report may be stale, so it asks for a sweep.
   */
  checkSilence(device?: SilenceDevice): void {
    const list = this.silenceList;
    // No silence rule: nothing to list (the sweep runs every 250 ms, and on every device gone offline).
    if (!list || !this.rules.some((r) => r.kind === 'nodata' && r.enabled)) return;
    if (device && this.opts.silenceSweep !== 'external') {
      void this.enqueue(() => this.sweep([device]));
      return;
    }
    if (this.sweepQueued) return;
    this.sweepQueued = true;
    const got = list();
    if (!(got instanceof Promise)) {
      void this.enqueue(() => {
        this.sweepQueued = false;
        return this.sweep(got);
      });
      return;
    }
    // Read outside the queue: readings are not held up while the list comes from the store.
    void got.then(
      (devices) =>
        this.enqueue(() => {
          this.sweepQueued = false;
          return this.sweep(devices);
        }),
      (err: Error) => {
        this.sweepQueued = false;
        this.opts.logger.error({ err: err.message }, 'silence check could not list devices');
      },
    );
  }

  // --- shared state (src/cluster): another node changed it, or this node takes over devices ---

  /** Reads one rule back from the store (created, changed or deleted on any node). */
  reloadRule(id: string): Promise<void> {
    return this.enqueueRuleChange(async () => {
      const rule = await this.opts.store.getRule(id);
      const existing = this.rules.find((r) => r.id === id);
      if (!rule) {
        this.rules = this.rules.filter((r) => r.id !== id);
        for (const k of [...this.triggers.keys()]) if (k.startsWith(id + '\u0000')) this.triggers.delete(k);
        return;
      }
      if (!existing) {
        this.rules.push(rule);
        return;
      }
      if (JSON.stringify(existing) === JSON.stringify(rule)) return;
      this.rules = this.rules.map((r) => (r.id === id ? rule : r));
      await this.restartDelays(id);
    });
  }

  /** Reads one alarm back (raised, acked or cleared on any node), so open alarms here match the store. */
  reloadAlarm(id: number): Promise<void> {
    return this.enqueue(async () => {
      const a = await this.opts.store.getAlarm(id);
      if (!a || a.kind === SYSTEM_KIND) return;
      const k = key(a.ruleId, a.device);
      if (a.clearedAt === null) {
        this.open.set(k, a);
        return;
      }
      if (this.open.get(k)?.id !== id) return;
      this.open.delete(k);
      // Cleared by hand elsewhere while the condition may still hold: latch, as clear() does here.
      const t = this.triggers.get(k);
      if (a.clearedBy !== null && t && (t.phase === 'active' || t.phase === 'clearing')) {
        const latched: TriggerState = { phase: 'latched', since: null };
        this.triggers.set(k, latched);
        await this.opts.store.saveTrigger({ ruleId: a.ruleId, device: a.device, ...latched });
      }
    });
  }

  /** After a lost change feed: rules and open alarms as the store has them now. */
  reloadAll(): Promise<void> {
    return this.enqueueRuleChange(async () => {
      this.rules = await this.opts.store.listRules();
      const ids = new Set(this.rules.map((r) => r.id));
      for (const k of [...this.triggers.keys()]) if (!ids.has(k.slice(0, k.indexOf('\u0000')))) this.triggers.delete(k);
      this.open.clear();
      for (const a of await this.opts.store.activeAlarms()) if (a.kind !== SYSTEM_KIND) this.open.set(key(a.ruleId, a.device), a);
    });
  }

  /** Takes over devices: their on/off-delay timers and open alarms as the store has them (the last owner wrote them). */
  rebuildDevices(ids: string[]): Promise<void> {
    const devices = new Set(ids);
    return this.enqueue(async () => {
      const [triggers, active] = await Promise.all([this.opts.store.listTriggers(), this.opts.store.activeAlarms()]);
      for (const k of [...this.triggers.keys()]) if (devices.has(deviceOfKey(k))) this.triggers.delete(k);
      for (const k of [...this.open.keys()]) if (devices.has(deviceOfKey(k))) this.open.delete(k);
      for (const t of triggers)
        if (devices.has(t.device)) this.triggers.set(key(t.ruleId, t.device), { phase: t.phase as TriggerState['phase'], since: t.since });
      for (const a of active) if (a.kind !== SYSTEM_KIND && devices.has(a.device)) this.open.set(key(a.ruleId, a.device), a);
    });
  }

  // --- rules ---

  /** id: a stable id (a profile's rule pack); default a new UUID. */
  createRule(input: RuleInput, id?: string): Promise<Rule> {
    return this.enqueueRuleChange(async () => {
      const rule = buildRule(input, undefined, this.now());
      if (id) rule.id = id;
      await this.opts.store.saveRule(rule);
      this.rules.push(rule);
      return rule;
    });
  }

  updateRule(id: string, input: RuleInput): Promise<Rule | undefined> {
    return this.enqueueRuleChange(async () => {
      const existing = this.rules.find((r) => r.id === id);
      if (!existing) return undefined;
      const rule = buildRule(input, existing, this.now());
      await this.opts.store.saveRule(rule);
      this.rules = this.rules.map((r) => (r.id === id ? rule : r));
      await this.restartDelays(id);
      return rule;
    });
  }

  /** Pending delays restart under a changed condition; open alarms stay open until it clears them. */
  private async restartDelays(id: string): Promise<void> {
    for (const [k, t] of this.triggers) {
      if (!k.startsWith(id + '\u0000')) continue;
      const device = k.slice(id.length + 1);
      const next: TriggerState = this.open.has(k) ? { phase: 'active', since: null } : initialTrigger();
      if (sameTrigger(t, next)) continue;
      if (next.phase === 'normal') this.triggers.delete(k);
      else this.triggers.set(k, next);
      await this.opts.store.saveTrigger({ ruleId: id, device, phase: next.phase, since: next.since });
    }
  }

  deleteRule(id: string, by = 'system'): Promise<boolean> {
    return this.enqueueRuleChange(async () => {
      const now = this.now();
      for (const [k, a] of this.open) {
        if (a.ruleId !== id) continue;
        const cleared = lifecycle.clear(a, by, now);
        await this.opts.store.updateAlarm(cleared, { at: now, type: 'cleared', by, comment: 'rule deleted', value: null });
        this.open.delete(k);
        this.emit('cleared', cleared);
      }
      for (const k of [...this.triggers.keys()]) if (k.startsWith(id + '\u0000')) this.triggers.delete(k);
      this.rules = this.rules.filter((r) => r.id !== id);
      return this.opts.store.deleteRule(id);
    });
  }

  // --- operator actions ---

  ack(id: number, by: string, comment: string | null): Promise<Alarm> {
    return this.enqueue(async () => {
      const a = await this.get(id);
      const now = this.now();
      const acked = lifecycle.ack(a, by, now);
      await this.opts.store.updateAlarm(acked, { at: now, type: 'acked', by, comment, value: null });
      const k = key(a.ruleId, a.device);
      if (this.open.get(k)?.id === id) this.open.set(k, { ...this.open.get(k)!, status: acked.status, ackedAt: now, ackedBy: by });
      this.emit('acked', acked);
      return acked;
    });
  }

  clear(id: number, by: string, comment: string | null): Promise<Alarm> {
    return this.enqueue(async () => {
      const a = this.openById(id) ?? (await this.get(id));
      const now = this.now();
      const cleared = lifecycle.clear(a, by, now);
      await this.opts.store.updateAlarm(cleared, { at: now, type: 'cleared', by, comment, value: null });
      const k = key(a.ruleId, a.device);
      if (this.open.get(k)?.id === id) this.open.delete(k);
      const t = this.triggers.get(k);
      if (t && (t.phase === 'active' || t.phase === 'clearing')) {
        const latched: TriggerState = { phase: 'latched', since: null };
        this.triggers.set(k, latched);
        await this.opts.store.saveTrigger({ ruleId: a.ruleId, device: a.device, ...latched });
      }
      this.emit('cleared', cleared);
      return cleared;
    });
  }

  private openById(id: number): Alarm | undefined {
    for (const a of this.open.values()) if (a.id === id) return a;
    return undefined;
  }

  private async get(id: number): Promise<Alarm> {
    const a = await this.opts.store.getAlarm(id);
    if (!a) throw new DomainError(404, `alarm ${id} not found`, 'id', 'not_found');
    return a;
  }
}
