import type { TestContext } from 'node:test';
import { connect, type KV } from 'nats';
import { PartitionLeases, type LeaseHandlers } from '../../src/cluster/partition-leases.js';
import { silentLogger } from '../../src/logger.js';
import { startNatsCluster, type TestNatsCluster } from './nats.js';

// The start-up the in-process cluster tests share (cluster-leases, cluster-takeover, nats-cluster):
// a real 3-server NATS cluster, a client on it and the lease bucket, each torn down after the test.

/** A NATS cluster partitioned into `partitions`, destroyed after the test. */
export async function natsClusterFor(t: TestContext, partitions: number): Promise<TestNatsCluster> {
  const cluster = await startNatsCluster({ partitions });
  t.after(() => cluster.destroy());
  return cluster;
}

export interface LeaseRig {
  cluster: TestNatsCluster;
  /** The lease bucket, as the nodes use it (`fieldscope_leases`, one replica, entries live one lease). */
  kv: KV;
  /** A started PartitionLeases of `node` on `bucket` (the rig's by default), stopped after the test. */
  start(node: string, handlers: LeaseHandlers, bucket?: KV): Promise<PartitionLeases>;
}

/** A cluster, a client on it and the lease bucket for `partitions` partitions leased for `leaseMs`. */
export async function leaseRig(t: TestContext, o: { partitions: number; leaseMs: number }): Promise<LeaseRig> {
  const cluster = await natsClusterFor(t, o.partitions);
  const nc = await connect({ servers: cluster.urls.split(',') });
  t.after(() => nc.close());
  const kv = await nc.jetstream().views.kv('fieldscope_leases', { replicas: 1, ttl: o.leaseMs, history: 1 });
  return {
    cluster,
    kv,
    async start(node, handlers, bucket = kv) {
      const leases = new PartitionLeases(bucket, { node, partitions: o.partitions, leaseMs: o.leaseMs, logger: silentLogger() }, handlers);
      t.after(() => leases.stop());
      await leases.start();
      return leases;
    },
  };
}
