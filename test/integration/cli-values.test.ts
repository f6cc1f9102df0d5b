import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tempDir, until } from '../helpers/app.js';

const root = new URL('../..', import.meta.url).pathname;

function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
}

test('out-of-range ports and unknown log levels end in one line naming the flag, not a stack trace', (t) => {
  const data = tempDir();
  t.after(() => data.remove());
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--http-port', '99999'], {}, /^fieldscope: flag --http-port: expected a port number 0-65535/],
    [['--mqtt-port', '65536'], {}, /^fieldscope: flag --mqtt-port: expected a port number 0-65535/],
    [['--log-level', 'loud'], {}, /^fieldscope: flag --log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"/],
    [[], { FIELDSCOPE_LOG_LEVEL: 'loud' }, /^fieldscope: environment logLevel \(FIELDSCOPE_LOG_LEVEL\): expected one of/],
  ];
  for (const [args, env, expected] of cases) {
    const r = runCli(['start', '--no-simulator', '--data', data.dir, ...args], env);
    assert.equal(r.status, 2, `${args.join(' ')}: exit status (stderr: ${r.stderr})`);
    assert.match(r.stderr, expected);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

test('a first start that fails (port in use) leaves the admin password file, and the next start says where it is', async (t) => {
  const data = tempDir();
  t.after(() => data.remove());
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => busy.close());
  const port = (busy.address() as AddressInfo).port;

  const first = runCli(['start', '--no-simulator', '--data', data.dir, '--http-port', String(port), '--mqtt-port', '0']);
  assert.equal(first.status, 2, first.stderr);
  assert.match(first.stderr, /another program uses that port/);
  const file = join(data.dir, 'auth', 'initial-admin-password');
  assert.ok(existsSync(file), 'the failed start created the admin and its password file');

  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'start', '--no-simulator', '--data', data.dir, '--http-port', '0', '--mqtt-port', '0'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  await until(() => out.includes('Ctrl-C to stop.'), { what: `the banner: ${out}`, timeoutMs: 30_000 });
  assert.ok(out.includes(file), `the banner names ${file}:\n${out}`);
  assert.ok(!out.includes(readFileSync(file, 'utf8').trim()), 'the password itself is not printed again');
  const exit = new Promise<string>((r) => proc.once('exit', (code, signal) => r(`code ${code}, signal ${signal}`)));
  // The banner is printed once the signal handlers are in place: Ctrl-C right after it stops cleanly.
  proc.kill('SIGINT');
  assert.equal(await exit, 'code 0, signal null', `stderr: ${err}`);
});

test('every installed package accepts the oldest Node version package.json allows (no EBADENGINE)', () => {
  const require = createRequire(import.meta.url);
  const semver = require('semver') as { minVersion(r: string): { version: string } | null; satisfies(v: string, r: string): boolean };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  const oldest = semver.minVersion(pkg.engines.node)!.version;
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }>;
  };
  const refused = Object.entries(lock.packages)
    .filter(([path, p]) => path && !Array.isArray(p.engines) && p.engines?.node && !semver.satisfies(oldest, p.engines.node))
    .map(([path, p]) => `${path}@${p.version} wants node ${(p.engines as { node: string }).node}`);
  assert.deepEqual(refused, [], `package.json says node ${pkg.engines.node}`);
});
