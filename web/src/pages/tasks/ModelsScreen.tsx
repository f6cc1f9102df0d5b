import { useCallback, useEffect, useMemo, useState } from 'react';
import type { BucketSeries } from '../../../../src/model/telemetry.js';
import { ApiError } from '../../api.js';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { hrefs } from '../../hooks/useRoute.js';
import { useThrottledStore } from '../../hooks/useThrottled.js';
import { formatDateTime } from '../../state/format.js';
import { useFormErrors, type FormErrors } from '../../tasks/form.js';
import { Field, FormError, RoleNote, useCan, useRuleText } from '../../tasks/ui.js';
import { HealthyWindowChart, ModelBacktestChart } from '../../tasks/ModelCharts.js';
import { BundleUpload } from '../../tasks/BundleUpload.js';
import { MODEL_OUTPUTS, ModelApi, slotsOf, type BacktestReport, type BundleView, type FitInput, type RulStats } from '../../tasks/models-api.js';

/** Model bundles (serve-ml) per equipment or profile and power bucket: versions, the active one, their scores; fit, backtest, activate; RUL per device. */
export function ModelsScreen() {
  const { api } = useServices();
  const models = useMemo(() => new ModelApi(api), [api]);
  const { t } = useTranslation('models');
  const [bundles, setBundles] = useState<BundleView[] | null>(null);
  const [loadErrors, setLoadErrors] = useState<unknown[]>([]);
  const [stats, setStats] = useState<RulStats | null>(null);
  const { errors, fail } = useFormErrors();
  const canChange = useCan('operator');
  const reload = useCallback(() => {
    models.bundles().then((r) => {
      setBundles(r.bundles);
      setLoadErrors(r.errors ?? []);
    }, fail);
    models.stats().then(setStats, fail);
  }, [models, fail]);
  useEffect(reload, [reload]);
  const num = useMemo(() => new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: 3 }), []);
  return (
    <section className="task-screen" data-testid="screen-models">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <FormError errors={errors} />
        {loadErrors.length > 0 && (
          <p className="hint hint-error" role="alert">
            {t('loadErrors', { count: loadErrors.length })}
          </p>
        )}
        {bundles === null ? (
          <p className="empty">{t('loading')}</p>
        ) : bundles.length === 0 ? (
          <p className="empty">{t('none')}</p>
        ) : (
          <ModelList bundles={bundles} canChange={canChange} onChanged={reload} />
        )}
      </div>
      {canChange && <BundleUpload onChanged={reload} />}
      {canChange ? (
        <FitFlow models={models} onChanged={reload} />
      ) : (
        <div className="panel">
          <h2>{t('fit.title')}</h2>
          <RoleNote needed="operator" />
        </div>
      )}
      {stats && stats.devices.length > 0 && (
        <div className="panel">
          <div className="panel-head">
            <h2>{t('rulTitle')}</h2>
          </div>
          <table className="admin-table" data-testid="rul-table">
            <thead>
              <tr>
                <th scope="col">{t('col.device')}</th>
                <th scope="col">{t('col.predictions')}</th>
                <th scope="col">{t('col.latestRul')}</th>
                <th scope="col">{t('col.minRul')}</th>
                <th scope="col">{t('col.anomalies')}</th>
              </tr>
            </thead>
            <tbody>
              {stats.devices.map((d) => (
                <tr key={d.device}>
                  <td>
                    <a href={hrefs.device(d.device)}>{d.device}</a>
                  </td>
                  <td>{d.predictions}</td>
                  <td>{d.latest_rul_days === null ? '' : t('days', { value: num.format(d.latest_rul_days) })}</td>
                  <td>{d.min_rul_days === null ? '' : t('days', { value: num.format(d.min_rul_days) })}</td>
                  <td>{d.anomalies}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Versions grouped per equipment (or profile) and power bucket; activate a version, roll the slot back. */
function ModelList({ bundles, canChange, onChanged }: { bundles: BundleView[]; canChange: boolean; onChanged(): void }) {
  const { api } = useServices();
  const models = useMemo(() => new ModelApi(api), [api]);
  const { t } = useTranslation('models');
  const { errors, fail, clear } = useFormErrors();
  const [busy, setBusy] = useState(false);
  const num = useMemo(() => new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: 3 }), []);
  const fmt = (v: unknown) => (typeof v === 'number' ? num.format(v) : JSON.stringify(v));
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    clear();
    try {
      await fn();
      onChanged();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };
  const slots = slotsOf(bundles);
  return (
    <>
      <FormError errors={errors} />
      {slots.map((s) => (
        <div key={`${s.target}/${s.power}`} className="model-slot" data-testid={`model-slot-${s.target}/${s.power}`}>
          <div className="model-slot-head">
            <h3>
              {s.target.startsWith('profile:') ? t('slot.profile', { profile: s.target.slice(8) }) : t('slot.equipment', { id: s.target })}{' '}
              <span className="hint">{t('slot.power', { power: s.power })}</span>
            </h3>
            <span className="hint" data-testid="model-slot-active">
              {s.active ? t('slot.active', { version: s.active.model_version }) : t('slot.noneActive')}
            </span>
            {canChange && s.versions.length > 1 && (
              <button
                type="button"
                className="btn btn-small"
                disabled={busy}
                data-testid={`model-rollback-${s.target}/${s.power}`}
                onClick={() => void act(() => models.rollback(s.target, s.power))}
              >
                {t('rollback')}
              </button>
            )}
          </div>
          <table className="admin-table" data-testid="models-table">
            <thead>
              <tr>
                <th scope="col">{t('col.version')}</th>
                <th scope="col">{t('col.origin')}</th>
                <th scope="col">{t('col.runtime')}</th>
                <th scope="col">{t('col.features')}</th>
                <th scope="col">{t('col.status')}</th>
                <th scope="col">{t('col.thresholds')}</th>
                <th scope="col">{t('col.scores')}</th>
                {canChange && <th scope="col">{t('col.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {s.versions.map((b) => (
                <tr key={b.id} data-testid={`model-row-${b.id}`} data-active={b.active}>
                  <td>{b.model_version}</td>
                  <td>{t(`origin.${b.origin}` as 'origin.fitted', { defaultValue: b.origin })}</td>
                  <td>{b.runtime ?? ''}</td>
                  <td>{(b.manifest.features ?? []).join(', ')}</td>
                  <td>
                    <span className={b.active ? 'badge badge-ok' : 'badge'}>{b.active ? t('active') : t('inactive')}</span>
                  </td>
                  <td>
                    {Object.entries(b.manifest.thresholds ?? {})
                      .filter(([, v]) => typeof v === 'number')
                      .map(([k, v]) => (
                        <div key={k}>
                          {k}: {fmt(v)}
                        </div>
                      ))}
                  </td>
                  <td>
                    {Object.entries(b.manifest.training?.metrics ?? {}).map(([k, v]) => (
                      <div key={k}>
                        {k}: {fmt(v)}
                      </div>
                    ))}
                  </td>
                  {canChange && (
                    <td>
                      {!b.active && (
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={busy}
                          data-testid={`model-activate-${b.id}`}
                          onClick={() => void act(() => models.activate(b.id))}
                        >
                          {t('activate')}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

const DAY = 86_400_000;

/** "yyyy-mm-ddThh:mm" in local time, for <input type=datetime-local>. */
export function localInput(ts: number): string {
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
const fromLocalInput = (s: string): number | undefined => {
  const ts = s ? new Date(s).getTime() : NaN;
  return Number.isFinite(ts) ? ts : undefined;
};

interface FitDraft {
  device: string;
  forProfile: boolean;
  features: string[];
  from: string;
  to: string;
  model_version: string;
  window: string;
  trend_steps: string;
  failed_at: string;
  max_rul_days: string;
}

/** A refusal that names a field is shown at that field, whatever its status (422 enough_history at "from", 409 window...). */
function atField(err: unknown): FormErrors | null {
  if (!(err instanceof ApiError) || err.status < 400 || err.status >= 500 || err.status === 403 || err.status === 401 || err.status === 429) return null;
  const b = (err.body && typeof err.body === 'object' ? err.body : {}) as { error?: unknown; field?: unknown; rule?: unknown };
  if (typeof b.field !== 'string' || typeof b.rule !== 'string') return null;
  return { fields: { [b.field]: { rule: b.rule, message: typeof b.error === 'string' ? b.error : err.message } }, form: null };
}

/**
 * Fit a model on a window the operator marks healthy (POST /serve-ml/fit), replay the device's
 * stored history through it (POST /serve-ml/backtest: scores against the threshold, RUL), then
 * activate it. Nothing serves until the last step.
 */
function FitFlow({ models, onChanged }: { models: ModelApi; onChanged(): void }) {
  const { api, devices, refreshDevices } = useServices();
  useThrottledStore(devices, 1000);
  const [spanDays, setSpanDays] = useState(1);
  const { t } = useTranslation('models');
  const lang = currentLanguage();
  const { errors, fail, validate, set: setErrors, clear } = useFormErrors();
  const deviceList = devices.list();
  const [d, setD] = useState<FitDraft>({
    device: '',
    forProfile: false,
    features: [],
    from: '',
    to: '',
    model_version: '',
    window: '',
    trend_steps: '',
    failed_at: '',
    max_rul_days: '',
  });
  const [busy, setBusy] = useState<'fit' | 'backtest' | 'activate' | null>(null);
  const [fitted, setFitted] = useState<BundleView | null>(null);
  const [report, setReport] = useState<BacktestReport | null>(null);
  const [activated, setActivated] = useState<BundleView | null>(null);
  const [history, setHistory] = useState<{ device: string; metric: string; series: BucketSeries | undefined; from: number; to: number } | null>(null);
  const device = devices.get(d.device);
  const features = device ? Object.keys(device.latest).filter((m) => !MODEL_OUTPUTS.includes(m)) : [];
  const chartMetric = d.features[0] ?? features[0] ?? '';
  const upd = <K extends keyof FitDraft>(k: K, v: FitDraft[K]) => {
    setD((x) => ({ ...x, [k]: v }));
    if (k !== 'from' && k !== 'to') setFitted(null);
    setReport(null);
    setActivated(null);
  };

  useEffect(() => {
    refreshDevices().catch(() => undefined);
  }, [refreshDevices]);
  // The device's stored history of one feature over the chosen span, for marking the healthy window on it.
  useEffect(() => {
    if (!device || !chartMetric) {
      setHistory(null);
      return;
    }
    const ctl = new AbortController();
    const to = Math.max(Date.now(), device.lastSeen);
    const from = to - spanDays * DAY;
    api.getBuckets(device.id, { metrics: [chartMetric], from, to, points: 300 }, { signal: ctl.signal }).then(
      (p) => setHistory({ device: device.id, metric: chartMetric, series: p.series[chartMetric], from, to }),
      () => undefined,
    );
    return () => ctl.abort();
    // device changes identity on every update: its id is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, device?.id, chartMetric, spanDays]);

  const input = (): FitInput => {
    const n = (s: string) => (s.trim() === '' ? undefined : Number(s));
    const body: FitInput = { device: d.device, features: d.features, from: fromLocalInput(d.from)!, to: fromLocalInput(d.to)! };
    if (d.forProfile && device?.profile) body.profile = device.profile;
    if (d.model_version.trim()) body.model_version = d.model_version.trim();
    if (n(d.window) !== undefined) body.window = n(d.window);
    if (n(d.trend_steps) !== undefined) body.trend_steps = n(d.trend_steps);
    if (n(d.max_rul_days) !== undefined) body.max_rul_days = n(d.max_rul_days);
    const failed = fromLocalInput(d.failed_at);
    if (failed !== undefined) body.failed_at = failed;
    return body;
  };

  const fit = async (form: HTMLFormElement) => {
    // What the API checks beyond the browser: at least one feature, the window in order.
    const extra: FormErrors['fields'] = {};
    if (d.features.length === 0) extra.features = { rule: 'minItems' };
    const from = fromLocalInput(d.from);
    const to = fromLocalInput(d.to);
    if (from !== undefined && to !== undefined && !(from < to)) extra.from = { rule: 'order' };
    if (!validate(form, extra)) return;
    setBusy('fit');
    setFitted(null);
    setReport(null);
    try {
      const b = await models.fit(input());
      setFitted(b);
      onChanged();
    } catch (err) {
      const e = atField(err);
      if (e) setErrors(e);
      else fail(err);
    } finally {
      setBusy(null);
    }
  };

  const backtest = async () => {
    if (!fitted || !device) return;
    setBusy('backtest');
    clear();
    try {
      const body = input();
      // Over the history shown: the healthy window and what came after it.
      const q = {
        id: fitted.id,
        device: device.id,
        from: Math.min(history?.from ?? body.from, body.from),
        to: Math.max(history?.to ?? Date.now(), body.to) + 1,
      };
      setReport(await models.backtest(body.failed_at !== undefined ? { ...q, failed_at: body.failed_at } : q));
    } catch (err) {
      const e = atField(err);
      if (e) setErrors(e);
      else fail(err);
    } finally {
      setBusy(null);
    }
  };

  const activate = async () => {
    if (!fitted) return;
    setBusy('activate');
    clear();
    try {
      setActivated(await models.activate(fitted.id));
      onChanged();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(null);
    }
  };

  const shown = ['device', 'profile', 'features', 'from', 'to', 'model_version', 'window', 'trend_steps', 'failed_at', 'max_rul_days'];
  const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 3 });
  const pct = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });
  return (
    <form
      className="panel task-form"
      data-testid="fit-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void fit(e.currentTarget);
      }}
    >
      <h2>{t('fit.title')}</h2>
      <p className="task-note">{t('fit.intro')}</p>
      <div className="task-grid">
        <Field label={t('fit.device')} name="device" errors={errors}>
          {(p) => (
            <>
              <input
                {...p}
                value={d.device}
                required
                maxLength={128}
                pattern="[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}"
                list="fit-devices"
                autoComplete="off"
                data-testid="fit-device"
                onChange={(e) => {
                  upd('device', e.target.value);
                  setD((x) => ({ ...x, device: e.target.value, features: [] }));
                }}
              />
              {/* A fleet can hold many thousands of devices: offer the first few that match what is typed. */}
              <datalist id="fit-devices">
                {deviceList
                  .filter((x) => x.id.startsWith(d.device))
                  .slice(0, 50)
                  .map((x) => (
                    <option key={x.id} value={x.id} />
                  ))}
              </datalist>
            </>
          )}
        </Field>
        {device?.profile && (
          <div className="task-field task-check">
            <label>
              <input type="checkbox" checked={d.forProfile} onChange={(e) => upd('forProfile', e.target.checked)} data-testid="fit-for-profile" />{' '}
              {t('fit.forProfile', { profile: device.profile })}
            </label>
          </div>
        )}
        <Field label={t('fit.modelVersion')} name="model_version" errors={errors} hint={t('fit.modelVersionHint')}>
          {(p) => (
            <input
              {...p}
              value={d.model_version}
              onChange={(e) => upd('model_version', e.target.value)}
              pattern="[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}"
              maxLength={128}
              data-testid="fit-version"
            />
          )}
        </Field>
      </div>
      {device && (
        <fieldset
          className="task-metrics fit-features"
          aria-invalid={!!errors.fields.features}
          aria-describedby={errors.fields.features ? 'fit-features-err' : undefined}
        >
          <legend>{t('fit.features')}</legend>
          {features.length === 0 && <span className="hint">{t('fit.noFeatures')}</span>}
          {features.map((m) => (
            <label key={m} className="fit-feature">
              <input
                type="checkbox"
                name="features"
                value={m}
                checked={d.features.includes(m)}
                data-testid={`fit-feature-${m}`}
                onChange={(e) => upd('features', e.target.checked ? [...d.features, m] : d.features.filter((x) => x !== m))}
              />{' '}
              {m}
            </label>
          ))}
          {errors.fields.features && <FieldErrorText id="fit-features-err" name="features" errors={errors} />}
        </fieldset>
      )}
      {device && (
        <div className="task-preview-bar">
          <label>
            {t('fit.span')}{' '}
            <select value={spanDays} onChange={(e) => setSpanDays(Number(e.target.value))} data-testid="fit-span">
              {[1, 7, 30, 365].map((n) => (
                <option key={n} value={n}>
                  {t('fit.spanDays', { count: n })}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {device && history && history.device === device.id && (
        <HealthyWindowChart
          series={history.series}
          from={history.from}
          to={history.to}
          selFrom={fromLocalInput(d.from) ?? null}
          selTo={fromLocalInput(d.to) ?? null}
          metric={history.metric}
          device={device.id}
          onSelect={(a, b) => {
            upd('from', localInput(a));
            upd('to', localInput(b + 59_999));
          }}
        />
      )}
      <div className="task-grid">
        <Field label={t('fit.from')} name="from" errors={errors} hint={t('fit.rangeHint')}>
          {(p) => <input {...p} type="datetime-local" value={d.from} onChange={(e) => upd('from', e.target.value)} required data-testid="fit-from" />}
        </Field>
        <Field label={t('fit.to')} name="to" errors={errors}>
          {(p) => <input {...p} type="datetime-local" value={d.to} onChange={(e) => upd('to', e.target.value)} required data-testid="fit-to" />}
        </Field>
        <Field label={t('fit.window')} name="window" errors={errors} hint={t('fit.windowHint')}>
          {(p) => (
            <input {...p} type="number" min={1} max={1000} step={1} value={d.window} onChange={(e) => upd('window', e.target.value)} data-testid="fit-window" />
          )}
        </Field>
        <Field label={t('fit.trendSteps')} name="trend_steps" errors={errors} hint={t('fit.trendStepsHint')}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={3}
              max={100_000}
              step={1}
              value={d.trend_steps}
              onChange={(e) => upd('trend_steps', e.target.value)}
              data-testid="fit-trend-steps"
            />
          )}
        </Field>
        <Field label={t('fit.failedAt')} name="failed_at" errors={errors} hint={t('fit.failedAtHint')}>
          {(p) => <input {...p} type="datetime-local" value={d.failed_at} onChange={(e) => upd('failed_at', e.target.value)} data-testid="fit-failed-at" />}
        </Field>
        <Field label={t('fit.maxRul')} name="max_rul_days" errors={errors}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={0.001}
              step="any"
              value={d.max_rul_days}
              onChange={(e) => upd('max_rul_days', e.target.value)}
              data-testid="fit-max-rul"
            />
          )}
        </Field>
      </div>
      <FormError errors={errors} shown={shown} />
      <div className="task-preview-bar">
        <button type="submit" className="btn btn-primary" disabled={busy !== null} data-testid="fit-run">
          {busy === 'fit' ? t('fit.fitting') : t('fit.run')}
        </button>
      </div>
      {fitted && (
        <div className="model-step" data-testid="fit-result" data-bundle={fitted.id}>
          <h3>{t('fit.fitted', { id: fitted.id })}</h3>
          <p className="hint">
            {Object.entries(fitted.manifest.thresholds ?? {})
              .filter(([, v]) => typeof v === 'number')
              .map(([k, v]) => `${k} ${num.format(v as number)}`)
              .join(' · ')}
          </p>
          <button type="button" className="btn" disabled={busy !== null} onClick={() => void backtest()} data-testid="backtest-run">
            {busy === 'backtest' ? t('backtest.running') : t('backtest.run')}
          </button>
        </div>
      )}
      {report && (
        <div className="model-step" data-testid="backtest-result" data-windows={report.windows} data-anomalies={report.anomalies}>
          <h3>{t('backtest.title')}</h3>
          <dl className="model-counts">
            <div>
              <dt>{t('backtest.windows')}</dt>
              <dd data-testid="backtest-windows">{report.windows}</dd>
            </div>
            <div>
              <dt>{t('backtest.anomalies')}</dt>
              <dd data-testid="backtest-anomalies">
                {report.anomalies} ({pct.format(report.anomaly_rate)})
              </dd>
            </div>
            <div>
              <dt>{t('backtest.firstAnomaly')}</dt>
              <dd>{report.first_anomaly === null ? t('backtest.never') : formatDateTime(report.first_anomaly, lang)}</dd>
            </div>
            <div>
              <dt>{t('backtest.threshold')}</dt>
              <dd>{report.threshold === null ? '—' : num.format(report.threshold)}</dd>
            </div>
            {report.rul_rmse_days !== null && (
              <div>
                <dt>{t('backtest.rulRmse')}</dt>
                <dd data-testid="backtest-rmse">{t('days', { value: num.format(report.rul_rmse_days) })}</dd>
              </div>
            )}
          </dl>
          <ModelBacktestChart points={report.points} device={report.device} />
          {activated ? (
            <p className="hint" role="status" data-testid="fit-activated">
              {t('activated', { id: activated.id })} <a href={hrefs.device(report.device)}>{t('openDevice', { device: report.device })}</a>
            </p>
          ) : (
            <button type="button" className="btn btn-primary" disabled={busy !== null} onClick={() => void activate()} data-testid="fit-activate">
              {t('activateFitted')}
            </button>
          )}
        </div>
      )}
    </form>
  );
}

/** A field's error where Field does not apply (a group of checkboxes). */
function FieldErrorText({ id, name, errors }: { id: string; name: string; errors: FormErrors }) {
  const text = useRuleText();
  const e = errors.fields[name];
  if (!e) return null;
  return (
    <span className="task-error" id={id} data-testid={`field-error-${name}`} data-rule={e.rule}>
      {text(e, name)}
    </span>
  );
}
