import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelServer } from '../../src/models/serving.js';
import { BundleError, type BundleRegistry } from '../../src/models/bundles.js';
import type { Message } from '../../src/model/reading.js';
import { tempDir } from '../helpers/app.js';

test('a device no bundle is for is told apart without an error thrown, once until bundles change', () => {
  const asked: string[][] = [];
  const targets = new Set<string>();
  const registry = {
    serves: (t: string) => targets.has(t),
    select(ts: string[]) {
      asked.push(ts);
      // The one device in this test that has a target has a power bucket it is not told: skipped, not a lookup to remember.
      throw new BundleError('give power', 'power', 'required');
    },
  } as unknown as BundleRegistry;
  const tmp = tempDir();
  try {
    const server = new ModelServer({ registry, sink: { write: async () => {} } as never, stamp: () => 0, profileOf: () => 'battery', dataDir: tmp.dir });
    const msg = (device: string, ts: number): Message => ({ device, ts, values: { v: 1 }, source: 'mqtt', receivedAt: ts });
    server.observe([msg('rack-1', 1), msg('rack-2', 1), msg('rack-1', 2)]);
    assert.deepEqual(asked, [], 'no bundle serves rack-1, rack-2 or profile:battery: select is not asked');
    targets.add('profile:battery');
    // Bundles changed: the devices are looked at again, and now one is (its select says what is missing).
    server.changed();
    server.observe([msg('rack-1', 3)]);
    assert.deepEqual(asked, [['rack-1', 'profile:battery']]);
    assert.equal(server.counters.skipped, 1);
  } finally {
    tmp.remove();
  }
});
