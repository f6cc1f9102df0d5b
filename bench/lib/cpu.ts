// CPU time of processes from /proc (Linux): user + system time of every thread of a process, in
// seconds. Cheap enough to read before and after a run: one small file per process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

interface Stat {
  ppid: number;
  /** Own user + system time, all threads, seconds. */
  own: number;
  /** User + system time of children it has waited for (exited), seconds. */
  reaped: number;
}

function stat(pid: number): Stat | null {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / TICKS, reaped: (Number(f[13]) + Number(f[14])) / TICKS };
}

/** User + system seconds of these processes, all threads (0 for one that has exited). */
export function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (stat(pid)?.own ?? 0), 0);
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
