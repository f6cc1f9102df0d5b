// The shipped Prometheus rules: checked and unit-tested by Debian's promtool, then loaded into a
// real Prometheus that scrapes a running Fieldscope (with an API key, as a plant would) and must
// see the operator metrics and an alert firing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { requireServices, freePort } from '../helpers/services.js';
import { startLockedApp, login, bearer } from '../helpers/auth.js';
import { tempDir, until } from '../helpers/app.js';

const run = promisify(execFile);
const rules = resolve('deploy/prometheus/fieldscope-rules.yml');
const promtool = requireServices('prometheus rules', 'promtool');
const prometheus = requireServices('prometheus scrape', 'prometheus');

test('promtool: the shipped rules file checks, its unit tests pass, and a broken rule is caught', { skip: promtool.skip }, async (t) => {
  const out = await run('promtool', ['check', 'rules', rules]);
  assert.match(out.stdout, /SUCCESS: \d+ rules found/);
  const unit = await run('promtool', ['test', 'rules', 'fieldscope-rules.test.yml'], { cwd: resolve('deploy/prometheus') });
  assert.match(unit.stdout + unit.stderr, /SUCCESS/);
  const d = tempDir();
  t.after(() => d.remove());
  const broken = join(d.dir, 'broken.yml');
  writeFileSync(broken, readFileSync(rules, 'utf8').replace('fieldscope_spool_bytes / fieldscope_spool_limit_bytes > 0.5', 'fieldscope_spool_bytes / > 0.5'));
  await assert.rejects(run('promtool', ['check', 'rules', broken]));
});

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

test('a real Prometheus scrapes Fieldscope: operator metrics are there and shipped alerts fire', { skip: prometheus.skip, timeout: 120_000 }, async (t) => {
  // The disk alarm at a 100% free threshold always holds: a real system alarm without breaking anything.
  const { app, adminPassword, remove } = await startLockedApp({ systemCheckMs: 100, diskAlarmFreeRatio: 1 });
  t.after(remove);
  const admin = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
  const json = { ...bearer(admin), 'content-type': 'application/json' };
  const keyRes = await fetch(`${app.httpUrl}/api/v1/api-keys`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'prometheus', role: 'viewer' }) });
  assert.equal(keyRes.status, 201);
  const key = ((await keyRes.json()) as { key: string }).key;
  // A critical device alarm, and readings with a seq gap (completeness below 1).
  assert.equal(
    (
      await fetch(`${app.httpUrl}/api/v1/rules`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'overheat', severity: 'critical', scope: 'all', kind: 'threshold', metric: 't', op: '>', value: 50 }),
      })
    ).status,
    201,
  );
  const lines = [1, 2, 3, 6].map((seq) => JSON.stringify({ profile: 'factory', seq, temperature: 20, t: seq === 6 ? 90 : 20 })).join('\n');
  assert.equal(
    (
      await fetch(`${app.httpUrl}/api/v1/devices/press-1/telemetry`, {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'application/x-ndjson' },
        body: lines,
      })
    ).status,
    200,
  );

  const d = tempDir('fieldscope-prom-');
  t.after(() => d.remove());
  mkdirSync(join(d.dir, 'data'));
  writeFileSync(join(d.dir, 'key'), key);
  // The shipped rules with every `for` cut to 0s: the same expressions, firing without a wait.
  const doc = YAML.parse(readFileSync(rules, 'utf8')) as { groups: { rules: { for?: string }[] }[] };
  for (const g of doc.groups) for (const r of g.rules) if (r.for) r.for = '0s';
  writeFileSync(join(d.dir, 'rules.yml'), YAML.stringify(doc));
  const target = new URL(app.httpUrl).host;
  writeFileSync(
    join(d.dir, 'prometheus.yml'),
    YAML.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(d.dir, 'rules.yml')],
      scrape_configs: [
        { job_name: 'fieldscope', static_configs: [{ targets: [target] }], authorization: { type: 'Bearer', credentials_file: join(d.dir, 'key') } },
      ],
    }),
  );
  const port = await freePort();
  const prom = spawn(
    'prometheus',
    [`--config.file=${join(d.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(d.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-6000)));
  t.after(async () => {
    if (prom.exitCode !== null) return;
    const gone = new Promise((r) => prom.once('exit', r));
    prom.kill('SIGTERM');
    await gone;
  });
  const api = async <T>(path: string): Promise<T> => {
    if (prom.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
    const r = (await (await fetch(`http://127.0.0.1:${port}${path}`)).json()) as { status: string; data: T };
    return r.data;
  };
  const value = async (q: string) => {
    const r = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`);
    return r.result;
  };

  await until(async () => (await value('up{job="fieldscope"}'))[0]?.value[1] === '1', {
    timeoutMs: 40_000,
    what: `prometheus scraping fieldscope with its key (${log.slice(-500)})`,
  });
  assert.equal((await value('fieldscope_devices_online'))[0].value[1], '1');
  const ratio = await until(async () => (await value('fieldscope_completeness_ratio{profile="factory"}'))[0], { what: 'completeness ratio' });
  assert.equal(Number(ratio.value[1]), 4 / 6, 'seqs 4 and 5 are missing');
  assert.ok((await value('fieldscope_spool_limit_bytes'))[0]);
  assert.ok((await value('fieldscope_store_write_seconds_count'))[0]);

  const alerts = await until(
    async () => {
      const a = (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts.filter((x) => x.state === 'firing');
      const names = new Set(a.map((x) => x.labels.alertname));
      return names.has('FieldscopeSystemAlarm') && names.has('FieldscopeCriticalAlarmsOpen') && a;
    },
    { timeoutMs: 40_000, what: 'alerts firing' },
  );
  const sys = alerts.find((a) => a.labels.alertname === 'FieldscopeSystemAlarm')!;
  assert.equal(sys.labels.component, 'disk');
  assert.equal(sys.labels.severity, 'major');
  assert.ok(!alerts.some((a) => a.labels.alertname === 'FieldscopeStoreDown'), 'the store is up: no store alert');
});
