import { useCallback, useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { formatCount } from '../../state/format.js';
import { hrefs } from '../../hooks/useRoute.js';
import { useFormErrors } from '../../tasks/form.js';
import { Field, FormError } from '../../tasks/ui.js';
import { AdminApi, type AlarmGroupStats, type AlarmStats } from '../../tasks/admin-api.js';
import { SEVERITIES } from '../../../../src/model/alarm.js';
import { taskHref } from '../../tasks/routes.js';

const PERIODS = ['1d', '7d', '30d', 'all', 'custom'] as const;
type Period = (typeof PERIODS)[number];
const DAY = 86_400_000;
const LIMIT = 50;
const FIELDS = ['period', 'from', 'to'];

/** A duration in the largest unit that reads well (s, min, h, d), by Intl in the language. */
export function formatDuration(ms: number, lang: string): string {
  const [value, unit] =
    ms < 90_000 ? [ms / 1000, 'second'] : ms < 90 * 60_000 ? [ms / 60_000, 'minute'] : ms < 48 * 3_600_000 ? [ms / 3_600_000, 'hour'] : [ms / DAY, 'day'];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}

/**
 * Alarm statistics (GET /api/v1/alarms/stats) over a chosen period: totals by severity, per rule and
 * per device, and how long alarms took to be acknowledged and cleared.
 */
export function AlarmStatsScreen() {
  const { api } = useServices();
  const admin = useMemo(() => new AdminApi(api), [api]);
  const { t } = useTranslation('alarmstats');
  const { t: tg } = useTranslation('general');
  const lang = currentLanguage();
  const [period, setPeriod] = useState<Period>('7d');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [asked, setAsked] = useState<{ from?: number; to?: number }>(() => ({ from: Date.now() - 7 * DAY }));
  const [stats, setStats] = useState<AlarmStats | null>(null);
  const form = useFormErrors();
  const load = useCallback((q: { from?: number; to?: number }) => admin.alarmStats({ ...q, limit: LIMIT }).then(setStats, form.fail), [admin, form.fail]);
  useEffect(() => void load(asked), [load, asked]);

  const apply = (el: HTMLFormElement) => {
    const extra: Record<string, { rule: string }> = {};
    let q: { from?: number; to?: number } = {};
    if (period === 'custom') {
      const f = from ? new Date(from).getTime() : undefined;
      const e = to ? new Date(to).getTime() : undefined;
      if (f !== undefined && e !== undefined && f >= e) extra.from = { rule: 'order' };
      q = { from: f, to: e };
    } else if (period !== 'all') q = { from: Date.now() - { '1d': 1, '7d': 7, '30d': 30 }[period] * DAY };
    if (!form.validate(el, extra)) return;
    setStats(null);
    setAsked(q);
  };
  const dur = (d: { count: number; meanMs: number | null; maxMs: number | null }) =>
    d.count === 0 || d.meanMs === null || d.maxMs === null
      ? t('never')
      : t('meanMax', { mean: formatDuration(d.meanMs, lang), max: formatDuration(d.maxMs, lang), count: formatCount(d.count, lang) });
  const mean = (d: { meanMs: number | null }) => (d.meanMs === null ? '' : formatDuration(d.meanMs, lang));

  const table = (kind: 'rule' | 'device', rows: AlarmGroupStats[], total: number) => (
    <>
      <h3>{kind === 'rule' ? t('byRule') : t('byDevice')}</h3>
      {rows.length < total && <p className="task-note">{t('limited', { shown: formatCount(rows.length, lang), count: formatCount(total, lang) })}</p>}
      <table className="admin-table" data-testid={`stats-${kind}s`}>
        <thead>
          <tr>
            <th scope="col">{kind === 'rule' ? t('col.rule') : t('col.device')}</th>
            <th scope="col">{t('col.count')}</th>
            <th scope="col">{t('col.occurrences')}</th>
            <th scope="col">{t('col.open')}</th>
            <th scope="col">{t('col.acked')}</th>
            <th scope="col">{t('col.toAck')}</th>
            <th scope="col">{t('col.toClear')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.key}
              data-testid={`stats-${kind}-${r.key}`}
              data-count={r.count}
              data-open={r.open}
              data-acked={r.acked}
              data-ack-mean={r.toAck.meanMs ?? ''}
              data-clear-mean={r.toClear.meanMs ?? ''}
            >
              <td>{kind === 'rule' ? <a href={taskHref('rules')}>{r.name ?? r.key}</a> : <a href={hrefs.device(r.key)}>{r.key}</a>}</td>
              <td>{formatCount(r.count, lang)}</td>
              <td>{formatCount(r.occurrences, lang)}</td>
              <td>{formatCount(r.open, lang)}</td>
              <td>{formatCount(r.acked, lang)}</td>
              <td>{mean(r.toAck)}</td>
              <td>{mean(r.toClear)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );

  return (
    <section className="task-screen" data-testid="screen-stats">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <p className="task-note">{t('note')}</p>
        <form
          className="task-form"
          noValidate
          data-testid="stats-form"
          onSubmit={(e) => {
            e.preventDefault();
            apply(e.currentTarget);
          }}
        >
          <div className="task-grid">
            <Field label={t('period')} name="period" errors={form.errors}>
              {(p) => (
                <select {...p} value={period} onChange={(e) => setPeriod(e.target.value as Period)} data-testid="stats-period">
                  {PERIODS.map((k) => (
                    <option key={k} value={k}>
                      {t(`periods.${k}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {period === 'custom' && (
              <>
                <Field label={t('from')} name="from" errors={form.errors}>
                  {(p) => <input {...p} type="datetime-local" required value={from} onChange={(e) => setFrom(e.target.value)} data-testid="stats-from" />}
                </Field>
                <Field label={t('to')} name="to" errors={form.errors}>
                  {(p) => <input {...p} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} data-testid="stats-to" />}
                </Field>
              </>
            )}
          </div>
          <FormError errors={form.errors} shown={FIELDS} />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="stats-apply">
              {t('apply')}
            </button>
          </div>
        </form>
      </div>
      {stats === null ? (
        <p className="empty">{t('loading')}</p>
      ) : stats.total === 0 ? (
        <p className="empty" data-testid="stats-none">
          {t('none')}
        </p>
      ) : (
        <div className="panel" data-testid="stats-result" data-total={stats.total} data-open={stats.open} data-from={stats.from ?? ''} data-to={stats.to ?? ''}>
          <h3>{t('summary')}</h3>
          <dl className="import-counts" data-testid="stats-summary">
            <div>
              <dt>{t('total')}</dt>
              <dd>{formatCount(stats.total, lang)}</dd>
            </div>
            <div>
              <dt>{t('open')}</dt>
              <dd>{formatCount(stats.open, lang)}</dd>
            </div>
            {SEVERITIES.filter((s) => stats.bySeverity[s] > 0).map((s) => (
              <div key={s} data-testid={`stats-severity-${s}`} data-value={stats.bySeverity[s]}>
                <dt>{tg(`severity.${s}`)}</dt>
                <dd>{formatCount(stats.bySeverity[s], lang)}</dd>
              </div>
            ))}
            {stats.toAck && (
              <div data-testid="stats-to-ack">
                <dt>{t('toAck')}</dt>
                <dd>{dur(stats.toAck)}</dd>
              </div>
            )}
            {stats.toClear && (
              <div data-testid="stats-to-clear">
                <dt>{t('toClear')}</dt>
                <dd>{dur(stats.toClear)}</dd>
              </div>
            )}
          </dl>
          {stats.byRule && table('rule', stats.byRule, stats.rules ?? stats.byRule.length)}
          {stats.byDevice && table('device', stats.byDevice, stats.devices ?? stats.byDevice.length)}
        </div>
      )}
    </section>
  );
}
