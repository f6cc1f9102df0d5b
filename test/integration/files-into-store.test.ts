/**
 * Firmware images and model bundles used to be files in each node's data directory; they now live in
 * the store. An upgrade brings them in at start, with nothing lost, on both engines; stored bytes
 * that no longer match their sha256 are never served.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { migrations as sqliteMigrations } from '../../src/stores/sqlite/migrations.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/store.js';
import { BlobCorrupt, BLOB_CHUNK_BYTES } from '../../src/stores/blob-chunks.js';
import { FirmwareLibrary } from '../../src/devices/firmware.js';
import { BundleRegistry } from '../../src/models/bundles.js';
import { OnnxRuntime } from '../../src/models/runtimes/onnx/onnx-runtime.js';
import type { Firmware } from '../../src/model/device-admin.js';
import { startTestApp, tempDir } from '../helpers/app.js';
import { upgradePostgres } from '../helpers/old-schema.js';
import { openPostgresStore, requirePostgres } from '../helpers/postgres.js';

const FIXTURES = new URL('../fixtures/serve_ml/press-01', import.meta.url).pathname;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const { skip: noPostgres } = requirePostgres('stored files on PostgreSQL');

/** What an older version left in its data directory: images, bundles (one fitted) and the activation history. */
function oldDataDir(dataDir: string) {
  const images = [randomBytes(3 * BLOB_CHUNK_BYTES + 17), randomBytes(1000)].map((bytes, i) => ({
    bytes,
    fw: {
      id: randomUUID(),
      version: `1.${i}.0`,
      name: `img${i}.bin`,
      size: bytes.length,
      sha256: sha(bytes),
      notes: null,
      createdAt: 1_700_000_000_000 + i,
    } as Firmware,
  }));
  // Its file changed after upload (disk damage): its metadata no longer fits it.
  const damaged = {
    id: randomUUID(),
    version: '9.9.9',
    name: null,
    size: 10,
    sha256: sha(Buffer.alloc(10)),
    notes: null,
    createdAt: 1_700_000_000_100,
  } as Firmware;
  const fwDir = join(dataDir, 'firmware');
  mkdirSync(fwDir, { recursive: true });
  for (const { bytes, fw } of images) writeFileSync(join(fwDir, `${fw.id}.bin`), bytes);
  writeFileSync(join(fwDir, `${damaged.id}.bin`), Buffer.alloc(10, 1));
  writeFileSync(join(fwDir, `${randomUUID()}.part`), randomBytes(100));
  writeFileSync(join(fwDir, 'notes.txt'), 'an operator file');
  const bundles = join(dataDir, 'models', 'bundles');
  for (const v of ['v1', 'v2']) cpSync(join(FIXTURES, '3', v), join(bundles, 'press-01', '3', v), { recursive: true });
  cpSync(join(FIXTURES, '7', 'v1'), join(bundles, 'press-01', '7', 'v1'), { recursive: true });
  writeFileSync(join(bundles, 'press-01', '7', 'v1', '.fitted'), '');
  // v2 activated, then v1: v1 is active although v2 is newer.
  writeFileSync(join(dataDir, 'models', 'active.json'), JSON.stringify({ 'press-01/3': ['v2', 'v1'] }));
  // The rule packs this node installed; an operator had removed pack:ina219:w-zscore since.
  mkdirSync(join(dataDir, 'alarms'), { recursive: true });
  writeFileSync(join(dataDir, 'alarms', 'rule-packs.json'), JSON.stringify(['pack:ina219:nodata', 'pack:ina219:w-zscore']));
  return { images, damaged, fwDir };
}

const collect = async (it: AsyncIterable<Buffer>) => {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
};

