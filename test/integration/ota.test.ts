import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { startSimulator } from '../../src/sim/simulator.js';

type Job = { device: string; status: string; progress: number; reason: string | null; version: string };

/** The app and `n` simulated devices of one kind, each seen with its profile (an OTA target). */
async function startRig(t: TestContext, n: number, kind: 'battery' | 'ina219', config: { commandAckTimeoutMs?: number } = {}) {
  const d = tempDir();
  t.after(() => d.remove());
  const app = await startTestApp({ dataDir: d.dir, ...config });
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

test('OTA: a list of devices is one rollout whose concurrency applies across the list; its image cannot be deleted while it runs', async (t) => {
  // A listed device that never answers keeps its place busy (the ota command waits 2 min for an answer),
  // so the rollout is still running when the image is deleted.
  const { app, sim } = await startRig(t, 3, 'ina219', { commandAckTimeoutMs: 120_000 });
  const [a, b, c] = sim.devices.map((d) => d.id).sort();
  const ghost = 'ghost-01';
  const post = (path: string, body: unknown) =>
    fetch(`${app.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const up = await fetch(`${app.httpUrl}/api/v1/firmware?version=4.0.0&name=list.bin`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: randomBytes(64 * 1024),
  });
  const fw = (await up.json()) as { id: string };
  assert.equal(up.status, 201);

  // Refused with the field and the rule named, as the dashboard shows them.
  const refusal = async (body: unknown) => {
    const res = await post(`/api/v1/firmware/${fw.id}/rollouts`, body);
    const b = (await res.json()) as { field?: string; rule?: string };
    return [res.status, b.field, b.rule];
  };
  assert.deepEqual(await refusal({ devices: [a, a] }), [400, 'devices', 'uniqueItems']);
  assert.deepEqual(await refusal({ devices: [a, 'bad id!'] }), [400, 'devices.1', 'pattern']);
  assert.deepEqual(await refusal({ devices: [] }), [400, 'devices', 'minItems']);
  assert.equal((await refusal({ devices: [a], profile: 'ina219' }))[0], 400, 'one target only');
  // A device never heard from is refused, named in the answer (it used to hold a slot until the command timeout).
  assert.deepEqual(await refusal({ devices: [c, ghost, a] }), [400, 'devices', 'known_device']);
  assert.deepEqual(await refusal({ device: ghost }), [400, 'device', 'known_device']);
  const ghostRefusal = (await (await post(`/api/v1/firmware/${fw.id}/rollouts`, { devices: [ghost, a] })).json()) as { error: string };
  assert.match(ghostRefusal.error, /ghost-01/);
  assert.equal(
    ((await fetch(`${app.httpUrl}/api/v1/rollouts`).then((r) => r.json())) as { rollouts: unknown[] }).rollouts.length,
    0,
    'nothing started by a refusal',
  );
  // Heard from once over HTTP, the ghost is known; it never answers a command, so its place stays busy.
  assert.equal((await post('/api/v1/telemetry', [{ device_id: ghost, bus_voltage: 12 }])).status < 300, true);
  await until(async () => (await fetch(`${app.httpUrl}/api/v1/devices/${ghost}`)).status === 200, { what: 'the ghost registered' });

  const roll = await post(`/api/v1/firmware/${fw.id}/rollouts`, { devices: [c, ghost, a], concurrency: 2 });
  const created = (await roll.json()) as { rollout: { id: string; target: { kind: string; value: string }; concurrency: number }; jobs: Job[] };
  assert.equal(roll.status, 201, JSON.stringify(created));
  assert.deepEqual(created.rollout.target, { kind: 'devices', value: [a, c, ghost].sort().join(',') });
  assert.equal(created.rollout.concurrency, 2);
  assert.deepEqual(created.jobs.map((j) => j.device).sort(), [a, c, ghost].sort(), 'the listed devices, and only them');
  // Two at a time across the list (one rollout per device would have started all three).
  assert.equal(created.jobs.filter((j) => j.status === 'sent').length, 2);
  assert.equal(created.jobs.filter((j) => j.status === 'queued').length, 1);
  const rollouts = (await (await fetch(`${app.httpUrl}/api/v1/rollouts`)).json()) as { rollouts: { id: string }[] };
  assert.deepEqual(
    rollouts.rollouts.map((r) => r.id),
    [created.rollout.id],
    'one rollout for the list',
  );

  // The simulated devices update one after the other in the place the ghost leaves; the ghost's place stays busy.
  const both = await until(
    async () => {
      const r = (await (await fetch(`${app.httpUrl}/api/v1/rollouts/${created.rollout.id}`)).json()) as { rollout: { status: string }; jobs: Job[] };
      const st = (d: string) => r.jobs.find((j) => j.device === d)?.status;
      return st(a) === 'success' && st(c) === 'success' ? r : undefined;
    },
    { timeoutMs: 20_000, what: 'both simulated devices updated' },
  );
  assert.equal(both.rollout.status, 'running');
  assert.equal(both.jobs.find((j) => j.device === ghost)?.status, 'sent');
  for (const dev of sim.devices) assert.equal(dev.firmwareVersion, dev.id === b ? '1.0.0' : '4.0.0', dev.id);
  const history = (await (await fetch(`${app.httpUrl}/api/v1/devices/${a}/ota`)).json()) as { jobs: (Job & { rollout: string })[] };
  assert.deepEqual(
    history.jobs.map((j) => [j.rollout, j.status, j.version]),
    [[created.rollout.id, 'success', '4.0.0']],
  );
  assert.deepEqual(((await (await fetch(`${app.httpUrl}/api/v1/devices/${b}/ota`)).json()) as { jobs: unknown[] }).jobs, [], 'not listed, not updated');

  // The image is still being sent: deleting it is refused, and it stays.
  const del = await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}`, { method: 'DELETE' });
  const refused = (await del.json()) as { error: string; field: string; rule: string };
  assert.deepEqual([del.status, refused.field, refused.rule], [409, 'id', 'in_use']);
  assert.match(refused.error, new RegExp(created.rollout.id));
  assert.equal((await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}`)).status, 200);
  assert.equal((await post(`/api/v1/rollouts/${created.rollout.id}/cancel`, {})).status, 200);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}`)).status, 404);
});

