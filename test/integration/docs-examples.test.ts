import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, tempDir } from '../helpers/app.js';
import { requireServices } from '../helpers/services.js';
import { decodeMessage } from '../../src/pipeline/decode.js';
import { loadConfig, options } from '../../src/config.js';
import { buildChannels } from '../../src/notify/setup.js';
import { serialPorts } from '../../src/sources/serial/serial-config.js';
import { parseDocBlocks, runnable, type DocBlock } from '../helpers/doc-blocks.js';

/*
 * The examples in docs/*.md are run, so a page cannot drift from the program. The convention
 * (docs/api.md, "Examples in these pages"):
 *   ```sh test           run with bash against a fresh Fieldscope (one per page, blocks in page order);
 *                        it must exit 0. `sh test fails`: it must exit non-zero (curl gets an HTTP error).
 *   ```json output       right after a `sh test` block: the last line it printed, as JSON, holds
 *                        every field shown (fields not shown are not checked; arrays match in length).
 *   ```text output       right after a `sh test` block: every line shown appears in what it printed.
 *   ```json payload      each line is a device payload the real decoder accepts;
 *                        `json payload rejected field=F rule=R`: the decoder refuses it naming F and R.
 *   ```yaml config       a config file that loadConfig and the notification setup accept.
 * `fieldscope` in a `sh test` block is the CLI from source (its own ./data in a scratch directory).
 * Untagged blocks (systemd, an external SMTP server, a serial port) are prose.
 */

const services = requireServices('docs examples', 'curl', 'mosquitto_pub', 'jq');
const root = new URL('../../', import.meta.url).pathname;
const docsDir = join(root, 'docs');
const pages = readdirSync(docsDir)
  .filter((f) => f.endsWith('.md'))
  .sort();

const where = (page: string, b: DocBlock) => `docs/${page}:${b.line}`;

/** Runs a script with bash, asynchronously: the app under test lives in this process and must keep answering. */
function run(
  script: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Subset match: every field in `expected` is in `actual` with the same value; arrays match item by item. */
function assertHolds(actual: unknown, expected: unknown, path: string): void {
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object or array, got ${JSON.stringify(actual)}`);
    if (Array.isArray(expected)) {
      assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
      assert.equal(actual.length, expected.length, `${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`);
      expected.forEach((e, i) => assertHolds(actual[i], e, `${path}[${i}]`));
    } else {
      for (const [k, v] of Object.entries(expected)) assertHolds((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

test('every payload example is decoded as its page says', () => {
  let n = 0;
  for (const page of pages) {
    for (const b of parseDocBlocks(readFileSync(join(docsDir, page), 'utf8'))) {
      if (b.lang !== 'json' || b.tags[0] !== 'payload') continue;
      const rejected = b.tags[1] === 'rejected';
      const want = Object.fromEntries(b.tags.slice(2).map((t) => t.split('=') as [string, string]));
      for (const line of b.body.split('\n').filter((l) => l.trim())) {
        n++;
        const d = decodeMessage(line, {
          source: 'http',
          device: line.includes('"device_id"') ? undefined : 'doc-device',
          receivedAt: Date.now(),
          maxBytes: 256 * 1024,
        });
        if (!rejected) {
          assert.ok(d.ok, `${where(page, b)}: ${line} was refused: ${d.ok ? '' : JSON.stringify(d.rejection)}`);
          assert.ok(Object.keys(d.message.values).length > 0, `${where(page, b)}: ${line} carries no reading`);
        } else {
          assert.ok(!d.ok, `${where(page, b)}: ${line} was accepted, the page says it is refused`);
          assert.deepEqual({ field: d.rejection.field, rule: d.rejection.rule }, want, `${where(page, b)}: ${line}`);
        }
      }
    }
  }
  assert.ok(n >= 3, `only ${n} payload examples found in docs/`);
});

test('every config example loads', (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  let n = 0;
  for (const page of pages) {
    for (const b of parseDocBlocks(readFileSync(join(docsDir, page), 'utf8'))) {
      if (b.lang !== 'yaml' || b.tags[0] !== 'config') continue;
      n++;
      const file = join(d.dir, `${page}-${b.line}.yaml`);
      writeFileSync(file, b.body);
      const config = loadConfig({ file, env: {} });
      // Secrets named by file in the examples come from the environment here (it wins over the file).
      const env = { FIELDSCOPE_WEBHOOK_SECRET: 's', FIELDSCOPE_SLACK_WEBHOOK_URL: 'https://hooks.slack.invalid/x', FIELDSCOPE_SMTP_PASSWORD: 'p' };
      assert.doesNotThrow(() => buildChannels(config, env), `${where(page, b)}`);
      assert.doesNotThrow(() => serialPorts(config.sources?.serial, config.serial, config.serialIntegrity), `${where(page, b)}`);
    }
  }
  assert.ok(n >= 2, `only ${n} config examples found in docs/`);
});

test('docs/configuration.md names every setting with its flag and environment variable', () => {
  const page = readFileSync(join(docsDir, 'configuration.md'), 'utf8');
  for (const [key, o] of Object.entries(options)) {
    const row = page.split('\n').find((l) => l.startsWith(`| \`${key}\``));
    assert.ok(row, `docs/configuration.md has no row for the setting ${key}`);
    assert.ok(row.includes(`--${o.flag}`) && row.includes(o.env), `docs/configuration.md, ${key}: the row must name --${o.flag} and ${o.env}: ${row}`);
  }
});

