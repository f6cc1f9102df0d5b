// bench/lib/cpu.ts reads a process's CPU time from /proc/<pid>/stat: it must agree with what the
// process itself says it used (getrusage, via process.cpuUsage), and say NaN for a process gone.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cpuSeconds, cpuWindow } from '../../bench/lib/cpu.js';

const skip = existsSync('/proc/self/stat') ? false : 'no /proc (not Linux)';

it('reads the CPU a process used from /proc, in seconds, as the process itself counts it', { skip }, () => {
  const window = cpuWindow(process.pid);
  const own = process.cpuUsage();
  // Burn CPU until the process itself has counted 300 ms, however long the machine takes to give it.
  let x = 0;
  while (process.cpuUsage(own).user + process.cpuUsage(own).system < 300_000) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
  const used = process.cpuUsage(own);
  const fromProc = window.stop();
  assert.ok(x > 0);
  // /proc counts in clock ticks (10 ms at USER_HZ 100): allow a few ticks either way.
  assert.ok(Math.abs(fromProc - (used.user + used.system) / 1e6) < 0.05, `/proc says ${fromProc} s, the process ${(used.user + used.system) / 1e6} s`);
});

it('says NaN for a process that does not exist', { skip }, () => {
  assert.ok(Number.isNaN(cpuSeconds(2 ** 22 + 12345)));
});
