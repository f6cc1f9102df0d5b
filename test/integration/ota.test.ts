import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { startSimulator } from '../../src/sim/simulator.js';

type Job = { device: string; status: string; progress: number; reason: string | null; version: string };

/** The app and `n` simulated devices of one kind, each seen with its profile (an OTA target). */
async function startRig(t: TestContext, n: number, kind: 'battery' | 'ina219') {
  const d = tempDir();
  t.after(() => d.remove());
  const app = await startTestApp({ dataDir: d.dir });
  t.after(() => app.stop());
  const sim = await startSimulator({ brokerUrl: app.mqttUrl, devices: n, kinds: [kind], rateHz: 2 });
  t.after(() => sim.stop());
  await until(() => sim.devices.every((dev) => app.devices.get(dev.id)?.profile === kind), { what: 'devices seen with their profile' });
  return { app, sim };
}

test('OTA: a simulated device downloads a 1 MiB image in Range pieces, verifies sha256 and reports success; a corrupted download is reported failed', async (t) => {
  const { app, sim } = await startRig(t, 2, 'battery');
  const [good, bad] = sim.devices;

  const image = randomBytes(1024 * 1024);
  const up = await fetch(`${app.httpUrl}/api/v1/firmware?version=2.1.0&name=battery.bin`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: image,
  });
  const fw = (await up.json()) as { id: string; size: number; sha256: string; version: string };
  assert.equal(up.status, 201, JSON.stringify(fw));
  assert.equal(fw.size, image.length);
  assert.equal(fw.sha256, createHash('sha256').update(image).digest('hex'));

  // The image endpoint honours ranges.
  const part = await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}/image`, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${image.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), image.subarray(100, 200));
  assert.equal((await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}/image`, { headers: { range: `bytes=${image.length}-` } })).status, 416);

  bad.corruptNextDownload();
  const roll = await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}/rollouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ profile: 'battery', concurrency: 1 }),
  });
  const created = (await roll.json()) as { rollout: { id: string }; jobs: Job[] };
  assert.equal(roll.status, 201, JSON.stringify(created));
  // Throttled: one device at a time.
  assert.deepEqual(created.jobs.map((j) => j.status).sort(), ['queued', 'sent']);

  const done = await until(
    async () => {
      const r = (await (await fetch(`${app.httpUrl}/api/v1/rollouts/${created.rollout.id}`)).json()) as { rollout: { status: string }; jobs: Job[] };
      return r.rollout.status === 'done' ? r : undefined;
    },
    { timeoutMs: 20_000, what: 'rollout done' },
  );
  const byDevice = Object.fromEntries(done.jobs.map((j) => [j.device, j]));
  assert.equal(byDevice[good.id].status, 'success');
  assert.equal(byDevice[good.id].progress, 1);
  assert.equal(good.firmwareVersion, '2.1.0');
  assert.equal(byDevice[bad.id].status, 'failed');
  assert.match(byDevice[bad.id].reason ?? '', /sha256 mismatch/);
  assert.equal(bad.firmwareVersion, '1.0.0');

  const perDevice = (await (await fetch(`${app.httpUrl}/api/v1/devices/${bad.id}/ota`)).json()) as { jobs: Job[] };
  assert.equal(perDevice.jobs[0].status, 'failed');
  const cmds = (await (await fetch(`${app.httpUrl}/api/v1/devices/${good.id}/commands`)).json()) as { commands: Array<{ name: string; status: string }> };
  assert.equal(cmds.commands.find((c) => c.name === 'ota')?.status, 'acked');

  // Bad input is refused with the field named.
  const noVersion = await fetch(`${app.httpUrl}/api/v1/firmware`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: image.subarray(0, 10),
  });
  assert.equal(noVersion.status, 400);
  assert.equal(((await noVersion.json()) as { field: string }).field, 'version');
  const noTarget = await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}/rollouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ profile: 'no-such' }),
  });
  assert.equal(noTarget.status, 400);
});

test('OTA: cancelling a rollout stops the queued devices; the one already updating finishes; a second cancel is refused', async (t) => {
  const { app, sim } = await startRig(t, 3, 'ina219');
  const up = await fetch(`${app.httpUrl}/api/v1/firmware?version=3.0.0&name=ina.bin`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: randomBytes(256 * 1024),
  });
  const fw = (await up.json()) as { id: string };
  assert.equal(up.status, 201);
  const roll = await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}/rollouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ profile: 'ina219', concurrency: 1 }),
  });
  const created = (await roll.json()) as { rollout: { id: string }; jobs: Job[] };
  assert.equal(roll.status, 201);
  const started = created.jobs.find((j) => j.status === 'sent')!;

  const cancel = await fetch(`${app.httpUrl}/api/v1/rollouts/${created.rollout.id}/cancel`, { method: 'POST' });
  const after = (await cancel.json()) as { rollout: { status: string }; jobs: Job[] };
  assert.equal(cancel.status, 200, JSON.stringify(after));
  assert.equal(after.rollout.status, 'cancelled');
  const others = after.jobs.filter((j) => j.device !== started.device);
  assert.equal(others.length, 2);
  for (const j of others) {
    assert.equal(j.status, 'failed');
    assert.match(j.reason ?? '', /cancelled/);
  }

  // The device that had started is not abandoned mid-update: it finishes and reports.
  const finished = await until(
    async () => {
      const r = (await (await fetch(`${app.httpUrl}/api/v1/rollouts/${created.rollout.id}`)).json()) as { rollout: { status: string }; jobs: Job[] };
      const j = r.jobs.find((x) => x.device === started.device)!;
      return j.status === 'success' || j.status === 'failed' ? r : undefined;
    },
    { timeoutMs: 20_000, what: 'the started device finished' },
  );
  assert.equal(finished.jobs.find((x) => x.device === started.device)!.status, 'success');
  assert.equal(finished.rollout.status, 'cancelled', 'stays cancelled, not done');
  for (const dev of sim.devices) assert.equal(dev.firmwareVersion, dev.id === started.device ? '3.0.0' : '1.0.0');

  const again = await fetch(`${app.httpUrl}/api/v1/rollouts/${created.rollout.id}/cancel`, { method: 'POST' });
  assert.equal(again.status, 409);
  assert.equal(((await again.json()) as { rule: string }).rule, 'running');
  assert.equal((await fetch(`${app.httpUrl}/api/v1/rollouts/${randomUUID()}/cancel`, { method: 'POST' })).status, 404);
});
