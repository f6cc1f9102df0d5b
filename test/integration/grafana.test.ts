// The Grafana dashboards shipped in deploy/grafana: each PostgreSQL panel's own SQL (taken from the
// JSON, Grafana's macros expanded here as Grafana expands them) runs against a real PostgreSQL
// holding data written through the store; each REST API (Infinity) panel's URL is called on a
// running Fieldscope with a viewer API key; every dashboard type-checks against @grafana/schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import ts from 'typescript';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import { startLockedApp, login, bearer } from '../helpers/auth.js';
import { until } from '../helpers/app.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { SequenceTracker } from '../../src/pipeline/sequence.js';
import { toWriteBatch } from '../../src/pipeline/batcher.js';
import { buildRule } from '../../src/alarms/rules.js';
import type { Message } from '../../src/model/reading.js';
import type { Alarm } from '../../src/model/alarm.js';
import { RunToFailure } from '../../src/sim/run-to-failure.js';
import { createRng, round } from '../../src/sim/kinds.js';

const root = resolve('deploy/grafana/dashboards');

interface Target {
  refId: string;
  rawSql?: string;
  url?: string;
  url_options?: { params: { key: string; value: string }[] };
  root_selector?: string;
  columns?: { selector: string; text: string; type: string }[];
}
interface PanelJson {
  id: number;
  type: string;
  title: string;
  targets: Target[];
  options: unknown;
  fieldConfig: { defaults: { custom?: unknown } };
}
interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: { name: string; type: string; query: string | { infinityQuery: Target } }[] };
}

function dashboards(folder: string): { file: string; d: DashboardJson }[] {
  return readdirSync(join(root, folder))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `${folder}/${f}`, d: JSON.parse(readFileSync(join(root, folder, f), 'utf8')) as DashboardJson }));
}

