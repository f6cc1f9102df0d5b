// A partition's durable consumer is made afresh by each new owner, the last owner's deleted first.
// A stale claim (a node whose lease went while it was still making its consumer: the server took
// 0.5-2 s under load, longer after a stall) made its consumer after the new owner had: it deleted
// the new owner's consumer, the one consuming the partition. A real nats-server and work-queue
// partition stream; the stale claim's consumer is made, in full, after the newer owner's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, RetentionPolicy, StorageType, type ConsumerInfo, type JetStreamManager, type JsMsg } from 'nats';
import { PartitionConsumer } from '../../src/cluster/partition-consumer.js';
import { partitionFilter, partitionStream } from '../../src/cluster/partitions.js';
import { silentLogger } from '../../src/logger.js';
import { until } from '../helpers/app.js';
import { requireNats, startNatsCluster } from '../helpers/nats.js';

const nats = requireNats('cluster stale consumer');
const P = 0;
const stream = partitionStream(P);

async function consumersOf(jsm: JetStreamManager): Promise<{ name: string; created: string }[]> {
  const out: { name: string; created: string }[] = [];
  for await (const ci of jsm.consumers.list(stream) as AsyncIterable<ConsumerInfo>) out.push({ name: ci.name, created: ci.created });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

test("a stale claim's consumer never deletes a newer owner's; a newer owner's deletes the older ones", { skip: nats.skip, timeout: 120_000 }, async (t) => {
  const cluster = await startNatsCluster({ partitions: 1 });
  const nc = await connect({ servers: cluster.urls.split(',') });
  const consumers: PartitionConsumer[] = [];
  t.after(async () => {
    for (const c of consumers) await c.stop();
    await nc.close();
    await cluster.destroy();
  });
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  // As the node makes it (src/cluster/node.ts ensureStream), one replica.
  await jsm.streams.add({ name: stream, subjects: [partitionFilter(P)], retention: RetentionPolicy.Workqueue, storage: StorageType.File, num_replicas: 1 });
  const handled = new Map<number, string[]>();
  const consumer = (token: number) => {
    const c = new PartitionConsumer(
      js,
      jsm,
      P,
      token,
      async (msgs: JsMsg[]) => {
        handled.set(token, [...(handled.get(token) ?? []), ...msgs.map((m) => m.string())]);
      },
      silentLogger(),
    );
    consumers.push(c);
    return c;
  };
  const publish = (s: string) => js.publish(`part.${P}.devices.d1.telemetry`, s);

  // The owner with lease token 6 consumes.
  const owner = consumer(6);
  await owner.start();
  await publish('m1');
  await until(() => handled.get(6)?.includes('m1'), { what: 'm1 consumed by the owner', timeoutMs: 30_000 });
  const before = await consumersOf(jsm);
  assert.equal(before.length, 1);

  // The stale claim (token 5) makes its consumer now: it must leave the owner's alone.
  await consumer(5)
    .prepare()
    .catch(() => undefined);
  assert.deepEqual(await consumersOf(jsm), before, "the newer owner's consumer is still the one on the server");

  await publish('m2');
  await until(() => handled.get(6)?.includes('m2'), { what: 'm2 consumed by the owner after the stale claim', timeoutMs: 30_000 });
  assert.equal(handled.get(5), undefined, 'nothing consumed under the stale claim');
  await until(async () => (await jsm.streams.info(stream)).state.messages === 0, {
    what: 'both messages acknowledged (the work queue empty)',
    timeoutMs: 30_000,
  });

  // A newer owner (token 7) takes over: the older consumer goes, its own is the only one.
  await owner.stop();
  const next = consumer(7);
  await next.start();
  const after = await consumersOf(jsm);
  assert.equal(after.length, 1, JSON.stringify(after));
  assert.notEqual(after[0].name, before[0].name);
  await publish('m3');
  await until(() => handled.get(7)?.includes('m3'), { what: 'm3 consumed by the newest owner', timeoutMs: 30_000 });
});
