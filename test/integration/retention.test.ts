// Retention that respects history (issue 16): imported history is kept through retention passes
// unless asked otherwise, the import says which retention applies before writing, raw retention is
// set per profile and per device (admin, validated, audit-logged), on SQLite and PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { MAX_RETENTION_HOURS } from '../../src/model/retention.js';
import { startTestApp, tempDir } from '../helpers/app.js';
import { bearer, login, startLockedApp, userToken } from '../helpers/auth.js';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import { parseDocBlocks } from '../helpers/doc-blocks.js';
import { writeMesCsv } from '../helpers/mes-csv.js';
import { importCommand } from '../../src/import/import-command.js';

const root = new URL('../../', import.meta.url).pathname;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OLD_CSV = 'time,Temp C,RPM\n2025-04-26T09:00:00Z,21.5,1200\n2025-04-26T09:00:01Z,21.6,1210\n';

async function importCsv(app: RunningApp, csv: string, query: string, token?: string) {
  const res = await fetch(`${app.httpUrl}/api/v1/import?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', ...(token ? bearer(token) : {}) },
    body: csv,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { retention: Record<string, unknown>[]; warnings: string[] } };
}

const rawOf = async (app: RunningApp, device: string, metric: string) =>
  (await app.store.telemetry.queryRange({ device, metrics: [metric], from: 0, to: Date.now() + DAY, limit: 1000 }))[metric]?.ts ?? [];

/** Imports old history over HTTP, once kept (default) and once with applyRetention, then runs a retention pass. */
async function importedHistorySurvives(app: RunningApp): Promise<void> {
  const kept = await importCsv(app, OLD_CSV, 'device=press-4&map=Temp%20C=temperature,RPM=speed');
  assert.equal(kept.status, 200, JSON.stringify(kept.body));
  assert.equal(kept.body.readingsStored, 4);
  assert.deepEqual(
    kept.body.retention.map((r) => [r.device, r.rawRetentionHours, r.source, r.olderReadings, r.exempt]),
    [['press-4', 48, 'default', 4, true]],
    'the summary says which retention applies and that the import is exempt',
  );
  assert.equal(kept.body.warnings.length, 1);
  assert.match(kept.body.warnings[0], /press-4.*older than its raw retention of 48 h \(default\).*kept/);

  const dropped = await importCsv(app, OLD_CSV, 'device=press-5&map=Temp%20C=temperature,RPM=speed&applyRetention=true');
  assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
  assert.equal(dropped.body.readingsStored, 0);
  assert.equal(dropped.body.droppedByRetention, 4);
  assert.match(dropped.body.warnings[0], /press-5.*not stored/);

  // A live reading of press-4 three days old goes; the imported ones, a year and more old, stay.
  const stale = Date.now() - 3 * DAY;
  await app.store.telemetry.write({ readings: [{ device: 'press-4', metric: 'temperature', ts: stale, value: 20 }], devices: [], rejected: [] });
  const before = await app.metrics.registry.getSingleMetricAsString('fieldscope_retention_pruned_rows_total');
  const pass = await app.retention.runOnce();
  const mine = pass.devices?.find((d) => d.device === 'press-4');
  assert.equal(mine?.raw, 1, JSON.stringify(pass));
  assert.deepEqual(await rawOf(app, 'press-4', 'temperature'), [Date.parse('2025-04-26T09:00:00Z'), Date.parse('2025-04-26T09:00:01Z')]);
  assert.deepEqual(await rawOf(app, 'press-4', 'speed'), [Date.parse('2025-04-26T09:00:00Z'), Date.parse('2025-04-26T09:00:01Z')]);
  const after = await app.metrics.registry.getSingleMetricAsString('fieldscope_retention_pruned_rows_total');
  assert.notEqual(after, before);
  assert.match(after, /fieldscope_retention_pruned_rows_total\{tier="raw"\} [1-9]/);
}

test('sqlite: imported history is held through a retention pass; applyRetention drops it, said before writing', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  await importedHistorySurvives(app);
});

const pgSkip = requirePostgres('retention (postgres)');
test('postgres: imported history is held through a retention pass; applyRetention drops it, said before writing', pgSkip, async (t) => {
  const pg = await startPostgres();
  t.after(() => pg.destroy());
  const app = await startTestApp({ store: await pg.createDatabase() });
  t.after(() => app.stop());
  await importedHistorySurvives(app);
});

test("raw retention per device is the admin's: validated, audit-logged, visible, and applied by the next pass", async (t) => {
  const locked = await startLockedApp();
  t.after(() => locked.remove());
  const { app } = locked;
  const admin = (await login(app.httpUrl, 'admin', locked.adminPassword)).accessToken;
  const operator = await userToken(app.httpUrl, admin, 'olga', 'operator');
  const now = Date.now();
  await app.writer.write(
    {
      readings: [0, 1, 2, 3].map((d) => ({ device: 'pump-1', metric: 'p', ts: now - d * DAY - HOUR, value: d })),
      devices: [{ id: 'pump-1', seen: now }],
      rejected: [],
    },
    { historical: true },
  );
  const put = (body: unknown, token: string) =>
    fetch(`${app.httpUrl}/api/v1/devices/pump-1/retention`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify(body),
    });
  assert.equal((await put({ rawRetentionHours: 100 }, operator)).status, 403, 'an operator may not change retention');
  const bad = await put({ rawRetentionHours: -1 }, admin);
  assert.equal(bad.status, 400);
  const err = (await bad.json()) as { field: string; rule: string };
  assert.equal(err.field, 'rawRetentionHours');
  assert.equal(err.rule, 'exclusiveMinimum');
  const ok = await put({ rawRetentionHours: 36 }, admin);
  assert.equal(ok.status, 200);
  const shown = (await ok.json()) as { rawRetentionHours: number; source: string; override: number };
  assert.deepEqual([shown.rawRetentionHours, shown.source, shown.override], [36, 'device', 36]);
  const audit = (await (await fetch(`${app.httpUrl}/api/v1/audit?route=/api/v1/devices`, { headers: bearer(admin) })).json()) as {
    entries: { method: string; path: string; status: number }[];
  };
  assert.ok(
    audit.entries.some((e) => e.method === 'PUT' && e.path === '/api/v1/devices/pump-1/retention' && e.status === 200),
    JSON.stringify(audit.entries.slice(0, 3)),
  );
  const pass = await app.retention.runOnce();
  assert.deepEqual(
    (pass.devices ?? []).filter((d) => d.device === 'pump-1').map((d) => d.raw),
    [2],
    '36 h keeps the readings 1 h and 25 h old',
  );
  const view = (await (await fetch(`${app.httpUrl}/api/v1/retention`, { headers: bearer(operator) })).json()) as {
    default: { rawRetentionHours: number };
    devices: { device: string; rawRetentionHours: number; source: string }[];
    limits: { maxRawRetentionHours: number };
  };
  assert.equal(view.default.rawRetentionHours, 48);
  // The API states its bound (the retention form reads it from here): the stated maximum is taken, one more is refused.
  const max = view.limits.maxRawRetentionHours;
  assert.equal(max, MAX_RETENTION_HOURS);
  assert.equal((await put({ rawRetentionHours: max }, admin)).status, 200);
  const over = await put({ rawRetentionHours: max + 1 }, admin);
  assert.deepEqual([over.status, ((await over.json()) as { rule: string }).rule], [400, 'maximum']);
  // A profile's rawRetentionHours has the same bound: the stated maximum taken, one more refused naming the field.
  const putProfile = (hours: number) =>
    fetch(`${app.httpUrl}/api/v1/profiles/bounded`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(admin) },
      body: JSON.stringify({ name: 'bounded', metrics: {}, rawRetentionHours: hours }),
    });
  assert.equal((await putProfile(max)).status, 200);
  const overProfile = await putProfile(max + 1);
  const overErr = (await overProfile.json()) as { rule: string; field: string };
  assert.deepEqual([overProfile.status, overErr.rule, overErr.field], [400, 'maximum', 'rawRetentionHours']);
  assert.equal((await put({ rawRetentionHours: 36 }, admin)).status, 200);
  assert.deepEqual(
    view.devices.find((d) => d.device === 'pump-1'),
    { ...view.devices.find((d) => d.device === 'pump-1'), rawRetentionHours: 36, source: 'device' },
  );
  assert.equal((await put({ rawRetentionHours: null }, admin)).status, 200);
  const back = (await (await fetch(`${app.httpUrl}/api/v1/devices/pump-1/retention`, { headers: bearer(operator) })).json()) as { source: string };
  assert.equal(back.source, 'default');
});

test('the shipped vibration profile keeps raw data a year; the config file sets it per profile and per device', async (t) => {
  const app = await startTestApp({ retentionRawHoursByProfile: { factory: 720 }, retentionRawHoursByDevice: { 'f-special': 2 } } as Partial<Config>);
  t.after(() => app.stop());
  const r = (d: string, p: string | null) => app.retentionRules.forDevice(d, p);
  assert.deepEqual(await r('rig-1', 'vibration'), { rawMs: 8760 * HOUR, minuteMs: 30 * DAY, hourMs: 730 * DAY, rawSource: 'profile' });
  assert.equal((await r('f-1', 'factory')).rawMs, 720 * HOUR);
  assert.deepEqual(await r('f-special', 'factory'), { rawMs: 2 * HOUR, minuteMs: 30 * DAY, hourMs: 730 * DAY, rawSource: 'device-config' });
  assert.equal((await r('other', null)).rawSource, 'default');
  const res = await fetch(`${app.httpUrl}/api/v1/profiles/vibration`);
  assert.equal(((await res.json()) as { rawRetentionHours: number }).rawRetentionHours, 8760);
});

test("the docs' import example (docs/ingest.md, Bulk import) keeps its data through a retention pass", async (t) => {
  const work = tempDir();
  t.after(() => work.remove());
  const page = readFileSync(join(root, 'docs/ingest.md'), 'utf8');
  const block = parseDocBlocks(page).find((b) => b.lang === 'sh' && b.tags[0] === 'test' && b.body.includes('fieldscope import plant.csv'));
  assert.ok(block, 'the example is on the page');
  const script = [
    'set -eo pipefail',
    `fieldscope() { node --import ${join(root, 'node_modules/tsx/dist/loader.mjs')} ${join(root, 'src/cli.ts')} "$@"; }`,
    block.body,
  ].join('\n');
  const r = spawnSync('bash', ['-c', script], { cwd: work.dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: work.dir }, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: device press-4: readings older than its raw retention/, 'said on stderr, before writing');
  assert.match(r.stdout, /raw retention {4}press-4: 48 h \(default\); imported history kept/);
  const app = await startTestApp({ dataDir: join(work.dir, 'data') });
  t.after(() => app.stop());
  await app.retention.runOnce();
  assert.equal((await rawOf(app, 'press-4', 'temperature')).length, 2, 'the example data is still there after a retention pass');
});

test('seed 004: a MES vibration file from April 2025 imports into the vibration profile (a year of raw data) and survives a pass', async (t) => {
  const work = tempDir();
  t.after(() => work.remove());
  const file = join(work.dir, 'g1_sensor1.csv');
  const { devices, rowsPerDevice } = writeMesCsv(file, 400);
  const data = join(work.dir, 'data');
  const said: string[] = [];
  const summary = await importCommand([file, '--start', '2025-04-26T09:00:00Z', '--data', data], {
    stderr: { write: (s: string) => said.push(s), isTTY: false },
  });
  assert.equal(summary.readingsStored, 400 * 4);
  const notes = summary.retention.filter((r) => r.device === devices[0]);
  assert.deepEqual(
    notes.map((r) => [r.profile, r.rawRetentionHours, r.source, r.exempt]),
    [['vibration', 8760, 'profile', true]],
  );
  // April 2025 is more than a year before any day this test can run on.
  assert.equal(notes[0].olderReadings, rowsPerDevice[0] * 4);
  assert.equal(said.filter((s) => s.startsWith('warning: device ')).length, devices.length, 'one warning per device, said before writing');
  const app = await startTestApp({ dataDir: data });
  t.after(() => app.stop());
  await app.retention.runOnce();
  assert.equal((await rawOf(app, devices[0], 'normal')).length, rowsPerDevice[0]);
});
