// Issue 19: partition leases on a real nats-server key-value bucket. A node joins a node that holds
// every partition while taking a partition is slow (on a loaded machine the fence, the sequence
// state, the device rebuild and the consumer took 0.3-3 s each): the two must settle into the
// balanced split, the old node must not take back what it handed over while the joining node is
// still busy taking its other partitions (that ping-pong kept two bench nodes from settling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { PartitionLeases } from '../../src/cluster/partition-leases.js';
import { assignPartitions } from '../../src/cluster/lease-assignment.js';
import { silentLogger } from '../../src/logger.js';
import { until } from '../helpers/app.js';
import { requireNats, startNatsCluster } from '../helpers/nats.js';

const nats = requireNats('cluster leases');
const PARTITIONS = 8;
const LEASE_MS = 1500;

test(
  'a node joining while each acquisition takes a whole lease gets its share, and the old owner takes none of it back',
  { skip: nats.skip, timeout: 180_000 },
  async (t) => {
    const cluster = await startNatsCluster({ partitions: PARTITIONS });
    t.after(() => cluster.destroy());
    const nc = await connect({ servers: cluster.urls.split(',') });
    t.after(() => nc.close());
    const kv = await nc.jetstream().views.kv('fieldscope_leases', { replicas: 1, ttl: LEASE_MS, history: 1 });
    const events: string[] = [];
    const leases = (node: string, acquireMs: number) =>
      new PartitionLeases(
        kv,
        { node, partitions: PARTITIONS, leaseMs: LEASE_MS, logger: silentLogger() },
        {
          acquired: async (p) => {
            await new Promise((r) => setTimeout(r, acquireMs));
            events.push(`${node} acquired ${p}`);
          },
          released: async (p, why) => {
            events.push(`${node} released ${p} (${why})`);
          },
        },
      );
    const a = leases('node-a', 0);
    t.after(() => a.stop());
    await a.start();
    await until(() => a.owned().length === PARTITIONS, { what: 'node-a holding every partition', timeoutMs: 30_000 });

    const joinedAt = events.length;
    const b = leases('node-b', LEASE_MS);
    t.after(() => b.stop());
    await b.start();
    const want = assignPartitions(PARTITIONS, ['node-a', 'node-b']);
    const share = (n: string) => want.flatMap((x, p) => (x === n ? [p] : []));
    const acquiredBy = (n: string) => events.slice(joinedAt).filter((e) => e.startsWith(`${n} acquired`));
    await until(
      () => a.owned().join() === share('node-a').join() && b.owned().join() === share('node-b').join() && acquiredBy('node-b').length >= share('node-b').length,
      {
        what: `the balanced split (${JSON.stringify(events.slice(joinedAt))})`,
        timeoutMs: 120_000,
      },
    );
    const after = events.slice(joinedAt);
    assert.deepEqual(
      after.filter((e) => e.startsWith('node-a acquired')),
      [],
      `node-a took back nothing it handed over: ${JSON.stringify(after)}`,
    );
    assert.deepEqual(
      acquiredBy('node-b').sort(),
      share('node-b')
        .map((p) => `node-b acquired ${p}`)
        .sort(),
      'node-b acquired each of its partitions once',
    );
    assert.deepEqual(
      after.filter((e) => e.startsWith('node-b released')),
      [],
      'node-b lost none',
    );
  },
);
