// Fault injection for one simulated device. Value faults (spike, drift, stuck) bend the readings;
// delivery faults (dropout, duplicate, out_of_order) bend what goes on the wire; `offline` is
// carried out by the device itself (it owns the connection) and only validated here.

import type { KindSpec, Values } from './kinds.js';
import { round } from './kinds.js';

export type FaultType = 'spike' | 'drift' | 'dropout' | 'duplicate' | 'out_of_order' | 'stuck' | 'offline';
export const FAULT_TYPES: readonly FaultType[] = ['spike', 'drift', 'dropout', 'duplicate', 'out_of_order', 'stuck', 'offline'];

export interface Fault {
  type: FaultType;
  /** spike, drift, stuck: the metric hit. Default: the kind's primary metric (stuck: every metric). */
  metric?: string;
  /** How long the fault lasts; when given it wins over `count`. */
  durationMs?: number;
  /** spike, drift: offset in the metric's units (drift reaches it at the end). Default per metric. */
  magnitude?: number;
  /** How many messages the fault affects when no duration is given. */
  count?: number;
}

/** Defaults when a fault gives neither duration nor count. */
export const FAULT_DEFAULTS: Readonly<Record<FaultType, { count?: number; durationMs?: number }>> = {
  spike: { count: 1 },
  drift: { durationMs: 60_000 },
  dropout: { count: 5 },
  duplicate: { count: 1 },
  out_of_order: { count: 1 },
  stuck: { durationMs: 30_000 },
  offline: { durationMs: 10_000 },
};

const MAX_DURATION_MS = 24 * 3600_000;
const MAX_COUNT = 1_000_000;

/** Checks a fault against a kind; throws an Error naming the field and the rule. */
export function validateFault(fault: unknown, kind: KindSpec): Fault {
  if (fault === null || typeof fault !== 'object' || Array.isArray(fault)) throw new Error('fault must be an object');
  const f = fault as Record<string, unknown>;
  if (typeof f.type !== 'string' || !(FAULT_TYPES as readonly string[]).includes(f.type)) {
    throw new Error(`fault.type must be one of ${FAULT_TYPES.join(', ')} (got ${JSON.stringify(f.type)})`);
  }
  const out: Fault = { type: f.type as FaultType };
  if (f.metric !== undefined) {
    if (typeof f.metric !== 'string' || !(f.metric in kind.metrics)) {
      throw new Error(`fault.metric must be a ${kind.name} metric (${Object.keys(kind.metrics).join(', ')}), got ${JSON.stringify(f.metric)}`);
    }
    out.metric = f.metric;
  }
  if (f.durationMs !== undefined) {
    if (typeof f.durationMs !== 'number' || !Number.isFinite(f.durationMs) || f.durationMs <= 0 || f.durationMs > MAX_DURATION_MS) {
      throw new Error(`fault.durationMs must be a number in (0, ${MAX_DURATION_MS}]`);
    }
    out.durationMs = f.durationMs;
  }
  if (f.count !== undefined) {
    if (typeof f.count !== 'number' || !Number.isInteger(f.count) || f.count < 1 || f.count > MAX_COUNT) {
      throw new Error(`fault.count must be an integer in [1, ${MAX_COUNT}]`);
    }
    out.count = f.count;
  }
  if (f.magnitude !== undefined) {
    if (typeof f.magnitude !== 'number' || !Number.isFinite(f.magnitude)) throw new Error('fault.magnitude must be a finite number');
    out.magnitude = f.magnitude;
  }
  return out;
}

interface Active {
  fault: Fault;
  metric?: string;
  magnitude: number;
  startedAt: number;
  until?: number;
  remaining?: number;
  /** stuck: the frozen values. */
  frozen?: Values;
}

/** What to do with the message just built. */
export interface Delivery {
  /** Do not publish it (dropout): its seq is spent, leaving a gap. */
  drop: boolean;
  /** Hold it and send it after the next one (out_of_order). */
  hold: boolean;
  /** Publish it twice, same seq (duplicate). */
  duplicate: boolean;
}

