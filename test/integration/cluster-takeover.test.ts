// Issue 19: the takeover of a partition does not wait for its devices' rebuild (on a loaded
// machine that rebuild took 6-19 s and held up the partition's consumer: takeovers of 10-21 s).
// A real 3-server NATS cluster, one ClusterNode whose acquired listener (the rebuild) does not
// finish until the test lets it: the partition's messages must be committed meanwhile, and the
// partition must not be released before the listener finished (what it holds back is judged here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { ClusterNode } from '../../src/cluster/node.js';
import { partitionOf } from '../../src/cluster/partitions.js';
import { silentLogger } from '../../src/logger.js';
import type { Message } from '../../src/model/reading.js';
import { until } from '../helpers/app.js';
import { requireNats } from '../helpers/nats.js';
import { natsClusterFor } from '../helpers/cluster-rig.js';

const nats = requireNats('cluster takeover');
const PARTITIONS = 2;
const DEVICE = 'rack-7';

test(
  "a taken partition's messages are committed while its devices are still being rebuilt, and it is released only after the rebuild",
  { skip: nats.skip, timeout: 180_000 },
  async (t) => {
    const cluster = await natsClusterFor(t, PARTITIONS);
    const committed: Message[] = [];
    const events: string[] = [];
    let finishRebuild!: () => void;
    const rebuildDone = new Promise<void>((r) => (finishRebuild = r));
    const node = new ClusterNode(
      { urls: cluster.urls, node: 'node-a', partitions: PARTITIONS, leaseMs: 3000, replicas: 3 },
      {
        logger: silentLogger(),
        registry: new client.Registry(),
        judge: () => ({ messages: [], rejected: [] }),
        commit: async (messages) => {
          committed.push(...messages);
        },
        fence: async () => true,
        loadSequenceState: async () => [],
        sequence: { load: () => undefined },
        knownDevices: () => [DEVICE],
      },
    );
    const mine = partitionOf(DEVICE, PARTITIONS);
    node.onPartitionAcquired(async (p, devices) => {
      if (p !== mine) return;
      events.push(`rebuilding ${devices.join(',')}`);
      await rebuildDone;
      events.push('rebuilt');
    });
    node.onPartitionReleased((p) => {
      if (p === mine) events.push('released');
    });
    let stopped = false;
    t.after(() => (stopped ? undefined : node.stop()));
    await node.start();
    await until(() => node.owned().includes(mine), { what: `partition ${mine} leased`, timeoutMs: 60_000 });

    const msgs: Message[] = [1, 2, 3].map((seq) => ({
      device: DEVICE,
      seq,
      ts: Date.UTC(2026, 0, 1) + seq * 1000,
      values: { v: seq },
      source: 'mqtt',
      receivedAt: Date.now(),
    }));
    assert.deepEqual(await node.publish(msgs), []);
    await until(() => committed.length === 3, { what: `the 3 messages committed while the rebuild is pending (${JSON.stringify(events)})`, timeoutMs: 60_000 });
    assert.deepEqual(
      committed.map((m) => m.seq),
      [1, 2, 3],
    );
    assert.deepEqual(events, [`rebuilding ${DEVICE}`], 'the rebuild was still running');

    // Stopping releases the partition: not before the rebuild finished.
    const stopping = node.stop().then(() => events.push('stopped'));
    stopped = true;
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!events.includes('released'), `released before the rebuild finished: ${JSON.stringify(events)}`);
    finishRebuild();
    await stopping;
    assert.deepEqual(events, [`rebuilding ${DEVICE}`, 'rebuilt', 'released', 'stopped']);
  },
);
