#!/usr/bin/env node
// `npm start` runs this first: builds the server and the dashboard when a build is missing or
// older than its sources, so a fresh clone (or a pulled change) starts without a manual step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

function stale(output, ...inputs) {
  const out = join(root, output);
  if (!existsSync(out)) return true;
  const built = statSync(out).mtimeMs;
  return inputs.some((i) => existsSync(join(root, i)) && newest(join(root, i)) > built);
}

const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (stale('dist/cli.js', 'src')) {
  process.stdout.write('Building the server...\n');
  run('npm run --silent build:server');
}
if (stale('web/dist/index.html', 'web/src', 'src/model')) {
  process.stdout.write('Building the dashboard...\n');
  run('npm run --silent build:web');
}
