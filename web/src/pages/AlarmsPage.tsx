import { useEffect, useState } from 'react';
import type { Alarm, Severity } from '../../../src/model/alarm.js';
import { SEVERITIES } from '../../../src/model/alarm.js';
import { AlarmActionForm } from '../components/AlarmAction.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { hrefs } from '../hooks/useRoute.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { useServices } from '../services.js';
import { type AlarmFilter, alarmQuery, isSystemAlarm } from '../state/alarms.js';
import { formatDateTime, formatValue } from '../state/format.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { enumLabel } from '../state/profiles.js';

const STATUS_CHOICES: AlarmFilter['status'][] = ['attention', 'open', 'active_unacked', 'active_acked', 'cleared_unacked', 'cleared_acked', 'all'];

/** yyyy-mm-dd in local time, for <input type=date>. */
function dateInput(ts: number): string {
  if (!Number.isFinite(ts)) return '';
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function AlarmsPage({ device }: { device: string }) {
  const { api, alarms, devices, profiles } = useServices();
  const { t } = useTranslation('alarms');
  const { t: g } = useTranslation('general');
  const lang = currentLanguage();
  const storeVersion = useThrottledStore(alarms, 250);
  const [filter, setFilter] = useState<AlarmFilter>({ status: 'attention', severity: 'all', device, from: NaN, to: NaN, origin: 'all' });
  const [list, setList] = useState<Alarm[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [storeDown, setStoreDown] = useState(false);
  const [acting, setActing] = useState<{ id: number; action: 'ack' | 'clear' } | null>(null);
  const query = alarmQuery(filter);

  useEffect(() => {
    const ctrl = new AbortController();
    // Live changes arrive through the store; the list is re-asked for (throttled) when it moves.
    const t = setTimeout(() => {
      api.alarmList(query, { signal: ctrl.signal }).then(
        (l) => {
          setList(l.alarms);
          setStoreDown(!!l.storeUnavailable);
          setError(null);
        },
        (err: unknown) => {
          if (!ctrl.signal.aborted) setError(err instanceof Error ? err.message : String(err));
        },
      );
    }, 100);
    return () => {
      clearTimeout(t);
      ctrl.abort();
    };
  }, [api, query, storeVersion]);

  // Show the store's newer copy of each alarm (a live ack shows before the list is re-read).
  const rows = (list ?? []).map((a) => {
    const s = alarms.get(a.id);
    return s && s.status !== a.status ? s : a;
  });

  const systemRows = rows.filter(isSystemAlarm);
  const deviceRows = rows.filter((a) => !isSystemAlarm(a));

  // An enum metric's value by its label (fault_type 1 -> unbalance), a quantity by its digits.
  const valueText = (a: Alarm): string => {
    const v = a.lastValue ?? NaN;
    const spec = profiles.spec(devices.get(a.device)?.profile, a.metric ?? '');
    return enumLabel(spec, v, lang) ?? formatValue(v, lang);
  };

  const renderRow = (a: Alarm) => (
    <div
      key={a.id}
      className={`alarm-row sev-${a.severity} ${a.status.startsWith('active') ? 'alarm-active' : ''}`}
      data-testid={`alarm-row-${a.id}`}
      data-status={a.status}
    >
      <div className="alarm-main">
        <span className={`sev sev-${a.severity}`}>{g(`severity.${a.severity}`)}</span>
        <span className="alarm-status" data-testid={`alarm-status-${a.id}`}>
          {t(`status.${a.status}`)}
        </span>
        {isSystemAlarm(a) ? (
          <span className="alarm-device alarm-system" data-testid={`alarm-system-${a.id}`}>
            {t('system', { metric: a.metric })}
          </span>
        ) : (
          <a href={hrefs.device(a.device)} className="alarm-device">
            {a.device}
          </a>
        )}
        <span className="alarm-rule">{a.ruleName}</span>
        <span className="alarm-msg">{a.message}</span>
      </div>
      <div className="alarm-meta">
        {t('raised')} <RelativeTime ts={a.raisedAt} /> · {formatDateTime(a.raisedAt, lang)}
        {a.lastValue != null && ` · ${t('last', { value: valueText(a) })}`}
        {a.count > 1 && ` · ${t('times', { count: a.count })}`}
        {a.ackedBy && ` · ${t('ackedBy', { by: a.ackedBy })}`}
        {a.clearedBy && ` · ${t('clearedBy', { by: a.clearedBy })}`}
      </div>
      {a.id < 0 ? (
        <div className="alarm-actions alarm-unstored">{t('unstored')}</div>
      ) : acting?.id === a.id ? (
        <AlarmActionForm alarm={a} action={acting.action} onDone={() => setActing(null)} />
      ) : (
        <div className="alarm-actions">
          {(a.status === 'active_unacked' || a.status === 'cleared_unacked') && (
            <button type="button" className="btn btn-small" data-testid={`alarm-ack-${a.id}`} onClick={() => setActing({ id: a.id, action: 'ack' })}>
              {t('acknowledge')}
            </button>
          )}
          {a.status.startsWith('active') && (
            <button type="button" className="btn btn-small" data-testid={`alarm-clear-${a.id}`} onClick={() => setActing({ id: a.id, action: 'clear' })}>
              {t('clear')}
            </button>
          )}
        </div>
      )}
    </div>
  );

  return (
    <main className="page">
      <div className="toolbar">
        <h1 className="page-title">{t('title')}</h1>
        <select
          aria-label={t('statusLabel')}
          value={filter.status}
          onChange={(e) => setFilter({ ...filter, status: e.target.value as AlarmFilter['status'] })}
          data-testid="alarm-filter-status"
        >
          {STATUS_CHOICES.map((c) => (
            <option key={c} value={c}>
              {t(`statusChoice.${c}`)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('severityLabel')}
          value={filter.severity}
          onChange={(e) => setFilter({ ...filter, severity: e.target.value as Severity | 'all' })}
          data-testid="alarm-filter-severity"
        >
          <option value="all">{t('anySeverity')}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {g(`severity.${s}`)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('originLabel')}
          value={filter.origin ?? 'all'}
          onChange={(e) => setFilter({ ...filter, origin: e.target.value as AlarmFilter['origin'] })}
          data-testid="alarm-filter-origin"
        >
          <option value="all">{t('origin.all')}</option>
          <option value="device">{t('origin.device')}</option>
          <option value="system">{t('origin.system')}</option>
        </select>
        <input
          className="search"
          type="search"
          placeholder={t('devicePlaceholder')}
          aria-label={t('deviceLabel')}
          value={filter.device}
          onChange={(e) => setFilter({ ...filter, device: e.target.value })}
          data-testid="alarm-filter-device"
        />
        <label className="date-filter">
          {t('from')}
          <input
            type="date"
            value={dateInput(filter.from)}
            onChange={(e) => setFilter({ ...filter, from: e.target.value ? new Date(`${e.target.value}T00:00`).getTime() : NaN })}
            data-testid="alarm-filter-from"
          />
        </label>
        <label className="date-filter">
          {t('to')}
          <input
            type="date"
            value={dateInput(filter.to - 1)}
            onChange={(e) => setFilter({ ...filter, to: e.target.value ? new Date(`${e.target.value}T00:00`).getTime() + 86_400_000 : NaN })}
            data-testid="alarm-filter-to"
          />
        </label>
      </div>

      {error && (
        <div className="banner banner-error" role="alert">
          {t('loadFailed', { error })}
        </div>
      )}
      {storeDown && (
        <div className="banner banner-error" role="alert" data-testid="store-unavailable">
          {t('storeDown')}
        </div>
      )}
      {list === null ? (
        <p className="empty">{t('loading')}</p>
      ) : rows.length === 0 ? (
        <p className="empty" data-testid="no-alarms">
          {t('noMatch')}
        </p>
      ) : (
        <>
          {systemRows.length > 0 && (
            <section className="alarm-section" data-testid="system-alarms">
              <h2 className="section-title">{t('fieldscopeItself')}</h2>
              <div className="alarm-list" data-testid="system-alarm-list">
                {systemRows.map(renderRow)}
              </div>
            </section>
          )}
          {deviceRows.length > 0 && (
            <section className="alarm-section" data-testid="device-alarms">
              {systemRows.length > 0 && <h2 className="section-title">{t('devices')}</h2>}
              <div className="alarm-list" data-testid="alarm-list">
                {deviceRows.map(renderRow)}
              </div>
            </section>
          )}
        </>
      )}
    </main>
  );
}
