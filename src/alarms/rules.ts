import { randomUUID } from 'node:crypto';
import type { ClearCondition, Rule, RuleInput } from '../model/alarm.js';
import type { DeviceStats } from '../analytics/live-stats.js';
import { l2Norm } from '../analytics/anomaly.js';
import { DomainError } from '../model/errors.js';

/** A rule that cannot work as given: names the field and the rule it breaks. */
export class RuleError extends DomainError {
  constructor(message: string, field: string, rule: string) {
    super(400, message, field, rule);
  }
}

const VALUE_KINDS = new Set(['threshold', 'rate', 'zscore']);

/** Checks what a JSON schema cannot (cross-field needs) and fills defaults. */
export function buildRule(input: RuleInput, existing?: Rule, now = Date.now()): Rule {
  const need = (cond: unknown, field: string, message: string, rule = 'required') => {
    if (!cond) throw new RuleError(message, field, rule);
  };
  if (input.scope !== 'all') need(input.target, 'target', `scope ${input.scope} needs a target (${input.scope === 'device' ? 'device id' : 'profile name'})`);
  if (VALUE_KINDS.has(input.kind)) need(input.metric, 'metric', `a ${input.kind} rule needs a metric`);
  const op = input.op ?? '>';
  if (input.kind === 'nodata') need(input.forMs !== undefined && input.forMs > 0, 'forMs', 'a nodata rule needs forMs > 0');
  else if (op === 'outside') {
    need(input.low !== undefined && input.high !== undefined, input.low === undefined ? 'low' : 'high', 'op outside needs low and high');
    need(input.low! < input.high!, 'low', 'low must be below high', 'order');
  } else need(input.value !== undefined, 'value', `op ${op} needs a value`);
  if (input.kind === 'l2norm' && input.metrics) need(input.metrics.length > 0, 'metrics', 'metrics must name at least one metric', 'min_items');
  const c = input.clear;
  if (c) {
    if (c.op === 'inside') need(c.low !== undefined && c.high !== undefined && c.low < c.high, 'clear.low', 'clear op inside needs low < high');
    else need(c.value !== undefined, 'clear.value', `clear op ${c.op} needs a value`);
  }
  const deadband = input.deadband ?? 0;
  if (op === 'outside') need(input.low! + deadband <= input.high! - deadband, 'deadband', 'deadband leaves no room to clear inside the band', 'range');
  return {
    id: existing?.id ?? randomUUID(),
    name: input.name,
    enabled: input.enabled ?? true,
    severity: input.severity,
    scope: input.scope,
    target: input.scope === 'all' ? null : input.target!,
    kind: input.kind,
    metric: input.metric ?? null,
    metrics: input.metrics ?? null,
    standardize: input.standardize ?? false,
    op,
    value: input.value ?? null,
    low: input.low ?? null,
    high: input.high ?? null,
    deadband,
    clear: c
      ? {
          op: c.op,
          ...(c.value !== undefined && { value: c.value }),
          ...(c.low !== undefined && { low: c.low }),
          ...(c.high !== undefined && { high: c.high }),
        }
      : null,
    onDelayMs: input.onDelayMs ?? 0,
    offDelayMs: input.offDelayMs ?? 0,
    forMs: input.forMs ?? null,
    description: input.description ?? null,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
}

export function appliesTo(rule: Rule, device: string, profile: string | null): boolean {
  if (!rule.enabled) return false;
  if (rule.scope === 'all') return true;
  if (rule.scope === 'device') return rule.target === device;
  return profile !== null && rule.target === profile;
}

/** The number a rule compares, from a message's device stats; undefined when the message says nothing about it. */
export function signalOf(
  rule: Rule,
  stats: DeviceStats,
  changed: Record<string, number>,
  vectorFor: (profile: string | null) => string[] | null,
  profile: string | null,
): number | null | undefined {
  switch (rule.kind) {
    case 'threshold':
      return rule.metric! in changed ? changed[rule.metric!] : undefined;
    case 'rate':
      return rule.metric! in changed ? stats.metrics[rule.metric!]?.rate : undefined;
    case 'zscore': {
      if (!(rule.metric! in changed)) return undefined;
      const z = stats.metrics[rule.metric!]?.zscore;
      return z === null || z === undefined ? null : Math.abs(z);
    }
    case 'l2norm': {
      const vector = rule.metrics ?? vectorFor(profile);
      if (!vector || !vector.some((m) => m in changed)) return undefined;
      const current: Record<string, number> = {};
      for (const m of vector) {
        const s = stats.metrics[m];
        if (!s) continue;
        if (!rule.standardize) current[m] = s.current;
        else if (s.zscore !== null) current[m] = s.zscore;
      }
      // Standardised: null until every metric has a spread to be measured against (warm-up).
      return l2Norm(current, vector);
    }
    case 'seqgap':
      return stats.seqGaps1m;
    case 'nodata':
      return undefined;
  }
}

/** raise: the raise condition holds; clear: the clear condition holds; hold: in between (deadband). */
export type Verdict = 'raise' | 'clear' | 'hold';

function inClear(c: ClearCondition, x: number): boolean {
  if (c.op === '<') return x < c.value!;
  if (c.op === '>') return x > c.value!;
  return x >= c.low! && x <= c.high!;
}

export function verdict(rule: Rule, x: number): Verdict {
  const d = rule.deadband;
  let raise: boolean;
  let clear: boolean;
  if (rule.op === '>') {
    raise = x > rule.value!;
    clear = x <= rule.value! - d;
  } else if (rule.op === '<') {
    raise = x < rule.value!;
    clear = x >= rule.value! + d;
  } else {
    raise = x < rule.low! || x > rule.high!;
    clear = x >= rule.low! + d && x <= rule.high! - d;
  }
  if (raise) return 'raise';
  if (rule.clear) clear = inClear(rule.clear, x);
  return clear ? 'clear' : 'hold';
}

export function describe(rule: Rule, device: string, value: number | null, label?: (metric: string, value: number) => string | undefined): string {
  const named = value !== null && rule.metric ? label?.(rule.metric, value) : undefined;
  const v = value === null ? '' : ` (${Number.isInteger(value) ? value : value.toPrecision(6)}${named ? ` ${named}` : ''})`;
  const what =
    rule.kind === 'nodata'
      ? `no data for ${rule.forMs} ms`
      : `${rule.kind}${rule.metric ? ' ' + rule.metric : ''} ${rule.op} ${rule.op === 'outside' ? `[${rule.low}, ${rule.high}]` : rule.value}`;
  return `${rule.name}: ${device} ${what}${v}`;
}

/** An auto-clear in words, quoting the value that cleared it (the raise message keeps the value that raised it). */
export function describeClear(rule: Rule, device: string, value: number | null, label?: (metric: string, value: number) => string | undefined): string {
  const named = value !== null && rule.metric ? label?.(rule.metric, value) : undefined;
  const v = value === null ? '' : `${rule.metric ? ' ' + rule.metric : ''} ${Number(value.toPrecision(6))}${named ? ` (${named})` : ''}`;
  return `${rule.name}: ${device} back to normal${v ? ',' + v : ''}`;
}
