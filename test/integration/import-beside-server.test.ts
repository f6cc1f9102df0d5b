/**
 * `fieldscope import` run against the data directory (or database) of a running server: the
 * imported devices show in the running server without a restart (issue 14, found defect 2, CLI side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import type { RunningApp } from '../../src/app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const T0 = Date.UTC(2025, 3, 26, 9);

/** The real CLI in its own process, as an operator runs it beside the server. */
function cliImport(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; err: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'import', ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, FIELDSCOPE_CONFIG: '', ...env },
  });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, err })));
}

function csv(dir: string): string {
  const file = join(dir, 'press.csv');
  const rows = ['ts,pressure,temperature'];
  for (let i = 0; i < 50; i++) rows.push(`${new Date(T0 + i * 1000).toISOString()},${(1 + i / 100).toFixed(2)},${20 + (i % 5)}`);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

async function showsImported(app: RunningApp, device: string, run: () => Promise<{ code: number | null; err: string }>) {
  const list = async () => ((await (await fetch(`${app.httpUrl}/api/v1/devices`)).json()) as { devices: { id: string }[] }).devices.map((d) => d.id);
  assert.ok(!(await list()).includes(device));
  const live: string[] = [];
  app.devices.onChange((ev) => ev.created && live.push(ev.device));
  const { code, err } = await run();
  assert.equal(code, 0, err);
  await until(async () => (await list()).includes(device), { what: `${device} in GET /api/v1/devices` });
  const one = await fetch(`${app.httpUrl}/api/v1/devices/${device}`);
  assert.equal(one.status, 200);
  const body = (await one.json()) as { online: boolean; latest: Record<string, { ts: number; value: number }> };
  assert.equal(body.online, false, 'history says nothing about being online now');
  assert.deepEqual(body.latest.pressure, { ts: T0 + 49_000, value: 1.49 });
  assert.deepEqual(live, [device], 'announced once as a new device on the live feed');
}

test('fieldscope import beside a running server (SQLite): the imported device is listed without a restart', async (t) => {
  const d = tempDir();
  t.after(() => d.remove());
  const app = await startTestApp({ dataDir: join(d.dir, 'data'), retentionRawHours: 24 * 365 * 50 });
  t.after(() => app.stop());
  const file = csv(d.dir);
  await showsImported(app, 'press-9', () => cliImport([file, '--device', 'press-9', '--data', join(d.dir, 'data')]));
});

const pgSkip = requirePostgres('fieldscope import beside a running server on PostgreSQL').skip;
test('fieldscope import beside a running server (PostgreSQL): the imported device is listed without a restart', { skip: pgSkip }, async (t) => {
  const pg = await startPostgres();
  t.after(() => pg.destroy());
  const d = tempDir();
  t.after(() => d.remove());
  const url = await pg.createDatabase();
  const app = await startTestApp({ dataDir: join(d.dir, 'data'), store: url, retentionRawHours: 24 * 365 * 50 });
  t.after(() => app.stop());
  const file = csv(d.dir);
  await showsImported(app, 'press-pg', () => cliImport([file, '--device', 'press-pg', '--data', join(d.dir, 'cli-data')], { FIELDSCOPE_STORE: url }));
});