export class DeviceFaults {
  private active: Active[] = [];

  constructor(private readonly kind: KindSpec) {}

  /** Starts a (validated) fault. `offline` is not tracked here. */
  add(fault: Fault, now: number): void {
    if (fault.type === 'offline') return;
    const def = FAULT_DEFAULTS[fault.type];
    const metric = fault.metric ?? (fault.type === 'stuck' ? undefined : this.kind.primary);
    const spec = metric === undefined ? undefined : this.kind.metrics[metric];
    const a: Active = {
      fault,
      metric,
      magnitude: fault.magnitude ?? (fault.type === 'spike' ? (spec?.spike ?? 0) : fault.type === 'drift' ? (spec?.drift ?? 0) : 0),
      startedAt: now,
    };
    if (fault.durationMs !== undefined) a.until = now + fault.durationMs;
    else if (fault.count !== undefined) a.remaining = fault.count;
    else if (def.durationMs !== undefined) a.until = now + def.durationMs;
    else a.remaining = def.count ?? 1;
    this.active.push(a);
  }

  /** Faults still running at `now`, for display. */
  list(now: number): Fault[] {
    this.expire(now);
    return this.active.map((a) => a.fault);
  }

  clear(): void {
    this.active = [];
  }

  /**
   * Applies spike / drift / stuck to a rounded sample in place and re-derives derived metrics
   * (except ones a fault set). Count-bounded value faults use up one message here.
   */
  applyValues(values: Values, now: number): Values {
    this.expire(now);
    const fixed = new Set<string>();
    for (const a of this.active) {
      const t = a.fault.type;
      if (t === 'drift' && a.metric !== undefined) {
        // Grows linearly to `magnitude` over the fault's duration (or its count of messages).
        const share =
          a.until !== undefined ? Math.min(1, (now - a.startedAt) / Math.max(1, a.until - a.startedAt)) : (a.fault.count! - a.remaining! + 1) / a.fault.count!;
        values[a.metric] += a.magnitude * share;
        fixed.add(a.metric);
      } else if (t === 'spike' && a.metric !== undefined) {
        values[a.metric] += a.magnitude;
        fixed.add(a.metric);
      } else if (t === 'stuck') {
        const metrics = a.metric !== undefined ? [a.metric] : Object.keys(values);
        a.frozen ??= Object.fromEntries(metrics.map((m) => [m, values[m]]));
        for (const m of metrics) {
          values[m] = a.frozen[m];
          fixed.add(m);
        }
      }
    }
    for (const m of fixed) {
      const spec = this.kind.metrics[m];
      if (spec) values[m] = round(values[m], spec.decimals);
    }
    this.kind.derive?.(values, fixed);
    this.consume(now, (t) => t === 'spike' || t === 'drift' || t === 'stuck');
    return values;
  }

  /** Decides the fate of the next message; count-bounded delivery faults use it up. */
  delivery(now: number, holding: boolean): Delivery {
    this.expire(now);
    const has = (t: FaultType) => this.active.some((a) => a.fault.type === t);
    const d: Delivery = { drop: false, hold: false, duplicate: false };
    if (has('dropout')) {
      d.drop = true;
      this.consume(now, (t) => t === 'dropout');
      return d;
    }
    // Only one message is held at a time: it swaps with the one after it.
    if (has('out_of_order') && !holding) {
      d.hold = true;
      this.consume(now, (t) => t === 'out_of_order');
      return d;
    }
    if (has('duplicate')) {
      d.duplicate = true;
      this.consume(now, (t) => t === 'duplicate');
    }
    return d;
  }

  private expire(now: number): void {
    this.active = this.active.filter((a) => (a.until === undefined || now < a.until) && (a.remaining === undefined || a.remaining > 0));
  }

  private consume(now: number, which: (t: FaultType) => boolean): void {
    for (const a of this.active) if (which(a.fault.type) && a.remaining !== undefined) a.remaining--;
    this.expire(now);
  }
}
