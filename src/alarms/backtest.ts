import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BacktestAlarm, BacktestResult, Rule } from '../model/alarm.js';
import type { Reading } from '../model/reading.js';
import type { ReplayQuery } from '../stores/store.js';
import type { ReadJob } from '../stores/reads/protocol.js';
import { Analytics, type AnalyticsOptions, type DeviceStats } from '../analytics/live-stats.js';
import { evaluateMessage } from './evaluate.js';
import { initialTrigger, type TriggerState } from './trigger.js';
import { describe } from './rules.js';

export type { BacktestAlarm, BacktestResult } from '../model/alarm.js';

/** Readings that share a device and a ts came in one message: put them back together. */
export function toMessages(readings: Reading[]): { ts: number; seq?: number; values: Record<string, number> }[] {
  const out: { ts: number; seq?: number; values: Record<string, number> }[] = [];
  for (const r of readings) {
    let m = out.at(-1);
    if (!m || m.ts !== r.ts) {
      m = { ts: r.ts, values: {} };
      out.push(m);
    }
    if (r.seq !== undefined) m.seq = r.seq;
    m.values[r.metric] = r.value;
  }
  return out;
}

/**
 * Whether a rule's signal reads the live analytics (rate, z-score, L2 norm, sequence gaps). A
 * threshold reads the message's own value and nodata only the message times (rules.ts signalOf):
 * their replay skips the rolling windows, which were about a third of a backtest's time.
 */
export function needsAnalytics(rule: Pick<Rule, 'kind'>): boolean {
  return rule.kind !== 'threshold' && rule.kind !== 'nodata';
}

/**
 * Replays one device's stored readings through the same analytics and the same evaluation the
 * live engine uses, starting from a blank state, one message at a time (so that a long replay can
 * be fed in pages and slices).
 */
class DeviceReplay {
  readonly alarms: BacktestAlarm[] = [];
  private readonly r: Rule;
  private readonly analytics: Analytics;
  /** The rule reads no analytics (needsAnalytics): each message is evaluated against this empty snapshot instead. */
  private readonly noStats: DeviceStats | null;
  private trigger: TriggerState = initialTrigger();
  private open: BacktestAlarm | null = null;
  private prevTs: number | null = null;

  constructor(
    rule: Rule,
    private readonly device: string,
    private readonly profile: string | null,
    analyticsOpts: AnalyticsOptions,
    /** Fold every message into the analytics even when the rule reads none of it (the reference replay). */
    allAnalytics = false,
  ) {
    this.r = { ...rule, enabled: true };
    this.analytics = new Analytics(analyticsOpts);
    this.noStats = allAnalytics || needsAnalytics(rule) ? null : { device, ts: 0, seq: null, metrics: {}, l2: null, seqGaps1m: 0 };
  }

  private raise(ts: number, value: number | null): void {
    this.open = {
      device: this.device,
      raisedAt: ts,
      clearedAt: null,
      count: 1,
      firstValue: value,
      lastValue: value,
      lastAt: ts,
      message: describe(this.r, this.device, value),
    };
    this.alarms.push(this.open);
  }

  step(m: { ts: number; seq?: number; values: Record<string, number> }): void {
    const r = this.r;
    const stats = this.noStats ?? this.analytics.observe({ device: this.device, ts: m.ts, seq: m.seq, profile: this.profile, values: m.values });
    if (r.kind === 'nodata') {
      if (this.prevTs !== null && m.ts - this.prevTs >= r.forMs!) {
        this.raise(this.prevTs + r.forMs!, (m.ts - this.prevTs) / 1000);
        this.open!.clearedAt = m.ts;
        this.open = null;
      }
      this.prevTs = m.ts;
      return;
    }
    const [d] = evaluateMessage(
      [r],
      stats,
      m.values,
      m.ts,
      this.profile,
      (p) => this.analytics.vectorFor(p),
      () => this.trigger,
    );
    if (!d) return;
    this.trigger = d.after;
    const cur = this.open;
    if (d.action === 'raise' || (d.action === 'repeat' && !cur)) this.raise(m.ts, d.value);
    else if (d.action === 'repeat' && cur) {
      cur.count++;
      cur.lastValue = d.value;
      cur.lastAt = Math.max(cur.lastAt, m.ts);
    } else if (d.action === 'clear' && cur) {
      cur.clearedAt = m.ts;
      this.open = null;
    }
  }
}

/** A pure function of (rule, readings): the whole replay of one device at once, every message through the analytics (the reference). */
export function backtestDevice(rule: Rule, device: string, profile: string | null, readings: Reading[], analyticsOpts: AnalyticsOptions): BacktestAlarm[] {
  const replay = new DeviceReplay(rule, device, profile, analyticsOpts, true);
  for (const m of toMessages(readings)) replay.step(m);
  return replay.alarms;
}