for (const page of pages) {
  const blocks = parseDocBlocks(readFileSync(join(docsDir, page), 'utf8'));
  const steps = runnable(blocks);
  if (!steps.length) continue;
  test(`docs/${page}: its sh examples run against a live Fieldscope`, { skip: services.skip, timeout: 180_000 }, async (t) => {
    const app = await startTestApp({ anonymousRole: 'none', insecureLocal: true });
    const work = tempDir('fieldscope-docs-');
    t.after(async () => {
      await app.stop();
      work.remove();
    });
    const http = new URL(app.httpUrl);
    const mqttPort = new URL(app.mqttUrl).port;
    const adminPassword = app.initialAdminPassword;
    assert.ok(adminPassword, 'a fresh data directory makes the first admin');
    const login = await fetch(`${app.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: adminPassword }),
    });
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    // curl fails on an HTTP error (so an example's status counts) and ends its output with a newline;
    // mosquitto_pub talks to this app's broker.
    const prelude = [
      'set -eo pipefail',
      `curl() { command curl --fail-with-body -sS "$@" && echo; }`,
      `mosquitto_pub() { command mosquitto_pub -h 127.0.0.1 -p ${mqttPort} "$@"; }`,
      `mosquitto_sub() { command mosquitto_sub -h 127.0.0.1 -p ${mqttPort} "$@"; }`,
      // The CLI from source, as `npx tsx src/cli.ts`; its data directory defaults to ./data in the scratch dir.
      `fieldscope() { node --import ${join(root, 'node_modules/tsx/dist/loader.mjs')} ${join(root, 'src/cli.ts')} "$@"; }`,
    ].join('\n');
    for (const step of steps) {
      const script = step.block.body.replace(/\b(?:127\.0\.0\.1|localhost):8080\b/g, `127.0.0.1:${http.port}`);
      const r = await run(`${prelude}\n${script}`, {
        cwd: work.dir,
        env: { PATH: process.env.PATH, HOME: work.dir, TOKEN: token, ADMIN_PASSWORD: adminPassword },
      });
      const at = where(page, step.block);
      const shown = `\n--- script\n${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      if (step.fails) assert.notEqual(r.status, 0, `${at}: the page says this fails, it exited 0${shown}`);
      else assert.equal(r.status, 0, `${at}: exited ${r.status ?? r.signal}${shown}`);
      if (step.output?.lang === 'json') {
        const last = r.stdout.trim().split('\n').pop() ?? '';
        let actual: unknown;
        try {
          actual = JSON.parse(last);
        } catch {
          assert.fail(`${at}: the last line printed is not JSON: ${last}${shown}`);
        }
        try {
          assertHolds(actual, JSON.parse(step.output.body), 'output');
        } catch (err) {
          assert.fail(`${where(page, step.output)}: ${(err as Error).message}${shown}`);
        }
      } else if (step.output?.lang === 'text') {
        for (const line of step.output.body.split('\n').filter((l) => l.trim())) {
          assert.ok(r.stdout.includes(line.trim()), `${where(page, step.output)}: "${line.trim()}" not in the output${shown}`);
        }
      }
    }
  });
}
