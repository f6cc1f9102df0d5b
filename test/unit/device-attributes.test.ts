import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceRegistry } from '../../src/devices/registry.js';
import { ProfileRegistry } from '../../src/profiles/profiles.js';
import type { Message } from '../../src/model/reading.js';

const msg = (seq: number, attributes?: Record<string, string>): Message => ({
  device: 'b7',
  seq,
  ts: 1_000 * seq,
  values: { v: seq },
  source: 'mqtt',
  receivedAt: 1_000 * seq,
  ...(attributes ? { attributes } : {}),
});

test("a device's attributes gather from its messages; a reader's copy does not change with later ones", () => {
  const r = new DeviceRegistry({ offlineAfterMs: 60_000, profiles: new ProfileRegistry(), now: () => 10_000 });
  r.observe([msg(1, { site: 'north' }), msg(2, { line: 'line-1' }), msg(3)]);
  const first = r.get('b7')!;
  assert.deepEqual(first.attributes, { site: 'north', line: 'line-1' });
  // The same attributes again change nothing; a changed one is taken.
  r.observe([msg(4, { site: 'north', line: 'line-1' })]);
  assert.deepEqual(r.get('b7')!.attributes, { site: 'north', line: 'line-1' });
  r.observe([msg(5, { site: 'south' })]);
  assert.deepEqual(r.get('b7')!.attributes, { site: 'south', line: 'line-1' });
  assert.deepEqual(first.attributes, { site: 'north', line: 'line-1' }, 'the copy read before');
});
