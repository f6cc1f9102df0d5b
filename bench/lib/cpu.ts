// CPU time of a process as the kernel accounts it: utime + stime from /proc/<pid>/stat, which for a
// process sums all its threads (V8's garbage collector and compiler threads, libuv's pool, workers).
// CPU per message is far less sensitive to a shared machine's load than a rate is: a busy neighbour
// slows the wall clock, not the work each message takes.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

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

/** User + system CPU seconds a process (all its threads) has used so far; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the whole line (utime, stime) are the 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) / hz();
}

/** A window over a process's CPU: `stop()` gives the seconds used since `cpuWindow()`. */
export function cpuWindow(pid: number): { stop(): number } {
  const start = cpuSeconds(pid);
  return { stop: () => cpuSeconds(pid) - start };
}