/** Readings fetched per page, and messages evaluated between yields to the event loop. */
const REPLAY_PAGE = 50_000;
const REPLAY_SLICE = 2000;

/** Replay limit per device: a backtest reads at most this many readings of each device. */
export const MAX_REPLAY_READINGS = 2_000_000;

/** What replaying one device gave. */
export interface DeviceReplayResult {
  alarms: BacktestAlarm[];
  readings: number;
  messages: number;
  truncated: boolean;
}

/** The reads a replay needs: synchronous on a SQLite read worker, a promise elsewhere. */
export interface ReplaySource {
  replayReadings(q: ReplayQuery): Reading[] | Promise<Reading[]>;
}

/** Where the stores can run a function beside their reads (a read worker): see ReadJob in src/stores/reads/protocol.ts. */
export interface ReplayJobs {
  runReadJob<T>(job: ReadJob, args: unknown[]): Promise<T>;
}

/** replayDevice as a read job: the module is this one, wherever it runs from (source or build). */
export const REPLAY_DEVICE_JOB: ReadJob = { module: import.meta.url, fn: 'replayDevice' };

/**
 * Replays one device's history in [from, to] through the rule, in pages of REPLAY_PAGE readings, at
 * most MAX_REPLAY_READINGS. Run as a read job (on a read worker: the default) it never yields, its
 * thread does nothing else; on the thread that acknowledges devices (`yielding`) it lets the event
 * loop through every REPLAY_SLICE messages.
 */
export async function replayDevice(
  source: ReplaySource,
  rule: Rule,
  device: string,
  profile: string | null,
  from: number,
  to: number,
  analyticsOpts: AnalyticsOptions,
  yielding = false,
): Promise<DeviceReplayResult> {
  const replay = new DeviceReplay(rule, device, profile, analyticsOpts);
  const out: DeviceReplayResult = { alarms: replay.alarms, readings: 0, messages: 0, truncated: false };
  let cursor = from;
  for (;;) {
    const limit = Math.min(REPLAY_PAGE, MAX_REPLAY_READINGS - out.readings);
    const page = await source.replayReadings({ device, from: cursor, to, limit });
    const full = page.length === limit;
    let use = page;
    if (full && out.readings + page.length < MAX_REPLAY_READINGS) {
      // The readings of one message share a ts: the last, perhaps partial, message goes to the next page.
      const lastTs = page[page.length - 1].ts;
      let cut = page.length;
      while (cut > 0 && page[cut - 1].ts === lastTs) cut--;
      if (cut > 0) {
        use = page.slice(0, cut);
        cursor = lastTs;
      } else cursor = lastTs + 1;
    }
    const messages = toMessages(use);
    for (let i = 0; i < messages.length; i++) {
      replay.step(messages[i]);
      if (yielding && i % REPLAY_SLICE === REPLAY_SLICE - 1) await yieldToLoop();
    }
    out.readings += use.length;
    out.messages += messages.length;
    if (!full) break;
    if (out.readings >= MAX_REPLAY_READINGS) {
      out.truncated = true;
      break;
    }
    if (yielding) await yieldToLoop();
  }
  return out;
}

/**
 * Runs a rule over every device it applies to (now), over stored history in [from, to]. With
 * `runReadJob` (both stores), each device is replayed where the reads run, on a read worker: its
 * readings are read, put together and evaluated there, and only the alarms come back, so a backtest
 * costs the thread that acknowledges devices nothing but the answer.
 */
export async function backtestRule(
  store: ReplaySource & Partial<ReplayJobs>,
  devices: { id: string; profile: string | null }[],
  rule: Rule,
  from: number,
  to: number,
  analyticsOpts: AnalyticsOptions,
): Promise<BacktestResult> {
  const targets = devices.filter((d) => (rule.scope === 'all' ? true : rule.scope === 'device' ? d.id === rule.target : d.profile === rule.target));
  const result: BacktestResult = { ruleId: rule.id, from, to, devices: targets.map((d) => d.id), readings: 0, messages: 0, alarms: [], truncated: false };
  for (const d of targets) {
    const r = store.runReadJob
      ? await store.runReadJob<DeviceReplayResult>(REPLAY_DEVICE_JOB, [rule, d.id, d.profile, from, to, analyticsOpts])
      : await replayDevice(store, rule, d.id, d.profile, from, to, analyticsOpts, true);
    result.readings += r.readings;
    result.messages += r.messages;
    if (r.truncated) result.truncated = true;
    result.alarms.push(...r.alarms);
  }
  result.alarms.sort((a, b) => a.raisedAt - b.raisedAt || a.device.localeCompare(b.device));
  return result;
}
