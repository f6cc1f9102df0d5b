// A command run as its own process group under a time limit: what bench/run.ts runs each benchmark
// with, so that one that hangs (stop 18: the fleet bench's card grid, 918 s) is stopped with every
// process it started (servers, brokers, browsers) and the suite goes on to the next.
import { spawn } from 'node:child_process';
import { reapedCpuSeconds } from './cpu.js';

export interface LimitedRun {
  /** The exit code, null when a signal ended it. */
  code: number | null;
  /** True when the time limit ended it. */
  stopped: boolean;
  /**
   * User + system seconds of the command and of every process it waited for (its servers, brokers,
   * browsers), read from this process's account of the children it reaped.
   */
  cpuSeconds: number;
}

/** Grace between SIGTERM and SIGKILL when the limit is reached. */
const GRACE_MS = 10_000;

let running: number | undefined;
let handlersInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** Ctrl-C or a stop of the suite takes the running group with it (a browser left behind holds a core). */
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      if (running) killGroup(running, 'SIGKILL');
      process.exit(130);
    });
}

/**
 * Runs `command args` (stdout and stderr shared with this process) until it exits or `limitSeconds`
 * pass; then SIGTERM to its whole group, SIGKILL after a grace. Whatever of the group outlived its
 * leader is killed when it exits either way.
 */
export async function runLimited(
  command: string,
  args: string[],
  o: { cwd?: string; limitSeconds: number; onStop?: () => void; graceMs?: number },
): Promise<LimitedRun> {
  installHandlers();
  const cpu0 = reapedCpuSeconds();
  const child = spawn(command, args, { cwd: o.cwd, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  const pid = child.pid!;
  running = pid;
  let stopped = false;
  let kill: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    stopped = true;
    o.onStop?.();
    killGroup(pid, 'SIGTERM');
    kill = setTimeout(() => killGroup(pid, 'SIGKILL'), o.graceMs ?? GRACE_MS);
  }, o.limitSeconds * 1000);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (c) => resolve(c));
  });
  clearTimeout(timer);
  clearTimeout(kill);
  running = undefined;
  killGroup(pid, 'SIGKILL');
  return { code, stopped, cpuSeconds: reapedCpuSeconds() - cpu0 };
}