/** Grafana's PostgreSQL macros (grafana-postgresql-datasource), expanded for [from, to] as Grafana does. */
export function expandMacros(sql: string, from: number, to: number, vars: Record<string, string>): string {
  const iso = (ms: number) => `'${new Date(ms).toISOString()}'`;
  const seconds = (interval: string) => {
    const m = /^'?(\d+)([smhd])'?$/.exec(interval.trim());
    if (!m) throw new Error(`interval ${interval} not understood`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  };
  let out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col.trim()} BETWEEN ${iso(from)} AND ${iso(to)}`)
    .replace(/\$__timeFrom\(\)/g, iso(from))
    .replace(/\$__timeTo\(\)/g, iso(to))
    .replace(/\$__unixEpochFrom\(\)/g, String(Math.floor(from / 1000)))
    .replace(/\$__unixEpochTo\(\)/g, String(Math.floor(to / 1000)))
    .replace(
      /\$__timeGroupAlias\(([^,]+),([^)]+)\)/g,
      (_, col: string, iv: string) => `floor(extract(epoch from ${col.trim()})/${seconds(iv)})*${seconds(iv)} AS "time"`,
    )
    .replace(/\$__timeGroup\(([^,]+),([^)]+)\)/g, (_, col: string, iv: string) => `floor(extract(epoch from ${col.trim()})/${seconds(iv)})*${seconds(iv)}`);
  for (const [k, v] of Object.entries(vars)) out = out.replaceAll('${' + k + '}', v).replace(new RegExp('\\$' + k + '\\b', 'g'), v);
  assert.doesNotMatch(out, /\$\w/, `a macro or variable left unexpanded in: ${out}`);
  return out;
}

const pg = requirePostgres('grafana dashboards on PostgreSQL');

test(
  'PostgreSQL: every panel and variable query of the shipped dashboards runs on the grafana_* views and finds the data written through the store',
  { skip: pg.skip, timeout: 120_000 },
  async (t) => {
    const server = await startPostgres();
    t.after(() => server.destroy());
    const url = await server.createDatabase();
    const store = new PostgresStore({ url });
    await store.open();
    t.after(() => store.close());

    // Readings for the last hour from one device, every 10 s, with seqs 100-104 missing (a gap).
    const now = Date.now();
    const messages: Message[] = [];
    for (let i = 0, seq = 1; i < 360; i++, seq++) {
      if (seq === 100) seq += 5;
      const ts = now - 3600_000 + i * 10_000;
      messages.push({
        device: 'press-1',
        ts,
        seq,
        profile: 'factory',
        values: { temperature: 40 + 15 * Math.sin(i / 20), humidity: 50 },
        source: 'http',
        receivedAt: ts,
      });
    }
    // Model predictions as the model server stores them (source model): brg-1 wearing out over the hour, brg-2 nearly done.
    for (let i = 0; i < 60; i++) {
      const ts = now - 3600_000 + i * 60_000;
      const rul = (60 - i) / 10;
      const score = i * 0.1;
      messages.push({
        device: 'brg-1',
        ts,
        values: { anomaly_score: score, anomaly_threshold: 3, anomaly: score > 3 ? 1 : 0, rul_days: rul, rul_days_low: rul * 0.8, rul_days_high: rul * 1.25 },
        attributes: { model: 'brg-1/default/fit1', model_version: 'fit1' },
        source: 'model',
        receivedAt: ts,
      });
    }
    messages.push({
      device: 'brg-2',
      ts: now - 60_000,
      values: { anomaly_score: 9, anomaly_threshold: 3, anomaly: 1, rul_days: 0.05, rul_days_low: 0.01, rul_days_high: 0.2 },
      source: 'model',
      receivedAt: now - 60_000,
    });
    const seq = new SequenceTracker();
    const acct = seq.account(messages);
    const batch = toWriteBatch(
      acct.keep,
      [
        {
          at: now - 60_000,
          source: 'http',
          device: 'press-1',
          field: 'temperature',
          rule: 'type',
          error: 'temperature must be a number',
          payload: '{"temperature":"hot"}',
        },
      ],
      acct.update,
    );
    await store.telemetry.write(batch);
    acct.commit();
    const rule = buildRule(
      { name: 'Hot press', severity: 'major', scope: 'device', target: 'press-1', kind: 'threshold', metric: 'temperature', op: '>', value: 50 },
      undefined,
      now,
    );
    await store.alarms.saveRule(rule);
    await store.alarms.saveRule(
      buildRule(
        { name: 'Band', severity: 'minor', scope: 'profile', target: 'factory', kind: 'threshold', metric: 'temperature', op: 'outside', low: 10, high: 70 },
        undefined,
        now,
      ),
    );
    const alarm = (a: Partial<Alarm>): Omit<Alarm, 'id'> => ({
      ruleId: rule.id,
      ruleName: rule.name,
      kind: 'threshold',
      device: 'press-1',
      metric: 'temperature',
      severity: 'major',
      status: 'active_unacked',
      raisedAt: now - 1800_000,
      lastAt: now - 1800_000,
      count: 1,
      firstValue: 55,
      lastValue: 55,
      clearedAt: null,
      clearedBy: null,
      ackedAt: null,
      ackedBy: null,
      message: 'temperature 55 > 50',
      ...a,
    });
    await store.alarms.openAlarm(alarm({}));
    await store.alarms.openAlarm(
      alarm({
        ruleId: 'system:store',
        ruleName: 'Store unavailable',
        kind: 'system',
        device: 'system',
        metric: 'store',
        severity: 'critical',
        message: 'the store does not answer',
      }),
    );

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    t.after(() => sql.end({ timeout: 1 }));
    const vars = { device: 'press-1', metric: 'temperature' };
    // The model dashboard is looked at for the device with predictions.
    const varsOf = (file: string) => (file.endsWith('/models.json') ? { ...vars, device: 'brg-1' } : vars);
    const from = now - 24 * 3600_000;
    const results = new Map<string, Record<string, unknown>[]>();
    const boards = dashboards('postgres');
    assert.deepEqual(
      boards.map((b) => b.file),
      ['postgres/alarms.json', 'postgres/completeness.json', 'postgres/device-detail.json', 'postgres/fleet-overview.json', 'postgres/models.json'],
    );
    for (const { file, d } of boards) {
      const vars = varsOf(file);
      for (const v of d.templating.list) {
        if (v.type !== 'query') continue;
        const rows = await sql.unsafe(expandMacros(String(v.query), from, now, vars));
        assert.ok(rows.length > 0, `${file} variable ${v.name}: no options`);
        assert.ok(
          rows.some((r) => Object.values(r).includes(vars[v.name as keyof typeof vars])),
          `${file} variable ${v.name} offers ${vars[v.name as keyof typeof vars]}`,
        );
      }
      for (const p of d.panels) {
        for (const target of p.targets) {
          assert.ok(target.rawSql, `${file} "${p.title}" ${target.refId}: raw SQL`);
          let rows: Record<string, unknown>[];
          try {
            rows = [...(await sql.unsafe(expandMacros(target.rawSql, from, now, vars)))];
          } catch (err) {
            throw new Error(`${file} "${p.title}" ${target.refId}: ${(err as Error).message}`, { cause: err });
          }
          assert.ok(rows.length > 0, `${file} "${p.title}" ${target.refId}: no rows`);
          // A time series needs its time column as a timestamp (or epoch seconds from $__timeGroupAlias).
          if ('time' in rows[0])
            assert.ok(
              rows[0].time instanceof Date || typeof rows[0].time === 'number' || typeof rows[0].time === 'string',
              `${file} "${p.title}": time column`,
            );
          results.set(`${d.uid}/${p.id}/${target.refId}`, rows);
        }
      }
    }
    // What the panels show is the data written, not just any row.
    assert.equal(Number(results.get('fieldscope-fleet/1/A')![0].devices), 3, 'press-1 and the two bearings with predictions');
    const lines = results.get('fieldscope-device/1/B')!;
    assert.deepEqual([...new Set(lines.map((r) => `${r.metric}=${r.value}`))].sort(), ['Band high=70', 'Band low=10', 'Hot press limit=50']);
    const rollups = results.get('fieldscope-device/1/A')!;
    assert.ok(rollups.length >= 59 && rollups.length <= 61, `one row per minute of the hour (${rollups.length})`);
    assert.ok(rollups.every((r) => (r.min as number) <= (r.avg as number) && (r.avg as number) <= (r.max as number)));
    assert.equal(results.get('fieldscope-device/2/A')!.length, 360, 'every raw reading');
    const completeness = results.get('fieldscope-completeness/1/A')![0];
    assert.equal(completeness.device, 'press-1');
    assert.equal(Number(completeness.received), 360);
    assert.equal(Number(completeness.missing), 5);
    assert.equal(Number(completeness.completeness), Math.round((360 / 365) * 10_000) / 10_000);
    // Model predictions: the score beside its threshold, RUL with its interval, the latest of each, devices by RUL.
    const scores = results.get('fieldscope-models/1/A')!;
    assert.deepEqual([scores.filter((r) => r.metric === 'anomaly_score').length, scores.filter((r) => r.metric === 'anomaly_threshold').length], [60, 60]);
    assert.equal(results.get('fieldscope-models/2/A')!.length, 180, 'rul_days and its interval, 60 each');
    const rulNow = results.get('fieldscope-models/3/A')![0];
    assert.deepEqual([rulNow.RUL, rulNow['95% low'], rulNow['95% high']], [0.1, 0.1 * 0.8, 0.1 * 1.25]);
    assert.deepEqual(
      results.get('fieldscope-models/4/A')!.map((r) => [r.device, r.rul_days, r.anomaly_score]),
      [
        ['brg-2', 0.05, 9],
        ['brg-1', 0.1, 59 * 0.1],
      ],
    );
    const system = results.get('fieldscope-alarms/3/A')!;
    assert.deepEqual(
      system.map((r) => r.component),
      ['store'],
    );
    assert.ok(results.get('fieldscope-alarms/4/A')!.every((r) => r.device === 'press-1'));
    assert.equal(results.get('fieldscope-completeness/4/A')![0].metric, 'type');
  },
);

test('REST API (Infinity) dashboards: every panel URL answers a viewer API key with the rows and fields the panel reads', { timeout: 60_000 }, async (t) => {
  const { app, adminPassword, remove } = await startLockedApp({ systemCheckMs: 100, diskAlarmFreeRatio: 1 });
  t.after(remove);
  const admin = (await login(app.httpUrl, 'admin', adminPassword)).accessToken;
  const json = { ...bearer(admin), 'content-type': 'application/json' };
  const key = (
    (await (
      await fetch(`${app.httpUrl}/api/v1/api-keys`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'grafana', role: 'viewer' }) })
    ).json()) as { key: string }
  ).key;
  await fetch(`${app.httpUrl}/api/v1/rules`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name: 'Hot press', severity: 'major', scope: 'all', kind: 'threshold', metric: 'temperature', op: '>', value: 50 }),
  });
  const now = Date.now();
  const lines = [1, 2, 3, 7].map((seq, i) => JSON.stringify({ profile: 'factory', seq, ts: now - 60_000 + i * 1000, temperature: seq === 7 ? 60 : 20 }));
  lines.push('{"temperature":"hot"}');
  await fetch(`${app.httpUrl}/api/v1/devices/press-1/telemetry`, {
    method: 'POST',
    headers: { ...bearer(admin), 'content-type': 'application/x-ndjson' },
    body: lines.join('\n'),
  });
  await until(
    async () =>
      ((await (await fetch(`${app.httpUrl}/api/v1/alarms?status=open`, { headers: bearer(admin) })).json()) as { alarms: Alarm[] }).alarms.length >= 2,
    { what: 'a device and a system alarm' },
  );

  // A bearing's three hours of wear, a model fitted on its first hour and activated, one RUL asked for:
  // predictions made and stored by Fieldscope itself for the model dashboard to read.
  const life = new RunToFailure(createRng(5), { lifeMinMs: 3 * 3_600_000, lifeMaxMs: 3 * 3_600_000 + 1 });
  const start = now - 3.5 * 3_600_000;
  life.next(start);
  // Vibration only: the temperature rule of this test ("Hot press", every device) stays press-1's.
  const rows: Array<{ ts: number; vibration_rms: number }> = [];
  for (let ts = start; ts < life.failsAt; ts += 20_000) rows.push({ ts, vibration_rms: round(life.next(ts).vibration_rms, 3) });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(app.httpUrl + path, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.ok, `POST ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  for (let i = 0; i < rows.length; i += 500) await post('/api/v1/devices/brg-1/telemetry', rows.slice(i, i + 500));
  const fitted = await post('/api/v1/serve-ml/fit', {
    device: 'brg-1',
    features: ['vibration_rms'],
    from: start,
    to: start + 3_600_000,
    trend_steps: 60,
    max_rul_days: 1,
  });
  await post('/api/v1/serve-ml/bundles/activate', { id: fitted.id });
  const predicted = await post('/api/v1/rul/predict', { device_id: 'brg-1' });
  await until(
    async () =>
      (
        (await (
          await fetch(`${app.httpUrl}/api/v1/telemetry/range?devices=brg-1&metric=rul_days_high&from=${now - 86_400_000}`, { headers: bearer(admin) })
        ).json()) as {
          rows: unknown[];
        }
      ).rows.length > 0,
    { what: 'the prediction stored' },
  );

  const vars: Record<string, string> = { device: 'press-1', metric: 'temperature', __from: String(now - 24 * 3600_000), __to: String(Date.now() + 60_000) };
  let expandVars = vars;
  const expand = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => expandVars[(a ?? b)!] ?? `$${a ?? b}`);
  const call = async (where: string, target: Target) => {
    const u = new URL(expand(target.url!), app.httpUrl);
    for (const p of target.url_options?.params ?? []) u.searchParams.set(p.key, expand(p.value));
    assert.doesNotMatch(u.toString(), /\$/, `${where}: unexpanded variable in ${u}`);
    const res = await fetch(u, { headers: bearer(key) });
    assert.equal(res.status, 200, `${where}: GET ${u.pathname}${u.search} -> ${res.status} ${await res.clone().text()}`);
    const body = (await res.json()) as Record<string, unknown>;
    const rows = (target.root_selector ? body[target.root_selector] : [body]) as Record<string, unknown>[];
    assert.ok(Array.isArray(rows) && rows.length > 0, `${where}: no rows under "${target.root_selector}"`);
    for (const c of target.columns ?? [])
      assert.ok(c.selector in rows[0], `${where}: field ${c.selector} missing from ${JSON.stringify(rows[0]).slice(0, 300)}`);
    return rows;
  };
  const boards = dashboards('api');
  assert.deepEqual(
    boards.map((b) => b.file),
    ['api/alarms.json', 'api/completeness.json', 'api/device-detail.json', 'api/fleet-overview.json', 'api/models.json'],
  );
  const seen = new Map<string, Record<string, unknown>[]>();
  for (const { file, d } of boards) {
    // The model dashboard is looked at for the device with predictions.
    expandVars = file.endsWith('/models.json') ? { ...vars, device: 'brg-1' } : vars;
    for (const v of d.templating.list) if (typeof v.query === 'object') await call(`${file} variable ${v.name}`, v.query.infinityQuery);
    for (const p of d.panels)
      for (const target of p.targets) {
        const rows = await call(`${file} "${p.title}"`, target);
        seen.set(`${d.uid}/${p.id}`, rows);
        seen.set(`${d.uid}/${p.id}/${target.refId}`, rows);
      }
  }
  assert.ok(seen.get('fieldscope-api-alarms/1')!.every((a) => a.device === 'system'));
  assert.ok(seen.get('fieldscope-api-alarms/2')!.every((a) => a.device === 'press-1'));
  assert.equal(seen.get('fieldscope-api-device/1')!.length, 4);
  assert.equal(seen.get('fieldscope-api-completeness/1')![0].missing, 3);
  // The model panels read the prediction Fieldscope made: RUL with its interval, score with its threshold.
  const rulNow = seen.get('fieldscope-api-models/3')![0];
  assert.deepEqual([rulNow.rul_days, rulNow.rul_days_low, rulNow.rul_days_high], [predicted.rul_days, predicted.rul_days_low, predicted.rul_days_high]);
  assert.ok((rulNow.rul_days_low as number) <= (rulNow.rul_days as number) && (rulNow.rul_days as number) <= (rulNow.rul_days_high as number));
  assert.deepEqual(
    [seen.get('fieldscope-api-models/1/A')!.at(-1)!.value, seen.get('fieldscope-api-models/1/B')!.at(-1)!.value],
    [predicted.anomaly_score, predicted.anomaly_threshold],
  );
  assert.equal(seen.get('fieldscope-api-models/4')![0].device, 'brg-1');
});

