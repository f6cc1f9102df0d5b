import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRule, verdict, RuleError } from '../../src/alarms/rules.js';
import { initialTrigger, step, type TriggerState } from '../../src/alarms/trigger.js';

const run = (input: Parameters<typeof buildRule>[0], points: [number, number][]) => {
  const rule = buildRule(input, undefined, 0);
  let s: TriggerState = initialTrigger();
  const actions: string[] = [];
  for (const [ts, x] of points) {
    const r = step(s, rule, verdict(rule, x), ts);
    s = r.state;
    if (r.action) actions.push(`${r.action}@${ts}`);
  }
  return actions;
};

test('on-delay raises only after the condition held that long; a dip resets it', () => {
  const rule = {
    name: 'r',
    severity: 'major' as const,
    scope: 'all' as const,
    kind: 'threshold' as const,
    metric: 'x',
    op: '>' as const,
    value: 10,
    onDelayMs: 3000,
  };
  assert.deepEqual(
    run(rule, [
      [0, 11],
      [2000, 12],
      [2500, 9],
      [3000, 11],
      [5000, 11],
      [6000, 11],
    ]),
    ['raise@6000'],
  );
});

test('off-delay and deadband: clears only after the clear condition held, never inside the band', () => {
  const rule = {
    name: 'r',
    severity: 'major' as const,
    scope: 'all' as const,
    kind: 'threshold' as const,
    metric: 'x',
    op: '>' as const,
    value: 10,
    deadband: 2,
    offDelayMs: 2000,
  };
  assert.deepEqual(
    run(rule, [
      [0, 11],
      [1000, 9],
      [2000, 9.5],
      [3000, 7],
      [4000, 8.5],
      [5000, 7],
      [7000, 7.9],
    ]),
    ['raise@0', 'clear@7000'],
  );
});

test('outside band with an explicit clear condition', () => {
  const rule = {
    name: 'r',
    severity: 'minor' as const,
    scope: 'all' as const,
    kind: 'threshold' as const,
    metric: 'x',
    op: 'outside' as const,
    low: 0,
    high: 10,
    clear: { op: 'inside' as const, low: 3, high: 7 },
  };
  assert.deepEqual(
    run(rule, [
      [0, 5],
      [1, -1],
      [2, 2],
      [3, 11],
      [4, 6],
      [5, 12],
    ]),
    ['raise@1', 'repeat@3', 'clear@4', 'raise@5'],
  );
});

test('rules that cannot work are refused naming the field', () => {
  assert.throws(
    () => buildRule({ name: 'r', severity: 'info', scope: 'device', kind: 'nodata', forMs: 1000 }),
    (e: RuleError) => e.field === 'target',
  );
  assert.throws(
    () => buildRule({ name: 'r', severity: 'info', scope: 'all', kind: 'rate', op: '>', value: 1 }),
    (e: RuleError) => e.field === 'metric',
  );
  assert.throws(
    () => buildRule({ name: 'r', severity: 'info', scope: 'all', kind: 'threshold', metric: 'x', op: 'outside', low: 0, high: 4, deadband: 3 }),
    (e: RuleError) => e.field === 'deadband',
  );
});
