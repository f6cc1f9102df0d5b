#!/usr/bin/env node
// Runs every test file under test/ (or the ones named on the command line) with node's own
// test runner, TypeScript loaded through tsx. Node 20's --test takes no globs, so we find them.
import { readFileSync, readdirSync, statSync } from 'node:fs';
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

// Two lanes take files in the order given: alphabetical order left the slowest suites (browsers,
// clusters, the 1.5M-row import) to start late, and one lane ran on for minutes after the other
// had finished. Slowest first (times from a CI run, scripts/test-times.json) evens the two lanes.
const { seconds } = JSON.parse(readFileSync(join(root, 'scripts/test-times.json'), 'utf8'));
const slowestFirst = (a, b) => (seconds[b] ?? 0) - (seconds[a] ?? 0) || a.localeCompare(b);

const args = process.argv.slice(2);
const files = (args.length ? args : find(join(root, 'test'))).map((f) => relative(root, f)).sort(slowestFirst);
if (process.env.FIELDSCOPE_TEST_RUN) {
  // Inside the tsx-loaded process: run() keeps the order given (node 20's --test sorts the files by name).
  const { run } = await import('node:test');
  const { spec } = await import('node:test/reporters');
  const stream = run({ files: files.map((f) => join(root, f)), concurrency: 2 });
  stream.on('test:fail', () => (process.exitCode = 1));
  stream.compose(spec).pipe(process.stdout);
} else {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FIELDSCOPE_TEST_RUN: '1' },
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