test(
  "every dashboard type-checks against @grafana/schema (Dashboard, and each panel's options by its type); a wrong one does not",
  { timeout: 120_000 },
  async (t) => {
    const cache = join(resolve('node_modules'), '.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'grafana-schema-check-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const cfg = (type: string) =>
      ({
        timeseries: '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen',
        stat: '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen',
        table: '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen',
      })[type];
    const source = (d: DashboardJson) => {
      const lines = [
        "import type { Dashboard } from '@grafana/schema';",
        // Grafana's JSON holds enum members as their string values; TypeScript's string enums are
        // nominal, so each enum is widened to the union of its values, and nothing else.
        'type Loose<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : T extends (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;',
        `import type * as timeseries from '${cfg('timeseries')}';`,
        `import type * as stat from '${cfg('stat')}';`,
        `import type * as table from '${cfg('table')}';`,
        `export const dashboard: Loose<Dashboard> = ${JSON.stringify(d, null, 1)};`,
      ];
      for (const p of d.panels) {
        assert.ok(cfg(p.type), `panel type ${p.type} has its schema types checked`);
        lines.push(`export const options${p.id}: Loose<${p.type}.Options> = ${JSON.stringify(p.options)};`);
        if (p.fieldConfig.defaults.custom)
          lines.push(`export const custom${p.id}: Loose<${p.type}.FieldConfig> = ${JSON.stringify(p.fieldConfig.defaults.custom)};`);
      }
      return lines.join('\n') + '\n';
    };
    const files: string[] = [];
    for (const { file, d } of [...dashboards('postgres'), ...dashboards('api')]) {
      const f = join(dir, file.replace(/[/.]/g, '_') + '.ts');
      writeFileSync(f, source(d));
      files.push(f);
    }
    // The same check must fail on a dashboard that breaks the schema (a panel option of the wrong type).
    const bad = structuredClone(dashboards('postgres')[0].d);
    (bad.panels[0].options as { showHeader: unknown }).showHeader = 'yes';
    (bad as unknown as { schemaVersion: unknown }).schemaVersion = 'new';
    (bad.panels[1].options as Record<string, unknown>).colour = 'red';
    const badFile = join(dir, 'bad.ts');
    writeFileSync(badFile, source(bad));
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      skipLibCheck: true,
      types: [],
    };
    const program = ts.createProgram([...files, badFile], options);
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const text = (d: ts.Diagnostic) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    const good = diagnostics.filter((d) => d.file?.fileName !== badFile);
    assert.deepEqual(good.map(text), [], 'the shipped dashboards type-check');
    const badErrors = diagnostics
      .filter((d) => d.file?.fileName === badFile)
      .map(text)
      .join('\n');
    assert.match(badErrors, /'string' is not assignable to type 'boolean'/, 'showHeader must be a boolean');
    assert.match(badErrors, /'string' is not assignable to type 'number'/, 'schemaVersion must be a number');
    assert.match(badErrors, /'"?colour"?' does not exist/, 'no unknown panel options');
  },
);
