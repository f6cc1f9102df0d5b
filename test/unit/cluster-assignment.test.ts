import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignPartitions } from '../../src/cluster/lease-assignment.js';
import { partitionOf } from '../../src/cluster/partitions.js';

test('partitionOf is the FNV-1a hash nats-server partitions with (values the server gave for 8 partitions)', () => {
  // Seen on nats-server 2.9.10 with {{partition(8,1)}}: pump-1 -> 1, pump-2 -> 0, rack-18 -> 4 (docs/scale-out.md).
  assert.deepEqual(
    ['pump-1', 'pump-2', 'rack-18'].map((d) => partitionOf(d, 8)),
    [1, 0, 4],
  );
});

test('assignment: every partition to a live node, each node at most ceil(N/nodes), the same answer whatever the order', () => {
  for (const nodes of [['a'], ['a', 'b'], ['a', 'b', 'c'], ['n1', 'n2', 'n3', 'n4', 'n5']]) {
    for (const n of [1, 7, 8, 64]) {
      const a = assignPartitions(n, nodes);
      assert.equal(a.length, n);
      const load = new Map<string, number>();
      for (const x of a) load.set(x, (load.get(x) ?? 0) + 1);
      for (const x of a) assert.ok(nodes.includes(x));
      for (const c of load.values()) assert.ok(c <= Math.ceil(n / nodes.length), `${nodes.length} nodes, ${n} partitions: ${[...load.values()]}`);
      assert.deepEqual(assignPartitions(n, [...nodes].reverse()), a);
    }
  }
  assert.deepEqual(assignPartitions(8, []), []);
});

test('assignment: a node that dies gives up only its own partitions; the others stay where they were', () => {
  const before = assignPartitions(64, ['a', 'b', 'c', 'd']);
  const after = assignPartitions(64, ['a', 'b', 'c']);
  // With the capacity rule a few may shift between survivors, but far fewer than a re-deal would move.
  const moved = before.filter((x, p) => x !== 'd' && after[p] !== x).length;
  assert.ok(moved <= 64 / 4, `moved ${moved}`);
  assert.ok(after.every((x) => x !== 'd'));
});
