import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLimited } from '../../bench/lib/child-run.js';

/** Alive and not a zombie: /proc/<pid>/stat exists and its state is not Z. */
function alive(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  // A bound on waiting for the kernel to finish the kill, not a timing under test.
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

// A benchmark that hangs after starting a process of its own (a browser, a broker): the limit stops
// both, and the run returns (stop 18: the fleet bench's card grid hung the suite for 918 s).
test('a command past its limit is stopped with the processes it started', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-child-run-'));
  const pidFile = join(dir, 'grandchild.pid');
  const script = `const c = require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' });
require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
setInterval(() => {}, 1000);`;
  let told = false;
  const r = await runLimited(process.execPath, ['-e', script], { limitSeconds: 2, graceMs: 500, onStop: () => (told = true) });
  assert.equal(r.stopped, true);
  assert.equal(told, true);
  assert.ok(existsSync(pidFile), 'the hanging command started its own process');
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(await gone(grandchild), `process ${grandchild} started by the stopped command is still running`);
  rmSync(dir, { recursive: true, force: true });
});

test('a command that ignores SIGTERM is killed after the grace', async () => {
  const r = await runLimited(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);"], {
    limitSeconds: 1,
    graceMs: 300,
  });
  assert.equal(r.stopped, true);
  assert.equal(r.code, null);
});

test('a command that ends in time is not stopped; its exit code and CPU time are given', async () => {
  const ok = await runLimited(process.execPath, ['-e', 'let x = 0; for (let i = 0; i < 5e7; i++) x += i; if (!x) process.exit(3);'], { limitSeconds: 600 });
  assert.equal(ok.stopped, false);
  assert.equal(ok.code, 0);
  assert.ok(Number.isFinite(ok.cpuSeconds) && ok.cpuSeconds > 0, `CPU seconds ${ok.cpuSeconds}`);
  const failed = await runLimited(process.execPath, ['-e', 'process.exit(7)'], { limitSeconds: 600 });
  assert.equal(failed.stopped, false);
  assert.equal(failed.code, 7);
});
