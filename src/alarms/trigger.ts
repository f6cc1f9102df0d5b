import type { Rule } from '../model/alarm.js';
import type { Verdict } from './rules.js';

/**
 * Where one (device, rule) pair stands between readings. Pure data, persisted on every phase
 * change so on-delay and off-delay timers survive a restart.
 *  - normal: nothing going on
 *  - pending: the raise condition has held since `since`, waiting out the on-delay
 *  - active: an alarm is open
 *  - clearing: the clear condition has held since `since`, waiting out the off-delay
 *  - latched: an operator cleared the alarm while the condition still held; re-armed once the
 *    clear condition is seen, so a manual clear does not spawn a new alarm on the next reading
 */
export interface TriggerState {
  phase: 'normal' | 'pending' | 'active' | 'clearing' | 'latched';
  since: number | null;
}

export type TriggerAction = 'raise' | 'repeat' | 'clear' | null;

export const initialTrigger = (): TriggerState => ({ phase: 'normal', since: null });

/**
 * One step of the on-delay/off-delay machine, driven by data time only (the reading's ts): the
 * same stream gives the same alarms live and in a backtest. Delays are confirmed by readings: an
 * on-delay of 10 s raises on the first violating reading at least 10 s after the first one.
 */
export function step(s: TriggerState, rule: Rule, v: Verdict, ts: number): { state: TriggerState; action: TriggerAction } {
  switch (s.phase) {
    case 'normal':
    case 'pending': {
      if (v !== 'raise') return { state: s.phase === 'normal' ? s : initialTrigger(), action: null };
      const since = s.phase === 'pending' ? s.since! : ts;
      if (ts - since >= rule.onDelayMs) return { state: { phase: 'active', since: null }, action: 'raise' };
      return { state: s.phase === 'pending' ? s : { phase: 'pending', since }, action: null };
    }
    case 'active':
    case 'clearing': {
      if (v === 'raise') return { state: s.phase === 'active' ? s : { phase: 'active', since: null }, action: 'repeat' };
      if (v === 'hold') return { state: s.phase === 'active' ? s : { phase: 'active', since: null }, action: null };
      const since = s.phase === 'clearing' ? s.since! : ts;
      if (ts - since >= rule.offDelayMs) return { state: initialTrigger(), action: 'clear' };
      return { state: s.phase === 'clearing' ? s : { phase: 'clearing', since }, action: null };
    }
    case 'latched':
      return { state: v === 'clear' ? initialTrigger() : s, action: null };
  }
}

export function sameTrigger(a: TriggerState, b: TriggerState): boolean {
  return a.phase === b.phase && a.since === b.since;
}
