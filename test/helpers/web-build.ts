import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

/** Where browser suites leave their screenshots. */
export const e2eArtifacts = join(packageRoot, 'test-artifacts', 'e2e');

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

/** Builds the dashboard when web/dist is missing or older than its sources. */
export function ensureWebBuild(): void {
  const index = join(packageRoot, 'web', 'dist', 'index.html');
  const src = Math.max(newestMtime(join(packageRoot, 'web', 'src')), statSync(join(packageRoot, 'web', 'index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= src) return;
  execFileSync('npm', ['run', 'build:web'], { cwd: packageRoot, stdio: 'inherit' });
}