test('OTA: a profile or equipment rollout goes only to devices heard from, and says how many it left out', async (t) => {
  const { app, sim } = await startRig(t, 2, 'ina219', { commandAckTimeoutMs: 120_000 });
  const [a, b] = sim.devices.map((d) => d.id).sort();
  const send = (method: string, path: string, body: unknown) =>
    fetch(`${app.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const up = await fetch(`${app.httpUrl}/api/v1/firmware?version=5.0.0&name=eq.bin`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: randomBytes(16 * 1024),
  });
  const fw = (await up.json()) as { id: string };
  for (const id of ['press-1', 'press-2']) assert.equal((await send('POST', '/api/v1/equipment', { id, name: id })).status, 201);
  assert.equal((await send('PATCH', `/api/v1/devices/${a}`, { equipment: 'press-1' })).status, 200);
  // Sensors recorded on the equipment (as another node on a shared store would record them) that never connected.
  const { directory } = app.deviceServices;
  await directory.saveMeta('ghost-11', { equipment: 'press-1' }, 'patch');
  await directory.saveMeta('ghost-12', { equipment: 'press-2' }, 'patch');
  assert.deepEqual(directory.devicesOf('press-1'), [a, 'ghost-11'].sort());

  type Created = { rollout: { target: { kind: string; value: string } }; jobs: Job[]; leftOut: number };
  const roll = await send('POST', `/api/v1/firmware/${fw.id}/rollouts`, { equipment: 'press-1' });
  const created = (await roll.json()) as Created;
  assert.equal(roll.status, 201, JSON.stringify(created));
  assert.deepEqual(
    created.jobs.map((j) => j.device),
    [a],
    'only the sensor heard from',
  );
  assert.equal(created.leftOut, 1);
  assert.deepEqual(created.rollout.target, { kind: 'equipment', value: 'press-1' });

  // Nobody of the equipment was ever heard from: nothing starts, as for a list of such devices.
  const none = await send('POST', `/api/v1/firmware/${fw.id}/rollouts`, { equipment: 'press-2' });
  const refusal = (await none.json()) as { field: string; rule: string; error: string };
  assert.deepEqual([none.status, refusal.field, refusal.rule], [400, 'equipment', 'matches_devices']);
  assert.match(refusal.error, /1 never seen/);

  // A profile's devices are those the server has heard from: none left out.
  const byProfile = (await (await send('POST', `/api/v1/firmware/${fw.id}/rollouts`, { profile: 'ina219' })).json()) as Created;
  assert.deepEqual(byProfile.jobs.map((j) => j.device).sort(), [a, b]);
  assert.equal(byProfile.leftOut, 0);
});
