import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

/** True when every named binary is on PATH. */
export function haveBinaries(...names: string[]): boolean {
  return names.every((n) => {
    try {
      execFileSync('sh', ['-c', `command -v ${n}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Decides whether a suite that needs real services runs. Missing binaries skip the suite with a
 * loud message, except under FIELDSCOPE_REQUIRE_SERVICES=1 (CI), where they fail it.
 */
export function requireServices(suite: string, ...binaries: string[]): { skip: string | false } {
  const missing = binaries.filter((b) => !haveBinaries(b));
  if (!missing.length) return { skip: false };
  const message = `${suite}: needs ${missing.join(', ')} on PATH`;
  if (process.env.FIELDSCOPE_REQUIRE_SERVICES === '1') throw new Error(`${message}, and FIELDSCOPE_REQUIRE_SERVICES=1 forbids skipping`);
  process.stderr.write(`\n!!! SKIPPING ${message} (install it, or set FIELDSCOPE_REQUIRE_SERVICES=1 to make this an error) !!!\n\n`);
  return { skip: message };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Numeric ids of a system user: services that refuse root run as their own user in a dir it owns. */
export function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}

export function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}

/** True when a system user exists (Debian's packages create theirs: postgres, mosquitto). */
export function haveUser(user: string): boolean {
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