describe('files into the store', () => {
  it('SQLite: an old data directory starts with every image and bundle in the store, served and active as before, the files gone', async (t) => {
    const d = tempDir();
    t.after(() => d.remove());
    // The database as the version before the stored files made it.
    const upTo = sqliteMigrations.findIndex((m) => /CREATE TABLE blobs/.test(m));
    assert.ok(upTo > 0);
    const db = new Database(join(d.dir, 'fieldscope.db'));
    for (let v = 0; v < upTo; v++) db.exec(sqliteMigrations[v]);
    db.pragma(`user_version = ${upTo}`);
    const { images, damaged, fwDir } = oldDataDir(d.dir);
    for (const f of [...images.map((i) => i.fw), damaged])
      db.prepare('INSERT INTO firmware (id, created, body) VALUES (?, ?, ?)').run(f.id, f.createdAt, JSON.stringify(f));
    db.close();

    const app = await startTestApp({ dataDir: d.dir });
    t.after(() => app.stop());
    for (const { bytes, fw } of images) {
      const res = await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}/image`);
      assert.equal(res.status, 200);
      const got = Buffer.from(await res.arrayBuffer());
      assert.equal(sha(got), fw.sha256, `image ${fw.version} served whole`);
      assert.equal(res.headers.get('x-sha256'), fw.sha256);
      const part = await fetch(`${app.httpUrl}/api/v1/firmware/${fw.id}/image`, { headers: { range: `bytes=${bytes.length - 300}-` } });
      assert.equal(part.status, 206);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(bytes.length - 300)));
    }
    // A chunk damaged in the database afterwards: the download is cut off, never completed with other bytes.
    const [first] = images;
    const raw = new Database(join(d.dir, 'fieldscope.db'));
    const upload = raw.prepare('SELECT upload FROM blobs WHERE key = ?').pluck().get(`firmware/${first.fw.id}`) as string;
    const chunk = raw.prepare('SELECT data FROM blob_chunks WHERE upload = ? AND n = 2').pluck().get(upload) as Buffer;
    chunk[5] ^= 0xff;
    raw.prepare('UPDATE blob_chunks SET data = ? WHERE upload = ? AND n = 2').run(chunk, upload);
    raw.close();
    const cut = await fetch(`${app.httpUrl}/api/v1/firmware/${first.fw.id}/image`);
    const got = await cut.arrayBuffer().then(
      (b) => Buffer.from(b),
      () => null,
    );
    assert.ok(got === null || !got.equals(first.bytes), 'a damaged image is not served whole');
    const intact = await fetch(`${app.httpUrl}/api/v1/firmware/${first.fw.id}/image`, { headers: { range: 'bytes=0-999' } });
    assert.ok(Buffer.from(await intact.arrayBuffer()).equals(first.bytes.subarray(0, 1000)), 'the intact chunks still serve their ranges');

    // The damaged file stays where it was, named in the log; its image is listed but not served as if it were whole.
    const listed = (await (await fetch(`${app.httpUrl}/api/v1/firmware`)).json()) as { firmware: Firmware[] };
    assert.equal(listed.firmware.length, 3);
    const notStored = await fetch(`${app.httpUrl}/api/v1/firmware/${damaged.id}/image`);
    assert.deepEqual([notStored.status, ((await notStored.json()) as { rule: string }).rule], [404, 'not_stored']);
    assert.deepEqual(readdirSync(fwDir).sort(), [`${damaged.id}.bin`, 'notes.txt'].sort(), 'imported images and the cut-off upload are gone; the rest is left');

    type View = { id: string; active: boolean; origin: string };
    const bundles = ((await (await fetch(`${app.httpUrl}/api/v1/serve-ml/bundles?equipment_id=press-01`)).json()) as { bundles: View[] }).bundles;
    assert.deepEqual(
      bundles.map((b) => [b.id, b.origin, b.active]),
      [
        ['press-01/3/v1', 'upload', true],
        ['press-01/3/v2', 'upload', false],
        ['press-01/7/v1', 'fitted', false],
      ],
    );
    assert.equal(existsSync(join(d.dir, 'models', 'bundles', 'press-01', '3', 'v1')), false);
    assert.equal(existsSync(join(d.dir, 'models', 'active.json')), false);
    // The rule-pack record moved too: the removed pack rule stays removed, the rest of the packs install.
    const rules = ((await (await fetch(`${app.httpUrl}/api/v1/rules`)).json()) as { rules: Array<{ id: string }> }).rules.map((r) => r.id);
    assert.ok(rules.includes('pack:battery:voltage'));
    assert.ok(!rules.includes('pack:ina219:w-zscore') && !rules.includes('pack:ina219:nodata'), rules.join(' '));
    assert.equal(existsSync(join(d.dir, 'alarms', 'rule-packs.json')), false);
    assert.ok((await app.store.catalog.listInstalledPackRules()).includes('pack:ina219:w-zscore'));
    // Served: the imported activation (v1) answers.
    const W = 30;
    const win = { vibration_rms: Array(W).fill(1), temperature: Array(W).fill(40) };
    const p = await fetch(`${app.httpUrl}/api/v1/serve-ml/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ equipment_id: 'press-01', power: 3, features: win }),
    });
    const body = (await p.json()) as { model_version: string };
    assert.equal(p.status, 200, JSON.stringify(body));
    assert.equal(body.model_version, 'v1');
  });

  it('PostgreSQL: the same files are moved into an upgraded database, once even when two nodes import one shared folder', { skip: noPostgres }, async () => {
    const d = tempDir();
    try {
      const { images, damaged, fwDir } = oldDataDir(d.dir);
      await upgradePostgres(
        /CREATE TABLE blobs/,
        Date.now(),
        async (tx) => {
          for (const f of [...images.map((i) => i.fw), damaged])
            await tx`INSERT INTO firmware (id, created, body) VALUES (${f.id}, ${f.createdAt}, ${JSON.stringify(f)})`;
        },
        async (store) => {
          // Two nodes over one mounted folder, at once.
          const libs = [0, 1].map(() => new FirmwareLibrary(store.devices, store.blobs, { legacyDir: fwDir }));
          const results = await Promise.all(libs.map((l) => l.load()));
          assert.deepEqual(new Set(results.flatMap((r) => r.imported)), new Set(images.map((i) => i.fw.id)));
          for (const { bytes, fw } of images) {
            assert.ok((await collect(libs[1].read(fw))).equals(bytes));
            assert.equal(await libs[0].stored(fw), true);
          }
          assert.equal(await libs[0].stored(damaged), false);
          assert.equal((await store.blobs.list('firmware/')).length, 2, 'each image stored once');
          assert.equal(await store.blobs.sweep(Date.now() + 60_000), 0, 'the slower import left no chunks behind');
          assert.deepEqual(readdirSync(fwDir).sort(), [`${damaged.id}.bin`, 'notes.txt'].sort());

          const registry = new BundleRegistry({ folder: null, dataDir: d.dir, store: store.models, blobs: store.blobs, runtimes: [new OnnxRuntime()] });
          try {
            const moved = await registry.importFiles();
            assert.deepEqual(moved.bundles.sort(), ['press-01/3/v1', 'press-01/3/v2', 'press-01/7/v1']);
            assert.deepEqual(moved.slots, ['press-01/3']);
            await registry.sync();
            assert.equal(registry.activeVersion('press-01', '3'), 'v1');
            assert.equal(registry.get('press-01/7/v1')?.origin, 'fitted');
            assert.deepEqual(await store.models.listActivations(), { 'press-01/3': ['v2', 'v1'] });
            assert.deepEqual(readdirSync(join(d.dir, 'models', 'bundles', 'press-01', '3')), []);
          } finally {
            await registry.close();
          }
        },
      );
    } finally {
      d.remove();
    }
  });

  for (const engine of ['sqlite', 'postgres'] as const) {
    it(`${engine}: a stored chunk that no longer matches its sha256 is refused, not served`, { skip: engine === 'postgres' && noPostgres }, async () => {
      let store: Store;
      let corrupt: (upload: string) => Promise<void>;
      let cleanup: () => Promise<void>;
      if (engine === 'sqlite') {
        const d = tempDir();
        const s = new SqliteStore({ path: join(d.dir, 'fieldscope.db') });
        await s.open();
        const path = join(d.dir, 'fieldscope.db');
        store = s;
        corrupt = async (upload) => {
          const db = new Database(path);
          const data = db.prepare('SELECT data FROM blob_chunks WHERE upload = ? AND n = 1').pluck().get(upload) as Buffer;
          data[10] = 0;
          db.prepare('UPDATE blob_chunks SET data = ? WHERE upload = ? AND n = 1').run(data, upload);
          db.close();
        };
        cleanup = async () => {
          await s.close();
          d.remove();
        };
      } else {
        const opened = await openPostgresStore();
        store = opened.store;
        const url = (opened.store as unknown as { opts: { url: string } }).opts.url;
        corrupt = async (upload) => {
          const sql = postgres(url, { onnotice: () => {} });
          const [{ data }] = await sql<{ data: Buffer }[]>`SELECT data FROM blob_chunks WHERE upload = ${upload} AND n = 1`;
          data[10] = 0;
          await sql`UPDATE blob_chunks SET data = ${data} WHERE upload = ${upload} AND n = 1`;
          await sql.end();
        };
        cleanup = opened.cleanup;
      }
      try {
        const bytes = randomBytes(2 * BLOB_CHUNK_BYTES + 5);
        // The byte the corruption writes must differ from what is there.
        bytes[BLOB_CHUNK_BYTES + 10] = 0xff;
        await store.blobs.put(
          'firmware/x',
          (async function* () {
            yield bytes;
          })(),
        );
        const upload = await uploadOf(engine, store, 'firmware/x');
        await corrupt(upload);
        await assert.rejects(
          collect(store.blobs.read('firmware/x')),
          (e: unknown) => e instanceof BlobCorrupt && /chunk 1 does not match its sha256/.test(e.message),
        );
        await assert.rejects(collect(store.blobs.read('firmware/x', { start: BLOB_CHUNK_BYTES + 5, end: BLOB_CHUNK_BYTES + 20 })), BlobCorrupt);
        // The chunks that are intact still serve a range that lies within them.
        assert.ok((await collect(store.blobs.read('firmware/x', { start: 0, end: 99 }))).equals(bytes.subarray(0, 100)));
      } finally {
        await cleanup();
      }
    });
  }
});

/** The upload id behind a key, read the way each engine keeps it. */
async function uploadOf(engine: 'sqlite' | 'postgres', store: Store, key: string): Promise<string> {
  const tables = (store.blobs as unknown as { tables: { row(k: string): Promise<{ upload: string } | undefined> } }).tables;
  const row = await tables.row(key);
  assert.ok(row, `${engine}: ${key} is stored`);
  return row.upload;
}
