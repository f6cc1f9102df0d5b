/**
 * Issue 19, run-once jobs: OTA rollouts on two Fieldscope nodes sharing one PostgreSQL. Only the
 * node holding the run-once lease drives rollouts (sends the images, starts the next device), a
 * rollout created through the other node or reported to through it moves on all the same, and
 * when the holder stops, the other node takes the rollout over where it stood.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { RunningApp } from '../../src/app.js';
import { startTestApp, until } from '../helpers/app.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';

const { skip } = requirePostgres('cluster run-once');
const keep = { retentionRawHours: 24 * 365 * 50, rulePacks: false };

interface Received {
  node: 'a' | 'b';
  id: string;
  name: string;
}

/**
 * A device connected to both nodes' brokers (as behind a load balancer it could reach either): it
 * records which node sent it which command, acknowledges each, and reports OTA results where told.
 */
async function dualDevice(id: string, a: RunningApp, b: RunningApp) {
  const got: Received[] = [];
  const links = { a: await mqtt.connectAsync(a.mqttUrl, { clientId: `${id}-a` }), b: await mqtt.connectAsync(b.mqttUrl, { clientId: `${id}-b` }) };
  for (const node of ['a', 'b'] as const) {
    const c = links[node];
    c.on('message', (_topic, payload) => {
      const cmd = JSON.parse(payload.toString()) as { id: string; name: string };
      got.push({ node, id: cmd.id, name: cmd.name });
      void c.publishAsync(`devices/${id}/commands/ack`, JSON.stringify({ id: cmd.id, status: 'acked' }), { qos: 1 });
    });
    await c.subscribeAsync(`devices/${id}/commands`, { qos: 1 });
  }
  return {
    id,
    got,
    ota: () => got.filter((g) => g.name === 'ota'),
    report: (via: 'a' | 'b', status: 'success' | 'failed') => links[via].publishAsync(`devices/${id}/ota`, JSON.stringify({ status }), { qos: 1 }),
    // Forced: a polite end waits for in-flight QoS1 publishes to be acknowledged, and at clean-up
    // the nodes may already be stopped (a CI run hung here for minutes).
    end: () => Promise.all([links.a.endAsync(true), links.b.endAsync(true)]),
  };
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  assert.ok(res.ok, `${res.status} ${text}`);
  return JSON.parse(text) as T;
}

describe('run-once jobs on a shared store: OTA rollouts', { skip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => pg?.destroy());

  it(
    'a rollout created through the follower is driven by the lease holder alone, moves on with reports sent to either node, and continues on the other node when the holder stops',
    { timeout: 180_000 },
    async (t) => {
      const t0 = Date.now();
      const step = (what: string) => process.stderr.write(`[cluster-run-once] ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}\n`);
      const url = await pg.createDatabase();
      const a = await startTestApp({ store: url, ...keep });
      const b = await startTestApp({ store: url, ...keep });
      const running = new Set<RunningApp>([a, b]);
      t.after(() => Promise.all([...running].map((n) => n.stop())));
      // Whichever node takes the lease first holds it (on a loaded machine A's first try can come after B's).
      await until(() => a.sharedState.runOnce.leading || b.sharedState.runOnce.leading, { timeoutMs: 15_000, what: 'a node to lead' });
      const [holder, follower] = a.sharedState.runOnce.leading ? [a, b] : [b, a];
      const name = (n: RunningApp): 'a' | 'b' => (n === a ? 'a' : 'b');
      assert.equal(follower.sharedState.runOnce.leading, false, 'one holder only');

      step('both nodes started');
      // Three battery devices, known to the follower with their profile (the rollout's target).
      const devices = await Promise.all(['ota-1', 'ota-2', 'ota-3'].map((id) => dualDevice(id, a, b)));
      t.after(() => Promise.all(devices.map((d) => d.end())));
      for (const d of devices) {
        const r = await fetch(`${follower.httpUrl}/api/v1/devices/${d.id}/telemetry`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ profile: 'battery', v: 1 }),
        });
        assert.equal(r.status, 200);
      }
      await until(() => devices.every((d) => follower.devices.get(d.id)?.profile === 'battery'), { what: 'the devices bound on the follower' });

      step(`devices connected and bound on the follower (${name(follower)})`);
      // The image is uploaded through the holder; the rollout is created through the follower, one device at a time.
      const fw = await json<{ id: string }>(
        await fetch(`${holder.httpUrl}/api/v1/firmware?version=2.0.0&name=cell.bin`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: randomBytes(4096),
        }),
      );
      const created = await json<{ rollout: { id: string }; jobs: { device: string }[] }>(
        await fetch(`${follower.httpUrl}/api/v1/firmware/${fw.id}/rollouts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ profile: 'battery', concurrency: 1 }),
        }),
      );
      assert.deepEqual(created.jobs.map((j) => j.device).sort(), ['ota-1', 'ota-2', 'ota-3']);
      const order = created.jobs.map((j) => devices.find((d) => d.id === j.device)!);

      step('rollout created through the follower');
      // The lease holder sends the first device its image: over its own broker only, once.
      await until(() => order[0].ota().length > 0, { what: 'the first device told by the lease holder' }).catch(async (err: Error) => {
        throw new Error(
          `${err.message}: ${JSON.stringify(await holder.store.devices.listOtaJobs({ rollout: created.rollout.id }))} ${JSON.stringify(holder.deviceServices.ota.getRollout(created.rollout.id))}`,
        );
      });
      assert.deepEqual(
        order[0].ota().map((g) => g.node),
        [name(holder)],
      );
      // The first device reports success through the follower: the holder hears of it (change feed) and starts the second.
      await order[0].report(name(follower), 'success');
      await until(() => order[1].ota().length > 0, { what: 'the second device told, after a report that reached the other node' });
      assert.deepEqual(
        order[1].ota().map((g) => g.node),
        [name(holder)],
      );
      assert.equal(order[2].ota().length, 0, 'one device at a time');

      step('second device told by the holder');
      // The holder stops while the second device updates: the follower takes the lease and the rollout where it stood.
      await holder.stop();
      running.delete(holder);
      step('holder stopped');
      await until(() => follower.sharedState.runOnce.leading, { timeoutMs: 15_000, what: 'the follower to take the lease' });
      await order[1].report(name(follower), 'success');
      await until(() => order[2].ota().length > 0, { timeoutMs: 15_000, what: 'the third device told by the new holder' });
      assert.deepEqual(
        order[2].ota().map((g) => g.node),
        [name(follower)],
      );
      await order[2].report(name(follower), 'success');
      const done = await until(
        async () => {
          const r = await json<{ rollout: { status: string }; jobs: { device: string; status: string }[] }>(
            await fetch(`${follower.httpUrl}/api/v1/rollouts/${created.rollout.id}`),
          );
          return r.rollout.status === 'done' && r;
        },
        { timeoutMs: 15_000, what: 'the rollout done' },
      );
      assert.deepEqual(
        done.jobs.map((j) => j.status),
        ['success', 'success', 'success'],
      );
      step('rollout done');
      // Each device was sent its image by exactly one node, once (a resend would reuse the command id).
      for (const d of devices) assert.equal(new Set(d.ota().map((g) => g.id)).size, 1, `${d.id}: one ota command`);
    },
  );
});
