import type { Alarm, AlarmStatus } from '../model/alarm.js';
import { DomainError } from '../model/errors.js';

/** Lifecycle transitions (OPC UA / ThingsBoard): active or cleared, times acknowledged or not. */

export const isActive = (s: AlarmStatus) => s === 'active_unacked' || s === 'active_acked';
export const isAcked = (s: AlarmStatus) => s === 'active_acked' || s === 'cleared_acked';
const status = (active: boolean, acked: boolean): AlarmStatus => `${active ? 'active' : 'cleared'}_${acked ? 'acked' : 'unacked'}` as AlarmStatus;

/** An operator action the alarm's state does not allow (acking an acked alarm): 409. */
export class LifecycleError extends DomainError {
  constructor(message: string) {
    super(409, message, 'status', 'state');
  }
}

export function ack(a: Alarm, by: string, at: number): Alarm {
  if (isAcked(a.status)) throw new LifecycleError(`alarm ${a.id} is already acknowledged`);
  return { ...a, status: status(isActive(a.status), true), ackedAt: at, ackedBy: by };
}

export function clear(a: Alarm, by: string | null, at: number): Alarm {
  if (!isActive(a.status)) throw new LifecycleError(`alarm ${a.id} is already cleared`);
  return { ...a, status: status(false, isAcked(a.status)), clearedAt: at, clearedBy: by };
}

export function repeat(a: Alarm, value: number | null, at: number): Alarm {
  return { ...a, count: a.count + 1, lastValue: value, lastAt: Math.max(a.lastAt, at) };
}
