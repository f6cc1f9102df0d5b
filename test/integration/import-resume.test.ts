/**
 * An upload cut off part-way (a page reload, a dropped network) continues from the import's last
 * commit: POST /api/v1/import?key=... records checkpoints, GET /api/v1/import/checkpoints/{key}
 * says where it stands, and POST ...&resumeAt=offset with the head and the rest finishes it.
 * Before (issue 18): an HTTP upload kept no checkpoint; the whole file had to be sent again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { startTestApp, until } from '../helpers/app.js';

const T0 = Date.UTC(2025, 3, 1);
const ROWS = 70_000;

function csvFile(): Buffer {
  const lines = ['time,voltage,current'];
  for (let i = 0; i < ROWS; i++) lines.push(`${new Date(T0 + i * 1000).toISOString()},${(3.3 + (i % 100) / 1000).toFixed(3)},${(i % 7) / 10}`);
  return Buffer.from(lines.join('\n') + '\n');
}

function keyOf(file: Buffer): string {
  return `sha256:${createHash('sha256')
    .update(file.subarray(0, Math.min(65536, file.length)))
    .digest('hex')}:${file.length}`;
}

test('an interrupted CSV upload is continued from its checkpoint; the head is checked; a stale offset is refused', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const file = csvFile();
  const key = keyOf(file);
  const base = `${app.httpUrl}/api/v1/import?format=csv&device=rack-resume&key=${encodeURIComponent(key)}`;
  const checkpoint = async () => {
    const r = await fetch(`${app.httpUrl}/api/v1/import/checkpoints/${encodeURIComponent(key)}`);
    return r.status === 200 ? ((await r.json()) as { offset: number; line: number; stored: number; done: boolean; size: number }) : null;
  };
  assert.equal(await checkpoint(), null, 'nothing before the first commit');

  // 90 % of the file, then the connection drops (after the first commit, at 50,000 rows).
  const cut = Math.floor(file.length * 0.9);
  const url = new URL(base);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    method: 'POST',
    headers: { 'content-type': 'text/csv', 'content-length': file.length },
  });
  req.on('error', () => {});
  req.write(file.subarray(0, cut));
  const cp = await until(
    async () => {
      const c = await checkpoint();
      return c && c.offset > 0 ? c : undefined;
    },
    { timeoutMs: 60_000, what: 'a checkpoint' },
  );
  req.destroy();
  assert.equal(cp.done, false);
  assert.equal(cp.size, file.length);
  assert.ok(cp.offset < cut && cp.line > 1, `checkpoint at byte ${cp.offset}, line ${cp.line}`);
  // The offset is the end of a row: the next byte starts the line the checkpoint names.
  assert.equal(file[cp.offset - 1], 10);
  assert.equal(file.subarray(0, cp.offset).toString().split('\n').length, cp.line);
  await new Promise((r) => setTimeout(r, 200));
  const at = (await checkpoint())!;

  const head = file.subarray(0, 65536);
  const post = (q: string, body: Buffer) => fetch(`${base}${q}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: new Uint8Array(body) });
  // Another file's head under this key: refused at the key, nothing imported.
  const other = Buffer.from(head);
  other[100] ^= 1;
  const wrong = await post(`&resumeAt=${at.offset}`, Buffer.concat([other, file.subarray(at.offset)]));
  assert.equal(wrong.status, 400);
  assert.deepEqual(await wrong.json().then((b: { field: string; rule: string }) => [b.field, b.rule]), ['key', 'file_identity']);
  // An offset that is not the checkpoint's: 409, so the client asks again.
  const stale = await post(`&resumeAt=${at.offset + 1}`, Buffer.concat([head, file.subarray(at.offset + 1)]));
  assert.equal(stale.status, 409);
  assert.equal(((await stale.json()) as { field: string }).field, 'resumeAt');

  const res = await post(`&resumeAt=${at.offset}`, Buffer.concat([head, file.subarray(at.offset)]));
  assert.equal(res.status, 200, await res.clone().text());
  const s = (await res.json()) as { resumedFromLine: number; rowsRead: number; readingsStored: number; rejected: number };
  assert.equal(s.resumedFromLine, at.line);
  assert.equal(s.rejected, 0);
  // The rows after the checkpoint, and nothing before it read again.
  assert.equal(s.rowsRead, ROWS - (at.line - 2));
  const done = (await checkpoint())!;
  assert.equal(done.done, true);
  assert.equal(done.offset, file.length);
  // Every row of the file is stored, once (two metrics a row): sent whole again, all of it is already there.
  const again = await post('', file);
  const a = (await again.json()) as { readingsStored: number; alreadyStored: number };
  assert.equal(a.readingsStored, 0, 'the whole file again adds nothing');
  assert.equal(a.alreadyStored, 2 * ROWS);
});

test('a keyed upload of another size than its key names is refused at the key', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const file = Buffer.from('time,v\n2025-04-01T00:00:00Z,1\n');
  const key = keyOf(file).replace(/:\d+$/, `:${file.length + 5}`);
  const r = await fetch(`${app.httpUrl}/api/v1/import?format=csv&device=d1&key=${encodeURIComponent(key)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: new Uint8Array(file),
  });
  assert.equal(r.status, 400);
  const b = (await r.json()) as { field: string; rule: string };
  assert.deepEqual([b.field, b.rule], ['key', 'file_identity']);
  const noKey = await fetch(`${app.httpUrl}/api/v1/import?format=csv&device=d1&resumeAt=10`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: new Uint8Array(file),
  });
  assert.equal(noKey.status, 400);
  assert.equal(((await noKey.json()) as { field: string }).field, 'key');
});
