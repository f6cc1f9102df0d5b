import { useEffect, useState } from 'react';
import type { Alarm, AlarmStatus, Severity } from '../../../src/model/alarm.js';
import { SEVERITIES } from '../../../src/model/alarm.js';
import { AlarmActionForm } from '../components/AlarmAction.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { hrefs } from '../hooks/useRoute.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { useServices } from '../services.js';
import { type AlarmFilter, alarmQuery } from '../state/alarms.js';
import { formatValue } from '../state/format.js';

const STATUS_CHOICES: { key: AlarmFilter['status']; label: string }[] = [
  { key: 'attention', label: 'needs attention' },
  { key: 'open', label: 'open (active)' },
  { key: 'active_unacked', label: 'active, unacked' },
  { key: 'active_acked', label: 'active, acked' },
  { key: 'cleared_unacked', label: 'cleared, unacked' },
  { key: 'cleared_acked', label: 'cleared, acked' },
  { key: 'all', label: 'all' },
];

const statusText: Record<AlarmStatus, string> = {
  active_unacked: 'active · unacked',
  active_acked: 'active · acked',
  cleared_unacked: 'cleared · unacked',
  cleared_acked: 'cleared · acked',
};

/** yyyy-mm-dd in local time, for <input type=date>. */
function dateInput(ts: number): string {
  if (!Number.isFinite(ts)) return '';
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function AlarmsPage({ device }: { device: string }) {
  const { api, alarms } = useServices();
  const storeVersion = useThrottledStore(alarms, 250);
  const [filter, setFilter] = useState<AlarmFilter>({ status: 'attention', severity: 'all', device, from: NaN, to: NaN });
  const [list, setList] = useState<Alarm[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [acting, setActing] = useState<{ id: number; action: 'ack' | 'clear' } | null>(null);
  const query = alarmQuery(filter);

  useEffect(() => {
    const ctrl = new AbortController();
    // Live changes arrive through the store; the list is re-asked for (throttled) when it moves.
    const t = setTimeout(() => {
      api.listAlarms(query, { signal: ctrl.signal }).then(
        (l) => {
          setList(l);
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

  return (
    <main className="page">
      <div className="toolbar">
        <h1 className="page-title">Alarms</h1>
        <select
          aria-label="status"
          value={filter.status}
          onChange={(e) => setFilter({ ...filter, status: e.target.value as AlarmFilter['status'] })}
          data-testid="alarm-filter-status"
        >
          {STATUS_CHOICES.map((c) => (
            <option key={c.key} value={c.key}>
              {c.label}
            </option>
          ))}
        </select>
        <select
          aria-label="severity"
          value={filter.severity}
          onChange={(e) => setFilter({ ...filter, severity: e.target.value as Severity | 'all' })}
          data-testid="alarm-filter-severity"
        >
          <option value="all">any severity</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <input
          className="search"
          type="search"
          placeholder="device id"
          aria-label="device"
          value={filter.device}
          onChange={(e) => setFilter({ ...filter, device: e.target.value })}
          data-testid="alarm-filter-device"
        />
        <label className="date-filter">
          from
          <input
            type="date"
            value={dateInput(filter.from)}
            onChange={(e) => setFilter({ ...filter, from: e.target.value ? new Date(`${e.target.value}T00:00`).getTime() : NaN })}
            data-testid="alarm-filter-from"
          />
        </label>
        <label className="date-filter">
          to
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
          Could not load alarms: {error}
        </div>
      )}
      {list === null ? (
        <p className="empty">Loading alarms…</p>
      ) : rows.length === 0 ? (
        <p className="empty" data-testid="no-alarms">
          No alarm matches.
        </p>
      ) : (
        <div className="alarm-list" data-testid="alarm-list">
          {rows.map((a) => (
            <div
              key={a.id}
              className={`alarm-row sev-${a.severity} ${a.status.startsWith('active') ? 'alarm-active' : ''}`}
              data-testid={`alarm-row-${a.id}`}
              data-status={a.status}
            >
              <div className="alarm-main">
                <span className={`sev sev-${a.severity}`}>{a.severity}</span>
                <span className="alarm-status" data-testid={`alarm-status-${a.id}`}>
                  {statusText[a.status]}
                </span>
                <a href={hrefs.device(a.device)} className="alarm-device">
                  {a.device}
                </a>
                <span className="alarm-rule">{a.ruleName}</span>
                <span className="alarm-msg">{a.message}</span>
              </div>
              <div className="alarm-meta">
                raised <RelativeTime ts={a.raisedAt} /> · {new Date(a.raisedAt).toLocaleString()}
                {a.lastValue != null && ` · last ${formatValue(a.lastValue)}`}
                {a.count > 1 && ` · ${a.count}×`}
                {a.ackedBy && ` · acked by ${a.ackedBy}`}
                {a.clearedBy && ` · cleared by ${a.clearedBy}`}
              </div>
              {acting?.id === a.id ? (
                <AlarmActionForm alarm={a} action={acting.action} onDone={() => setActing(null)} />
              ) : (
                <div className="alarm-actions">
                  {(a.status === 'active_unacked' || a.status === 'cleared_unacked') && (
                    <button type="button" className="btn btn-small" data-testid={`alarm-ack-${a.id}`} onClick={() => setActing({ id: a.id, action: 'ack' })}>
                      Acknowledge
                    </button>
                  )}
                  {a.status.startsWith('active') && (
                    <button
                      type="button"
                      className="btn btn-small"
                      data-testid={`alarm-clear-${a.id}`}
                      onClick={() => setActing({ id: a.id, action: 'clear' })}
                    >
                      Clear
                    </button>
                  )}
                </div>
              )}
            </div>
          ))}
        </div>
      )}
    </main>
  );
}
