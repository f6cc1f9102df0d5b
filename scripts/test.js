#!/usr/bin/env node
// Runs every test file under test/ (or the ones named on the command line) with node's own
// test runner, TypeScript loaded through tsx. Node 20's --test takes no globs, so we find them.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = (args.length ? args : find(join(root, 'test')).sort()).map((f) => relative(root, f));
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
