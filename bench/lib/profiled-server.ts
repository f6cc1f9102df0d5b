// The harness of the profile scripts (bench/*-profile.ts): the built server under `node --cpu-prof`
// on a fresh data directory while a script's load runs, stopped (which writes the profiles) and its
// data removed even when the load fails, then the main thread's profile picked among the threads'.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFieldscope, tempDir, type Fieldscope } from './procs.js';
import { mainThreadProfile } from './cpuprofile.js';

/** What the load measured, with the window (monotonicUs) the profiles are to be read over. */
export interface ProfileWindow {
  from: number;
  to: number;
}

export interface ProfiledRun {
  /** Every .cpuprofile the server wrote (one per thread). */
  files: string[];
  /** The main thread's, among `files`. */
  main: string;
}

/**
 * Runs `load` against the server (started with `--no-simulator`), then reads its profiles. The
 * profile directory (`{prefix}…`) is kept: the scripts print where the main thread's profile is.
 */
export async function profiledServer<T extends ProfileWindow>(prefix: string, load: (fs: Fieldscope) => Promise<T>): Promise<T & ProfiledRun> {
  const data = tempDir(`${prefix}data-`);
  const prof = tempDir(prefix);
  const fs = await startFieldscope(['--no-simulator'], data.dir, ['--cpu-prof', '--cpu-prof-dir', prof.dir]);
  let measured: T;
  try {
    measured = await load(fs);
  } finally {
    await fs.stop();
    data.remove();
  }
  const files = readdirSync(prof.dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(prof.dir, f));
  const main = mainThreadProfile(files);
  if (!main) throw new Error(`no main-thread profile among ${files.length} files in ${prof.dir}`);
  return { ...measured, files, main };
}

/** A share (0..1) as the profile reports print it. */
export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
