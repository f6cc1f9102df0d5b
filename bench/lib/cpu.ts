// CPU time of processes as the kernel accounts it: utime + stime from /proc/<pid>/stat, which for a
// process sums all its threads (V8's garbage collector and compiler threads, libuv's pool, workers).
// CPU per message is far less sensitive to a shared machine's load than a rate is: a busy neighbour
// slows the wall clock, not the work each message takes.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

let ticksPerSecond: number | undefined;

/** USER_HZ (the unit of utime/stime): 100 on Linux almost everywhere, asked of getconf once. */
function hz(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  ppid: number;
  /** Own user + system time, all threads, seconds. */
  own: number;
  /** User + system time of children it has waited for (exited), seconds. */
  reaped: number;
}

function stat(pid: number): Stat | null {
  // Asked before the file is read: the first call spawns getconf, whose cost must not fall inside a window.
  const perSecond = hz();
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone
  }
  // The command name (field 2) is in parentheses and may hold spaces: the fields start after the last ')'.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / perSecond, reaped: (Number(f[13]) + Number(f[14])) / perSecond };
}

/** User + system CPU seconds a process (all its threads) has used so far; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  return stat(pid)?.own ?? NaN;
}

/** User + system seconds of these processes, all threads (0 for one that has exited). */
export function cpuSecondsOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (stat(pid)?.own ?? 0), 0);
}

/**
 * User + system seconds of the children this process has waited for (exited), each with the time of
 * the children it waited for in turn: a benchmark run as a child process is charged its servers,
 * brokers and browsers once it has exited.
 */
export function reapedCpuSeconds(): number {
  return stat(process.pid)?.reaped ?? NaN;
}

/** A window over a process's CPU: `stop()` gives the seconds used since `cpuWindow()`. */
export function cpuWindow(pid: number): { stop(): number } {
  const start = cpuSeconds(pid);
  return { stop: () => cpuSeconds(pid) - start };
}

/**
 * User + system seconds of a process and all its children, those that exited included (a parent
 * that waits for its children, as PostgreSQL's postmaster does, is charged their time).
 */
export function treeCpuSeconds(pid: number): number {
  const parent = stat(pid);
  if (!parent) return NaN;
  let sum = parent.own + parent.reaped;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s?.ppid === pid) sum += s.own;
  }
  return sum;
}

/** The postmaster of a PostgreSQL data directory (first line of postmaster.pid). */
export function postmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${dataDir}`);
  return pid;
}
