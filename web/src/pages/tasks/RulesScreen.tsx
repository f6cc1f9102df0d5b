import { useCallback, useEffect, useMemo, useState } from 'react';
import type { BucketSeries } from '../../../../src/model/telemetry.js';
import { RULE_KINDS, SEVERITIES, type Rule, type RuleInput } from '../../../../src/model/alarm.js';
import { useServices } from '../../services.js';
import { useTranslation } from '../../i18n/index.js';
import { TaskApi, type BacktestResult } from '../../tasks/api.js';
import { useFormErrors } from '../../tasks/form.js';
import { Field, FormError, RoleNote, useCan } from '../../tasks/ui.js';
import { TaskTable } from '../../tasks/TaskTable.js';
import { BacktestChart } from '../../tasks/BacktestChart.js';

/** The form as typed: strings until sent, so a half-typed number is not lost. */
interface Draft {
  name: string;
  enabled: boolean;
  severity: RuleInput['severity'];
  scope: RuleInput['scope'];
  target: string;
  kind: RuleInput['kind'];
  metric: string;
  op: '>' | '<' | 'outside';
  value: string;
  low: string;
  high: string;
  deadband: string;
  onDelayMs: string;
  forMs: string;
  description: string;
}

const EMPTY: Draft = {
  name: '',
  enabled: true,
  severity: 'major',
  scope: 'device',
  target: '',
  kind: 'threshold',
  metric: '',
  op: '>',
  value: '',
  low: '',
  high: '',
  deadband: '',
  onDelayMs: '',
  forMs: '',
  description: '',
};

const METRIC_KINDS = new Set(['threshold', 'rate', 'zscore']);
const HOUR = 3600_000;

function fromRule(r: Rule): Draft {
  const s = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return {
    name: r.name,
    enabled: r.enabled,
    severity: r.severity,
    scope: r.scope,
    target: r.target ?? '',
    kind: r.kind,
    metric: r.metric ?? '',
    op: r.op,
    value: s(r.value),
    low: s(r.low),
    high: s(r.high),
    deadband: r.deadband ? String(r.deadband) : '',
    onDelayMs: r.onDelayMs ? String(r.onDelayMs) : '',
    forMs: s(r.forMs),
    description: r.description ?? '',
  };
}

/** The body the API takes: only the fields this kind of rule uses. */
export function toInput(d: Draft): RuleInput {
  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
  const input: RuleInput = { name: d.name.trim(), enabled: d.enabled, severity: d.severity, scope: d.scope, kind: d.kind };
  if (d.scope !== 'all' && d.target.trim()) input.target = d.target.trim();
  if (METRIC_KINDS.has(d.kind) && d.metric.trim()) input.metric = d.metric.trim();
  if (d.kind === 'nodata') input.forMs = num(d.forMs);
  else {
    input.op = d.op;
    if (d.op === 'outside') {
      input.low = num(d.low);
      input.high = num(d.high);
    } else input.value = num(d.value);
    if (num(d.deadband) !== undefined) input.deadband = num(d.deadband);
  }
  if (num(d.onDelayMs) !== undefined) input.onDelayMs = num(d.onDelayMs);
  if (d.description.trim()) input.description = d.description.trim();
  return input;
}

