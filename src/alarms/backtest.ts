import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BacktestAlarm, BacktestResult, Rule } from '../model/alarm.js';
import type { Reading } from '../model/reading.js';
import { Analytics, type AnalyticsOptions } from '../analytics/live-stats.js';
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
 * Replays one device's stored readings through the same analytics and the same evaluation the
 * live engine uses, starting from a blank state, one message at a time (so that a long replay can
 * be fed in pages and slices).
 */
class DeviceReplay {
  readonly alarms: BacktestAlarm[] = [];
  private readonly r: Rule;
  private readonly analytics: Analytics;
  private trigger: TriggerState = initialTrigger();
  private open: BacktestAlarm | null = null;
  private prevTs: number | null = null;

  constructor(
    rule: Rule,
    private readonly device: string,
    private readonly profile: string | null,
    analyticsOpts: AnalyticsOptions,
  ) {
    this.r = { ...rule, enabled: true };
    this.analytics = new Analytics(analyticsOpts);
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
    const stats = this.analytics.observe({ device: this.device, ts: m.ts, seq: m.seq, profile: this.profile, values: m.values });
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

/** A pure function of (rule, readings): the whole replay of one device at once. */
export function backtestDevice(rule: Rule, device: string, profile: string | null, readings: Reading[], analyticsOpts: AnalyticsOptions): BacktestAlarm[] {
  const replay = new DeviceReplay(rule, device, profile, analyticsOpts);
  for (const m of toMessages(readings)) replay.step(m);
  return replay.alarms;
}

/** Readings fetched per page, and messages evaluated between yields to the event loop. */
const REPLAY_PAGE = 50_000;
const REPLAY_SLICE = 2000;

/** Replay limit per device: a backtest reads at most this many readings of each device. */
export const MAX_REPLAY_READINGS = 2_000_000;

/** Runs a rule over every device it applies to (now), over stored history in [from, to]. */
export async function backtestRule(
  store: { replayReadings(q: { device: string; from: number; to: number; limit: number }): Promise<Reading[]> },
  devices: { id: string; profile: string | null }[],
  rule: Rule,
  from: number,
  to: number,
  analyticsOpts: AnalyticsOptions,
): Promise<BacktestResult> {
  const targets = devices.filter((d) => (rule.scope === 'all' ? true : rule.scope === 'device' ? d.id === rule.target : d.profile === rule.target));
  const result: BacktestResult = { ruleId: rule.id, from, to, devices: targets.map((d) => d.id), readings: 0, messages: 0, alarms: [], truncated: false };
  // In pages, evaluated in slices with the event loop let through between them: a backtest over
  // millions of readings never holds the thread that acknowledges devices for long.
  for (const d of targets) {
    const replay = new DeviceReplay(rule, d.id, d.profile, analyticsOpts);
    let cursor = from;
    let taken = 0;
    for (;;) {
      const limit = Math.min(REPLAY_PAGE, MAX_REPLAY_READINGS - taken);
      const page = await store.replayReadings({ device: d.id, from: cursor, to, limit });
      const full = page.length === limit;
      let use = page;
      if (full && taken + page.length < MAX_REPLAY_READINGS) {
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
        if (i % REPLAY_SLICE === REPLAY_SLICE - 1) await yieldToLoop();
      }
      taken += use.length;
      result.readings += use.length;
      result.messages += messages.length;
      if (!full) break;
      if (taken >= MAX_REPLAY_READINGS) {
        result.truncated = true;
        break;
      }
      await yieldToLoop();
    }
    result.alarms.push(...replay.alarms);
  }
  result.alarms.sort((a, b) => a.raisedAt - b.raisedAt || a.device.localeCompare(b.device));
  return result;
}
