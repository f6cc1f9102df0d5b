// Stop 18, cluster-e2e in CI: after a 7.5 s event-loop stall a node lost its leases while a
// partition's consumer was starting. The release found no consumer to stop, the start then
// registered its consumer, and two nodes consumed the partition. Here the loss is made to happen
// inside consumer.start(), not by luck: the first start is held once the consumer is consuming,
// another holder is written into the lease key, the node's renewal finds it and releases the
// partition, and only then is the start let go. The node must not keep that consumer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import pino from 'pino';
import client from 'prom-client';
import { ClusterNode, LEASE_BUCKET } from '../../src/cluster/node.js';
import { PartitionConsumer } from '../../src/cluster/partition-consumer.js';
import { requireNats, startNatsCluster } from '../helpers/nats.js';

const nats = requireNats('cluster lease lost during start');
const PARTITION = 0;

test(
  'a lease lost while its partition consumer starts: the node stops that consumer and does not show the partition as its own',
  { skip: nats.skip, timeout: 180_000 },
  async (t) => {
    const cluster = await startNatsCluster({ partitions: 1 });
    const events: string[] = [];
    // The moment the held start ends, through the lease loop's own log line: what the node then
    // shows as consumed, before any later tick could take the partition again.
    let settled!: (at: { msg: string; owned: unknown }) => void;
    const startSettled = new Promise<{ msg: string; owned: unknown }>((r) => (settled = r));
    const logger = pino(
      { level: 'info' },
      {
        write(line: string) {
          const { msg, partition } = JSON.parse(line) as { msg: string; partition?: number };
          if (partition !== PARTITION) return;
          if (msg === 'cluster: partition acquired' || msg === 'cluster: could not start on an acquired partition; giving it back')
            settled({ msg, owned: node.describe().detail.owned });
        },
      },
    );

    let entered!: () => void;
    const inStart = new Promise<void>((r) => (entered = r));
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    const startedConsumers: PartitionConsumer[] = [];
    const stopped = new Set<PartitionConsumer>();
    const start = PartitionConsumer.prototype.start;
    const stop = PartitionConsumer.prototype.stop;
    t.mock.method(PartitionConsumer.prototype, 'start', async function (this: PartitionConsumer) {
      await start.call(this);
      startedConsumers.push(this);
      if (startedConsumers.length > 1) return;
      events.push('consuming');
      entered();
      await held;
    });
    t.mock.method(PartitionConsumer.prototype, 'stop', async function (this: PartitionConsumer) {
      stopped.add(this);
      await stop.call(this);
    });

    const node: ClusterNode = new ClusterNode(
      { urls: cluster.urls, node: 'node-a', partitions: 1, leaseMs: 3000, replicas: 3 },
      {
        logger,
        registry: new client.Registry(),
        judge: () => ({ messages: [], rejected: [] }),
        commit: async () => undefined,
        fence: async () => true,
        loadSequenceState: async () => [],
        sequence: { load: () => undefined },
        knownDevices: () => [],
      },
    );
    let released!: () => void;
    const releasedOnce = new Promise<void>((r) => (released = r));
    node.onPartitionReleased((p) => {
      if (p !== PARTITION) return;
      events.push('released');
      released();
    });
    // The lease loop's first tick starts the partition inside node.start(): not awaited before the hold is let go.
    const nc = await connect({ servers: cluster.urls.split(',') });
    const starting = node.start();
    // One hook, in this order: a node stopped after its NATS servers waits for them for ever.
    t.after(async () => {
      letGo();
      await starting.catch(() => undefined);
      await node.stop();
      await nc.close();
      await cluster.destroy();
    });
    await inStart;

    // Another holder in the lease key: the node's next renewal (a third of a lease) finds the key
    // moved on and lets the lease go, while the consumer's start is still held.
    const kv = await nc.jetstream().views.kv(LEASE_BUCKET, { bindOnly: true });
    await kv.put(`part.${PARTITION}`, 'node-b');
    await releasedOnce;
    assert.deepEqual(node.owned(), [], 'the lease is no longer held');

    letGo();
    const at = await startSettled;
    await starting;
    assert.deepEqual(events, ['consuming', 'released'], 'the release came while the consumer was starting');
    assert.deepEqual(at.owned, [], `partition ${PARTITION} shown as consumed here after its lease went (${at.msg})`);
    assert.equal(at.msg, 'cluster: could not start on an acquired partition; giving it back');
    assert.ok(stopped.has(startedConsumers[0]), 'the consumer started under the lost lease was stopped');
  },
);