function RuleForm({ editing, onDone }: { editing: Rule | null; onDone(): void }) {
  const { api, devices } = useServices();
  const tasks = useMemo(() => new TaskApi(api), [api]);
  const { t } = useTranslation('rules');
  const { errors, fail, validate, clear } = useFormErrors();
  const [d, setD] = useState<Draft>(editing ? fromRule(editing) : EMPTY);
  const [busy, setBusy] = useState(false);
  const [hours, setHours] = useState(24);
  const [preview, setPreview] = useState<{ result: BacktestResult; device: string; series: BucketSeries | undefined; limits: number[] } | null>(null);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setD((x) => ({ ...x, [k]: v }));
    setPreview(null);
  };
  const deviceIds = devices.list().map((x) => x.id);
  const profiles = [
    ...new Set(
      devices
        .list()
        .map((x) => x.profile)
        .filter((p): p is string => !!p),
    ),
  ];

  /** Backtests the form as it stands (POST /rules/backtest): nothing is saved, nothing live changes. */
  const runPreview = async (form: HTMLFormElement) => {
    if (!validate(form)) return;
    setBusy(true);
    clear();
    const to = Date.now();
    const from = to - hours * HOUR;
    try {
      const result = await tasks.backtestUnsaved(toInput(d), from, to);
      const device = result.alarms[0]?.device ?? (d.scope === 'device' ? d.target.trim() : (result.devices[0] ?? ''));
      const metric = d.metric.trim();
      let series: BucketSeries | undefined;
      if (device && metric) series = (await api.getBuckets(device, { metrics: [metric], from, to, points: 300 })).series[metric];
      const limits = d.kind !== 'threshold' ? [] : d.op === 'outside' ? [Number(d.low), Number(d.high)] : [Number(d.value)];
      setPreview({ result, device, series, limits });
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const save = async (form: HTMLFormElement) => {
    if (!validate(form)) return;
    setBusy(true);
    try {
      if (editing) await tasks.updateRule(editing.id, toInput(d));
      else await tasks.createRule(toInput(d));
      onDone();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const shown = ['name', 'severity', 'scope', 'target', 'kind', 'metric', 'op', 'value', 'low', 'high', 'deadband', 'onDelayMs', 'forMs', 'description'];
  const previewDevices = preview ? new Set(preview.result.alarms.map((a) => a.device)).size : 0;
  return (
    <form
      className="panel task-form"
      data-testid="rule-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save(e.currentTarget);
      }}
    >
      <h2>{editing ? t('form.editTitle', { name: editing.name }) : t('form.newTitle')}</h2>
      <div className="task-grid">
        <Field label={t('field.name')} name="name" errors={errors}>
          {(p) => <input {...p} value={d.name} onChange={(e) => set('name', e.target.value)} required maxLength={200} data-testid="rule-name" />}
        </Field>
        <Field label={t('field.severity')} name="severity" errors={errors}>
          {(p) => (
            <select {...p} value={d.severity} onChange={(e) => set('severity', e.target.value as Draft['severity'])}>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {t(`severity.${s}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('field.scope')} name="scope" errors={errors}>
          {(p) => (
            <select {...p} value={d.scope} onChange={(e) => set('scope', e.target.value as Draft['scope'])} data-testid="rule-scope">
              {(['all', 'device', 'profile'] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`scope.${s}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {d.scope !== 'all' && (
          <Field label={d.scope === 'device' ? t('field.targetDevice') : t('field.targetProfile')} name="target" errors={errors}>
            {(p) => (
              <>
                <input
                  {...p}
                  value={d.target}
                  onChange={(e) => set('target', e.target.value)}
                  required
                  maxLength={128}
                  list="rule-targets"
                  data-testid="rule-target"
                />
                <datalist id="rule-targets">
                  {(d.scope === 'device' ? deviceIds : profiles).map((x) => (
                    <option key={x} value={x} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
        )}
        <Field label={t('field.kind')} name="kind" errors={errors}>
          {(p) => (
            <select {...p} value={d.kind} onChange={(e) => set('kind', e.target.value as Draft['kind'])} data-testid="rule-kind">
              {RULE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`kind.${k}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {METRIC_KINDS.has(d.kind) && (
          <Field label={t('field.metric')} name="metric" errors={errors}>
            {(p) => <input {...p} value={d.metric} onChange={(e) => set('metric', e.target.value)} required maxLength={128} data-testid="rule-metric" />}
          </Field>
        )}
        {d.kind === 'nodata' ? (
          <Field label={t('field.forMs')} name="forMs" errors={errors}>
            {(p) => (
              <input {...p} type="number" value={d.forMs} onChange={(e) => set('forMs', e.target.value)} required min={100} max={30 * 86_400_000} step={1} />
            )}
          </Field>
        ) : (
          <>
            <Field label={t('field.op')} name="op" errors={errors}>
              {(p) => (
                <select {...p} value={d.op} onChange={(e) => set('op', e.target.value as Draft['op'])} data-testid="rule-op">
                  {(['>', '<', 'outside'] as const).map((o) => (
                    <option key={o} value={o}>
                      {t(`op.${o === '>' ? 'above' : o === '<' ? 'below' : 'outside'}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {d.op === 'outside' ? (
              <>
                <Field label={t('field.low')} name="low" errors={errors}>
                  {(p) => <input {...p} type="number" step="any" value={d.low} onChange={(e) => set('low', e.target.value)} required />}
                </Field>
                <Field label={t('field.high')} name="high" errors={errors}>
                  {(p) => <input {...p} type="number" step="any" value={d.high} onChange={(e) => set('high', e.target.value)} required />}
                </Field>
              </>
            ) : (
              <Field label={t('field.value')} name="value" errors={errors}>
                {(p) => (
                  <input {...p} type="number" step="any" value={d.value} onChange={(e) => set('value', e.target.value)} required data-testid="rule-value" />
                )}
              </Field>
            )}
            <Field label={t('field.deadband')} name="deadband" errors={errors} hint={t('hint.deadband')}>
              {(p) => <input {...p} type="number" step="any" min={0} value={d.deadband} onChange={(e) => set('deadband', e.target.value)} />}
            </Field>
          </>
        )}
        <Field label={t('field.onDelayMs')} name="onDelayMs" errors={errors} hint={t('hint.onDelayMs')}>
          {(p) => <input {...p} type="number" min={0} max={86_400_000} step={1} value={d.onDelayMs} onChange={(e) => set('onDelayMs', e.target.value)} />}
        </Field>
        <Field label={t('field.description')} name="description" errors={errors}>
          {(p) => <input {...p} value={d.description} onChange={(e) => set('description', e.target.value)} maxLength={2000} />}
        </Field>
        <div className="task-field task-check">
          <label>
            <input type="checkbox" checked={d.enabled} onChange={(e) => set('enabled', e.target.checked)} data-testid="rule-enabled" /> {t('field.enabled')}
          </label>
        </div>
      </div>
      <FormError errors={errors} shown={shown} />
      <div className="task-preview-bar">
        <label>
          {t('preview.range')}{' '}
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))} data-testid="preview-range">
            {[1, 6, 24, 168].map((h) => (
              <option key={h} value={h}>
                {t('preview.hours', { count: h })}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn" disabled={busy} onClick={(e) => void runPreview(e.currentTarget.form!)} data-testid="rule-preview">
          {t('preview.run')}
        </button>
      </div>
      {preview && (
        <div className="task-preview" data-testid="rule-preview-result" data-alarms={preview.result.alarms.length}>
          <p role="status">
            {t('preview.summary', { count: preview.result.alarms.length, devices: previewDevices, readings: preview.result.readings })}
            {preview.result.truncated && ` ${t('preview.truncated')}`}
          </p>
          {METRIC_KINDS.has(d.kind) && preview.device ? (
            <BacktestChart
              series={preview.series}
              from={preview.result.from}
              to={preview.result.to}
              limits={preview.limits}
              alarms={preview.result.alarms.filter((a) => a.device === preview.device)}
              metric={d.metric.trim()}
              device={preview.device}
            />
          ) : null}
        </div>
      )}
      <div className="action-buttons">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="rule-save">
          {t('form.save')}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  );
}

function condition(r: Rule, t: (k: 'cond.nodata' | 'cond.outside' | 'cond.compare', o: Record<string, unknown>) => string): string {
  if (r.kind === 'nodata') return t('cond.nodata', { seconds: (r.forMs ?? 0) / 1000 });
  const signal = r.metric ?? r.kind;
  if (r.op === 'outside') return t('cond.outside', { signal, low: r.low, high: r.high });
  return t('cond.compare', { signal, op: r.op, value: r.value });
}

/** Alarm rules: the list, enable/disable, and a form with a backtest preview before saving. */
export function RulesScreen() {
  const { api } = useServices();
  const tasks = useMemo(() => new TaskApi(api), [api]);
  const { t } = useTranslation('rules');
  const canChange = useCan('operator');
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  // Deleting asks once more, in the row.
  const [confirming, setConfirming] = useState<string | null>(null);
  const { errors, fail, clear } = useFormErrors();
  const load = useCallback(() => tasks.listRules().then(setRules, fail), [tasks, fail]);
  useEffect(() => void load(), [load]);
  const toggle = (r: Rule) => {
    clear();
    const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = r;
    const input = Object.fromEntries(Object.entries({ ...rest, enabled: !r.enabled }).filter(([, v]) => v !== null)) as unknown as RuleInput;
    if (input.scope === 'all') delete input.target;
    tasks.updateRule(r.id, input).then(load, fail);
  };
  const remove = (r: Rule) => {
    clear();
    setConfirming(null);
    if (editing !== null && editing !== 'new' && editing.id === r.id) setEditing(null);
    tasks.deleteRule(r.id).then(load, fail);
  };
  return (
    <section className="task-screen" data-testid="screen-rules">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
          {canChange && editing === null && (
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} data-testid="rule-new">
              {t('new')}
            </button>
          )}
        </div>
        {!canChange && <RoleNote needed="operator" />}
        <FormError errors={errors} />
        <TaskTable
          name="rules"
          list={rules}
          head={[t('col.name'), t('col.severity'), t('col.scope'), t('col.condition'), t('col.enabled')]}
          actions={t('col.actions')}
          labels={{ loading: t('loading'), none: t('none') }}
          row={(r) => (
            <tr key={r.id} data-testid={`rule-row-${r.name}`}>
              <td>{r.name}</td>
              <td>{t(`severity.${r.severity}`)}</td>
              <td>{r.scope === 'all' ? t('scope.all') : `${t(`scope.${r.scope}`)}: ${r.target}`}</td>
              <td>{condition(r, t)}</td>
              <td>
                <label className="task-switch">
                  <input type="checkbox" checked={r.enabled} disabled={!canChange} onChange={() => toggle(r)} data-testid={`rule-toggle-${r.name}`} />
                  <span>{r.enabled ? t('on') : t('off')}</span>
                  <span className="sr-only">{r.name}</span>
                </label>
              </td>
              <td>
                {canChange &&
                  (confirming === r.id ? (
                    <span className="action-buttons">
                      <span>{t('confirmDelete')}</span>
                      <button type="button" className="btn btn-small" onClick={() => remove(r)} data-testid={`rule-delete-yes-${r.name}`}>
                        {t('deleteYes')}
                        <span className="sr-only"> {r.name}</span>
                      </button>
                      <button type="button" className="btn btn-small" onClick={() => setConfirming(null)} data-testid={`rule-delete-no-${r.name}`}>
                        {t('deleteNo')}
                      </button>
                    </span>
                  ) : (
                    <span className="action-buttons">
                      <button type="button" className="btn btn-small" onClick={() => setEditing(r)} data-testid={`rule-edit-${r.name}`}>
                        {t('edit')}
                        <span className="sr-only"> {r.name}</span>
                      </button>
                      <button type="button" className="btn btn-small" onClick={() => setConfirming(r.id)} data-testid={`rule-delete-${r.name}`}>
                        {t('delete')}
                        <span className="sr-only"> {r.name}</span>
                      </button>
                    </span>
                  ))}
              </td>
            </tr>
          )}
        />
      </div>
      {canChange && editing !== null && (
        <RuleForm
          key={editing === 'new' ? 'new' : editing.id}
          editing={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null);
            void load();
          }}
        />
      )}
    </section>
  );
}
