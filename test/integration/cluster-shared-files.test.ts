/**
 * Issue 19, shared state: firmware images and model bundles live in the store, so a node that did
 * not receive an upload serves it all the same: an image uploaded through node A downloads from
 * node B (whole and by range), the run-once leader sends devices its own address for an image the
 * other node took, and a model bundle uploaded through A is served, activated and rolled back on B.
 * Each node has a data directory of its own, as nodes on different hosts do.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { RunningApp } from '../../src/app.js';
import { BLOB_CHUNK_BYTES } from '../../src/stores/blob-chunks.js';
import { startTestApp, until } from '../helpers/app.js';
import { requirePostgres, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { callApi, type ApiAnswer } from '../helpers/api-call.js';

const { skip } = requirePostgres('cluster shared files');
const keep = { retentionRawHours: 24 * 365 * 50, rulePacks: false };
const FIXTURES = new URL('../fixtures/serve_ml/press-01', import.meta.url).pathname;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const W = 30;
const win = (vib: number, temp: number) => ({ vibration_rms: Array(W).fill(vib), temperature: Array(W).fill(temp) });

function call<T>(app: RunningApp, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  return callApi<T>(app.httpUrl, method, path, body);
}

type BundleView = { id: string; active: boolean; origin: string };
type Prediction = { model_version: string; rul_days: number; bundle: string };

describe('cluster shared files: two nodes, one PostgreSQL, separate data directories', { skip }, () => {
  let pg: TestPostgres;
  let a: RunningApp;
  let b: RunningApp;
  before(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase();
    a = await startTestApp({ store: url, ...keep });
    b = await startTestApp({ store: url, ...keep });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await pg?.destroy();
  });

  it('an image uploaded through A is listed by B and downloads from B whole and by range; deleted through B, A no longer has it', async () => {
    const image = randomBytes(3 * BLOB_CHUNK_BYTES + 1234);
    const up = await fetch(`${a.httpUrl}/api/v1/firmware?version=3.1.0&name=a.bin`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: image,
    });
    const fw = (await up.json()) as { id: string; size: number; sha256: string };
    assert.equal(up.status, 201, JSON.stringify(fw));
    assert.equal(fw.sha256, sha(image));

    const listed = await call<{ firmware: Array<{ id: string }> }>(b, 'GET', '/api/v1/firmware');
    assert.deepEqual(
      listed.body.firmware.map((f) => f.id),
      [fw.id],
    );
    const whole = await fetch(`${b.httpUrl}/api/v1/firmware/${fw.id}/image`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), String(image.length));
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(image), 'B serves the bytes A took');
    // A device resuming across a chunk boundary.
    const from = BLOB_CHUNK_BYTES - 100;
    const part = await fetch(`${b.httpUrl}/api/v1/firmware/${fw.id}/image`, { headers: { range: `bytes=${from}-${from + 2 * BLOB_CHUNK_BYTES}` } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes ${from}-${from + 2 * BLOB_CHUNK_BYTES}/${image.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(image.subarray(from, from + 2 * BLOB_CHUNK_BYTES + 1)));

    assert.equal((await call(b, 'DELETE', `/api/v1/firmware/${fw.id}`)).status, 204);
    assert.equal((await fetch(`${a.httpUrl}/api/v1/firmware/${fw.id}/image`)).status, 404);
    assert.equal((await call(a, 'GET', `/api/v1/firmware/${fw.id}`)).status, 404);
    assert.deepEqual(await a.store.blobs.list('firmware/'), [], 'the bytes went with it');
  });

  it('the run-once leader tells a device to fetch, from its own address, an image uploaded through the other node, and serves it', async (t) => {
    const leader = await until(() => (a.sharedState.runOnce.leading ? a : b.sharedState.runOnce.leading ? b : undefined), {
      timeoutMs: 15_000,
      what: 'a node to lead',
    });
    const other = leader === a ? b : a;
    // A device on the leader's broker (the driver tells devices through its own transports).
    const device = 'ota-shared-1';
    const got: Array<{ id: string; name: string; params: { url: string; size: number; sha256: string } }> = [];
    const link = await mqtt.connectAsync(leader.mqttUrl, { clientId: device });
    t.after(() => link.endAsync());
    link.on('message', (_topic, payload) => {
      const cmd = JSON.parse(payload.toString()) as (typeof got)[number];
      got.push(cmd);
      void link.publishAsync(`devices/${device}/commands/ack`, JSON.stringify({ id: cmd.id, status: 'acked' }), { qos: 1 });
    });
    await link.subscribeAsync(`devices/${device}/commands`, { qos: 1 });
    const seen = await call(other, 'POST', `/api/v1/devices/${device}/telemetry`, { v: 1 });
    assert.equal(seen.status, 200);

    const image = randomBytes(BLOB_CHUNK_BYTES + 77);
    const up = await fetch(`${other.httpUrl}/api/v1/firmware?version=4.0.0`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: image,
    });
    const fw = (await up.json()) as { id: string };
    assert.equal(up.status, 201);
    const roll = await call<{ rollout: { id: string } }>(other, 'POST', `/api/v1/firmware/${fw.id}/rollouts`, { device, concurrency: 1 });
    assert.equal(roll.status, 201, JSON.stringify(roll.body));

    const ota = await until(() => got.find((c) => c.name === 'ota'), { timeoutMs: 20_000, what: 'the ota command from the leader' });
    assert.ok(ota.params.url.startsWith(leader.httpUrl), `${ota.params.url} is the leader's own address (${leader.httpUrl})`);
    const res = await fetch(ota.params.url);
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([bytes.length, sha(bytes)], [ota.params.size, ota.params.sha256]);
    assert.ok(bytes.equals(image));
    await link.publishAsync(`devices/${device}/ota`, JSON.stringify({ status: 'success' }), { qos: 1 });
    await until(
      async () => (await call<{ rollout: { status: string } }>(other, 'GET', `/api/v1/rollouts/${roll.body.rollout.id}`)).body.rollout.status === 'done',
      {
        what: 'the rollout done, seen from the node that took the upload',
      },
    );
  });

  it('a model bundle uploaded through A is served on B; a version activated on B, and a rollback on A, act on both', async () => {
    const src = join(FIXTURES, '3', 'v1');
    const base = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    const files = Object.fromEntries(['autoencoder.onnx', 'rul.onnx'].map((f) => [f, readFileSync(join(src, f)).toString('base64')]));
    const manifest = (v: string) => ({ ...base, equipment_id: 'press-09', power: 'default', power_range: null, model_version: v });

    const up = await call<BundleView>(a, 'POST', '/api/v1/serve-ml/bundles', { manifest: manifest('s1'), files });
    assert.deepEqual([up.status, up.body.id, up.body.active], [201, 'press-09/default/s1', true]);
    const onB = await until(
      async () =>
        (await call<{ bundles: BundleView[] }>(b, 'GET', '/api/v1/serve-ml/bundles?equipment_id=press-09')).body.bundles.find((x) => x.id === up.body.id),
      { what: 'the bundle uploaded through A, on B' },
    );
    assert.deepEqual([onB.origin, onB.active], ['upload', true]);
    const predicted = await call<Prediction>(b, 'POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-09', features: win(1, 40) });
    assert.equal(predicted.status, 200, JSON.stringify(predicted.body));
    assert.equal(predicted.body.model_version, 's1');

    // A second version through B, activated on B... then s1 activated on A, then rolled back on B.
    assert.equal((await call(b, 'POST', '/api/v1/serve-ml/bundles', { manifest: manifest('s2'), files })).status, 201);
    await until(async () => (await call<{ bundles: BundleView[] }>(a, 'GET', '/api/v1/serve-ml/bundles?equipment_id=press-09')).body.bundles.length === 2, {
      what: 's2 on A',
    });
    // The same id through the other node is refused: one bundle per id cluster-wide.
    const dup = await call<{ rule: string }>(a, 'POST', '/api/v1/serve-ml/bundles', { manifest: manifest('s2'), files });
    assert.deepEqual([dup.status, dup.body.rule], [409, 'unique']);

    const versionOn = async (app: RunningApp) =>
      (await call<Prediction>(app, 'POST', '/api/v1/serve-ml/predict', { equipment_id: 'press-09', features: win(1, 40) })).body.model_version;
    assert.equal((await call(a, 'POST', '/api/v1/serve-ml/bundles/activate', { id: 'press-09/default/s1' })).status, 200);
    assert.equal((await call(b, 'POST', '/api/v1/serve-ml/bundles/activate', { id: 'press-09/default/s2' })).status, 200);
    await until(async () => (await versionOn(a)) === 's2', { what: 's2, activated on B, serving on A' });
    assert.equal(await versionOn(b), 's2');
    const back = await call<BundleView>(a, 'POST', '/api/v1/serve-ml/bundles/rollback', { equipment_id: 'press-09', power: 'default' });
    assert.deepEqual([back.status, back.body.id], [200, 'press-09/default/s1']);
    await until(async () => (await versionOn(b)) === 's1', { what: 'the rollback made on A, serving on B' });
  });

  it('a pack rule removed through one node is not installed again by a node that starts later with a data directory of its own', async () => {
    const url = await pg.createDatabase();
    const first = await startTestApp({ store: url, ...keep, rulePacks: true });
    try {
      assert.equal((await call(first, 'GET', '/api/v1/rules/pack:battery:voltage')).status, 200);
      assert.equal((await call(first, 'DELETE', '/api/v1/rules/pack:battery:voltage')).status < 300, true);
    } finally {
      await first.stop();
    }
    const later = await startTestApp({ store: url, ...keep, rulePacks: true });
    try {
      const ids = (await call<{ rules: Array<{ id: string }> }>(later, 'GET', '/api/v1/rules')).body.rules.map((r) => r.id);
      assert.ok(ids.includes('pack:battery:nodata'), ids.join(' '));
      assert.ok(!ids.includes('pack:battery:voltage'), 'the removed pack rule stays removed');
    } finally {
      await later.stop();
    }
  });
});
