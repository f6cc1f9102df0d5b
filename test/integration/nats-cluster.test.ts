import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect, DiscardPolicy, StorageType } from 'nats';
import { requireNats } from '../helpers/nats.js';
import { natsClusterFor } from '../helpers/cluster-rig.js';
import { haveBinaries } from '../helpers/services.js';
import { partitionFilter, partitionOf, partitionStream, partitionSubject } from '../../src/cluster/partitions.js';
import { until } from '../helpers/app.js';

// What docs/scale-out.md builds on, checked against the nats-server installed here.
const svc = requireNats('NATS cluster facts');

test(
  'NATS cluster: R3 partition streams capture MQTT publishes through the partition mapping; KV create/update are compare-and-set and entries expire',
  { skip: svc.skip, timeout: 120_000 },
  async (t) => {
    const cluster = await natsClusterFor(t, 4);
    const nc = await connect({ servers: cluster.urls });
    t.after(() => nc.close());
    const jsm = await nc.jetstreamManager();
    for (let p = 0; p < 4; p++) await jsm.streams.add({ name: partitionStream(p), subjects: [partitionFilter(p)], num_replicas: 3, storage: StorageType.File });
    const info = await jsm.streams.info(partitionStream(0));
    assert.equal(info.config.num_replicas, 3);
    assert.equal(info.cluster?.replicas?.length, 2, 'two followers besides the leader');

    // The server's partition function is ours: what MQTT devices publish lands in partitionOf(device).
    const devices = ['pump-1', 'pump-2', 'rack-18', 'a', 'vib:7', 'ENV_03'];
    if (haveBinaries('mosquitto_pub')) {
      for (const d of devices)
        execFileSync('mosquitto_pub', [
          '-h',
          '127.0.0.1',
          '-p',
          String(cluster.servers[1].mqttPort),
          '-q',
          '1',
          '-i',
          `pub-${d}`,
          '-t',
          `devices/${d}/telemetry`,
          '-m',
          '{"seq":1}',
        ]);
    } else {
      // The core NATS subject the MQTT listener publishes on is the same.
      for (const d of devices) nc.publish(`devices.${d}.telemetry`, '{"seq":1}');
    }
    for (const d of devices) {
      const p = partitionOf(d, 4);
      const m = await until(
        async () => {
          try {
            return await jsm.streams.getMessage(partitionStream(p), { last_by_subj: partitionSubject(p, d) });
          } catch {
            return undefined;
          }
        },
        { what: `${d} in partition ${p}` },
      );
      assert.equal(m.subject, partitionSubject(p, d));
    }

    // A stream that refuses a message (full, discard new) still lets the MQTT listener PUBACK it: the
    // PUBACK means "the server received it", not "a stream stored it".
    if (haveBinaries('mosquitto_pub')) {
      await jsm.streams.add({ name: 'FULL', subjects: ['full.x'], max_msgs: 1, discard: DiscardPolicy.New, num_replicas: 3 });
      for (let i = 0; i < 3; i++)
        execFileSync('mosquitto_pub', [
          '-h',
          '127.0.0.1',
          '-p',
          String(cluster.servers[0].mqttPort),
          '-q',
          '1',
          '-i',
          'pub-full',
          '-t',
          'full/x',
          '-m',
          String(i),
        ]);
      assert.equal((await jsm.streams.info('FULL')).state.messages, 1, 'three PUBACKed, one stored');
    }

    // KV: create only when absent, update only at the revision read; entries expire after max_age.
    const js = nc.jetstream();
    const kv = await js.views.kv('fs_test_leases', { replicas: 3, ttl: 1500, history: 1 });
    const r1 = await kv.create('p.0', 'node-a');
    await assert.rejects(kv.create('p.0', 'node-b'), 'a second create of a live key fails');
    const r2 = await kv.update('p.0', 'node-a', r1);
    await assert.rejects(kv.update('p.0', 'node-b', r1), 'an update at a stale revision fails');
    assert.ok(r2 > r1);
    const expired = await until(async () => (await kv.get('p.0')) === null && 'gone', { what: 'lease expiry', timeoutMs: 10_000 });
    assert.equal(expired, 'gone');
    // After expiry the key is free again: someone else may create it.
    await kv.create('p.0', 'node-b');
    // A get right after the create may be answered by a replica that has not applied it yet (R3).
    const holder = await until(async () => (await kv.get('p.0'))?.string(), { what: 'the new holder read back', timeoutMs: 10_000 });
    assert.equal(holder, 'node-b');
    const status = await kv.status();
    assert.equal(status.replicas, 3);
  },
);
