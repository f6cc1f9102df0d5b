// Issue 19: partition leases on a real nats-server key-value bucket. A node joins a node that holds
// every partition while taking a partition is slow (on a loaded machine the fence, the sequence
// state, the device rebuild and the consumer took 0.3-3 s each): the two must settle into the
// balanced split, the old node must not take back what it handed over while the joining node is
// still busy taking its other partitions (that ping-pong kept two bench nodes from settling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignPartitions } from '../../src/cluster/lease-assignment.js';
import { until } from '../helpers/app.js';
import { requireNats } from '../helpers/nats.js';
import { leaseRig } from '../helpers/cluster-rig.js';

const nats = requireNats('cluster leases');
const PARTITIONS = 8;
const LEASE_MS = 1500;

test(
  'a node joining while each acquisition takes a whole lease gets its share, and the old owner takes none of it back',
  { skip: nats.skip, timeout: 180_000 },
  async (t) => {
    const rig = await leaseRig(t, { partitions: PARTITIONS, leaseMs: LEASE_MS });
    const events: string[] = [];
    const leases = (node: string, acquireMs: number) =>
      rig.start(node, {
        acquired: async (p) => {
          await new Promise((r) => setTimeout(r, acquireMs));
          events.push(`${node} acquired ${p}`);
        },
        released: async (p, why) => {
          events.push(`${node} released ${p} (${why})`);
        },
      });
    const a = await leases('node-a', 0);
    await until(() => a.owned().length === PARTITIONS, { what: 'node-a holding every partition', timeoutMs: 30_000 });

    const joinedAt = events.length;
    const b = await leases('node-b', LEASE_MS);
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

// Issue 19: under load all 8 leases of a node were seen to lapse at once. A renewal round put the
// member key and then updated the leases, and waited for all of it (up to the client's 5 s request
// timeout) before the next round: one slow answer held every lease back, and the node kept
// consuming until the answer came, after the bucket could have given the partitions to another.
// Here node-a's lease updates get no answer for far longer than a lease (a slow NATS round trip);
// its member key stays alive. node-a must let each lease go before node-b takes it: never two
// holders of a partition at once, and every partition ends held.
test(
  'a node whose renewals get no answer for longer than a lease stops before another node takes its partitions',
  { skip: nats.skip, timeout: 180_000 },
  async (t) => {
    const rig = await leaseRig(t, { partitions: PARTITIONS, leaseMs: LEASE_MS });
    const kv = rig.kv;
    let slowUntil = 0;
    const slowKv = new Proxy(kv, {
      get(target, prop, receiver) {
        if (prop === 'update')
          return async (k: string, data: string, version: number) => {
            const wait = slowUntil - Date.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            return target.update(k, data, version);
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const holder = new Map<number, string>();
    const violations: string[] = [];
    const events: string[] = [];
    const leases = (node: string, bucket: typeof kv) =>
      rig.start(
        node,
        {
          acquired: async (p) => {
            const other = holder.get(p);
            if (other !== undefined && other !== node) violations.push(`${node} acquired ${p} while ${other} still held it`);
            holder.set(p, node);
            events.push(`${node} acquired ${p}`);
          },
          released: async (p, why) => {
            if (holder.get(p) === node) holder.delete(p);
            events.push(`${node} released ${p} (${why})`);
          },
        },
        bucket,
      );
    const a = await leases('node-a', slowKv);
    await until(() => a.owned().length === PARTITIONS, { what: 'node-a holding every partition', timeoutMs: 30_000 });
    const b = await leases('node-b', kv);
    await until(() => a.owned().length + b.owned().length === PARTITIONS && b.owned().length > 0, { what: 'the split', timeoutMs: 60_000 });

    const before = events.length;
    // No answer to node-a's renewals for 8 leases: its leases expire in the bucket, node-b may take them.
    slowUntil = Date.now() + 8 * LEASE_MS;
    await until(() => Date.now() > slowUntil + 2 * LEASE_MS, { what: 'the slow spell and two leases after it', timeoutMs: 60_000 });
    await until(() => a.owned().length + b.owned().length === PARTITIONS && [...holder.keys()].length === PARTITIONS, {
      what: `every partition held again (${JSON.stringify(events.slice(before))})`,
      timeoutMs: 60_000,
    });
    const during = events.slice(before);
    assert.ok(
      during.some((e) => e.startsWith('node-a released') && e.endsWith('(lost)')),
      `node-a let its leases go while it could not renew them: ${JSON.stringify(during)}`,
    );
    assert.deepEqual(violations, [], `one holder per partition at a time: ${JSON.stringify(during)}`);
    for (let p = 0; p < PARTITIONS; p++) assert.equal([a, b].filter((n) => n.owned().includes(p)).length, 1, `partition ${p} held by exactly one node`);
  },
);
