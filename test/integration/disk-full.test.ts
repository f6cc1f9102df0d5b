/**
 * A full disk under the SQLite store, on a real small filesystem (a tmpfs of a few MB): /health says
 * the store is degraded and why, sign-in answers 503 naming the rule, the WAL is given back when space
 * runs short, and everything works again once space is freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { login, startLockedApp } from '../helpers/auth.js';

const MIB = 1024 * 1024;

/** Mounts a tmpfs of `mib` MB, or says why it cannot (not root, no mount in this container). */
function mountTmpfs(mib: number): { dir: string; unmount(): void } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fieldscope-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { error: `cannot mount a tmpfs (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})` };
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const probe = mountTmpfs(1);
const skip = 'error' in probe ? probe.error : false;
if ('error' in probe) {
  if (process.env.FIELDSCOPE_REQUIRE_SERVICES === '1') throw new Error(`disk-full suite: ${probe.error}, and FIELDSCOPE_REQUIRE_SERVICES=1`);
  console.warn(`SKIPPED disk-full suite: ${probe.error}`);
} else probe.unmount();

const free = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** Takes every byte the filesystem has left. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // A partial block may still fit.
  const small = openSync(file + '.tail', 'w');
  try {
    for (;;) writeSync(small, Buffer.alloc(512, 1));
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(small);
  }
}

test('full disk: health says degraded and why, sign-in answers 503 store_full, the WAL is truncated, all recovers when space is freed', { skip }, async (t) => {
  const mnt = mountTmpfs(16);
  if ('error' in mnt) throw new Error(mnt.error);
  t.after(() => mnt.unmount());
  const data = join(mnt.dir, 'data');
  const { app, adminPassword, remove } = await startLockedApp({ dataDir: data, storeMinFreeBytes: 2 * MIB, spoolMaxBytes: MIB });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await remove();
  });
  const u = app.httpUrl;
  const admin = (await login(u, 'admin', adminPassword)).accessToken;
  const health = async () => {
    const res = await fetch(`${u}/health`);
    return {
      code: res.status,
      body: (await res.json()) as { status: string; components: { store: { status: string; reason?: string; writable?: boolean; lastError?: string } } },
    };
  };
  let seq = 0;
  const send = () =>
    fetch(`${u}/api/v1/devices/full-1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify(
        Array.from({ length: 200 }, (_, k) => ({
          ts: 1_790_000_000_000 + seq * 1000 + k,
          seq: seq++,
          ...Object.fromEntries(Array.from({ length: 20 }, (_, m) => [`m${m}`, k * m])),
        })),
      ),
    });

  let h = await health();
  assert.equal(h.code, 200);
  assert.equal(h.body.components.store.status, 'up');
  for (let i = 0; i < 5; i++) assert.equal((await send()).status, 200);
  const wal = join(data, 'fieldscope.db-wal');
  const walBefore = statSync(wal).size;
  assert.ok(walBefore > 256 * 1024, `the WAL holds what was written (${walBefore} bytes)`);

  // Space runs short: degraded (still writable), and the WAL is checkpointed and cut back.
  writeFileSync(join(mnt.dir, 'filler'), Buffer.alloc(free(mnt.dir) - MIB, 1));
  h = await health();
  assert.equal(h.code, 200);
  assert.equal(h.body.status, 'degraded');
  assert.deepEqual([h.body.components.store.status, h.body.components.store.reason, h.body.components.store.writable], ['degraded', 'low_space', true]);
  assert.ok(statSync(wal).size < walBefore / 2, `WAL truncated: ${statSync(wal).size} < ${walBefore}`);

  // Not a byte left: signing in (which stores a session) answers 503 naming the rule, not 500;
  // health says the disk is full (503), and acknowledgements are refused.
  fillUp(join(mnt.dir, 'filler2'));
  const signIn = await fetch(`${u}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: adminPassword }),
  });
  const sb = (await signIn.json()) as { rule?: string; error?: string };
  assert.equal(signIn.status, 503, JSON.stringify(sb));
  assert.equal(sb.rule, 'store_full');
  assert.ok(signIn.headers.get('retry-after'));
  h = await health();
  assert.equal(h.code, 503);
  assert.equal(h.body.status, 'degraded');
  assert.deepEqual([h.body.components.store.status, h.body.components.store.reason, h.body.components.store.writable], ['degraded', 'disk_full', false]);
  const refused = await send();
  assert.equal(refused.status, 503, await refused.text());
  h = await health();
  assert.match(h.body.components.store.lastError ?? '', /SQLITE_FULL/);

  // Space freed (a few MB, not the whole disk): the store says up, writes and sign-in work again.
  rmSync(join(mnt.dir, 'filler2'));
  rmSync(join(mnt.dir, 'filler2.tail'));
  rmSync(join(mnt.dir, 'filler'));
  writeFileSync(join(mnt.dir, 'filler'), Buffer.alloc(free(mnt.dir) - 4 * MIB, 1));
  h = await health();
  assert.equal(h.code, 200, JSON.stringify(h.body));
  assert.equal(h.body.components.store.status, 'up');
  assert.equal((await send()).status, 200);
  await login(u, 'admin', adminPassword);
  stopped = true;
  await remove();
  assert.ok(existsSync(join(data, 'fieldscope.db')));
});
