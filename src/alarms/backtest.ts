import type { Rule } from '../model/alarm.js';
import type { Reading } from '../model/reading.js';
import { Analytics, type AnalyticsOptions } from '../analytics/live-stats.js';
import { evaluateMessage } from './evaluate.js';
import { initialTrigger, type TriggerState } from './trigger.js';
import { describe } from './rules.js';

/** An alarm the rule would have raised. Times are data times (reading ts). */
export interface BacktestAlarm {
  device: string;
  raisedAt: number;
  /** null: still open at the end of the range. */
  clearedAt: number | null;
  count: number;
  firstValue: number | null;
  lastValue: number | null;
  lastAt: number;
  message: string;
}

export interface BacktestResult {
  ruleId: string;
  from: number;
  to: number;
  devices: string[];
  readings: number;
  messages: number;
  alarms: BacktestAlarm[];
  /** true when a device had more readings than the replay limit: the range was cut. */
  truncated: boolean;
}

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
 * live engine uses, starting from a blank state: a pure function of (rule, readings).
 */
export function backtestDevice(rule: Rule, device: string, profile: string | null, readings: Reading[], analyticsOpts: AnalyticsOptions): BacktestAlarm[] {
  const r: Rule = { ...rule, enabled: true };
  const analytics = new Analytics(analyticsOpts);
  const alarms: BacktestAlarm[] = [];
  let trigger: TriggerState = initialTrigger();
  let open: BacktestAlarm | null = null;
  let prevTs: number | null = null;
  const raise = (ts: number, value: number | null) => {
    open = { device, raisedAt: ts, clearedAt: null, count: 1, firstValue: value, lastValue: value, lastAt: ts, message: describe(r, device, value) };
    alarms.push(open);
  };
  for (const m of toMessages(readings)) {
    const stats = analytics.observe({ device, ts: m.ts, seq: m.seq, profile, values: m.values });
    if (r.kind === 'nodata') {
      if (prevTs !== null && m.ts - prevTs >= r.forMs!) {
        raise(prevTs + r.forMs!, (m.ts - prevTs) / 1000);
        open!.clearedAt = m.ts;
        open = null;
      }
      prevTs = m.ts;
      continue;
    }
    const [d] = evaluateMessage(
      [r],
      stats,
      m.values,
      m.ts,
      profile,
      (p) => analytics.vectorFor(p),
      () => trigger,
    );
    if (!d) continue;
    trigger = d.after;
    const cur = open as BacktestAlarm | null;
    if (d.action === 'raise' || (d.action === 'repeat' && !cur)) raise(m.ts, d.value);
    else if (d.action === 'repeat' && cur) {
      cur.count++;
      cur.lastValue = d.value;
      cur.lastAt = Math.max(cur.lastAt, m.ts);
    } else if (d.action === 'clear' && cur) {
      cur.clearedAt = m.ts;
      open = null;
    }
  }
  return alarms;
}

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
  for (const d of targets) {
    const readings = await store.replayReadings({ device: d.id, from, to, limit: MAX_REPLAY_READINGS });
    if (readings.length === MAX_REPLAY_READINGS) result.truncated = true;
    result.readings += readings.length;
    result.messages += toMessages(readings).length;
    result.alarms.push(...backtestDevice(rule, d.id, d.profile, readings, analyticsOpts));
  }
  result.alarms.sort((a, b) => a.raisedAt - b.raisedAt || a.device.localeCompare(b.device));
  return result;
}
