import { useCallback, useEffect, useMemo, useState } from 'react';
import { DeviceCard } from '../components/DeviceCard.js';
import { DeviceGroups } from '../components/DeviceGroups.js';
import { DeviceTable } from '../components/DeviceTable.js';
import { type GroupBy, type Sort, deviceStatus, groupDevices, sortDevices } from '../state/fleet.js';
import { FleetHistory } from '../state/fleet-history.js';
import { nextFrame } from '../state/devices.js';
import type { Profile } from '../../../src/model/device.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { useServices } from '../services.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { profileLabel } from '../state/profiles.js';
import { type DeviceFilter, type DeviceRow, type OnlineFilter, choices, filterDevices } from '../state/filter.js';

// Kept across visits to a device and back, for this page load.
let lastFilter: DeviceFilter = { query: '', online: 'all', type: '', location: '' };
let lastSort: Sort = { key: 'status', dir: -1 };
let fleetHistory: FleetHistory | null = null;

type View = 'table' | 'groups' | 'cards';
const VIEW_KEY = 'fieldscope.overview.view';
const GROUP_KEY = 'fieldscope.overview.groupBy';

/** The view someone chose last; else cards for a small fleet, the table for a large one. */
function storedView(count: number): View {
  try {
    const v = localStorage.getItem(VIEW_KEY);
    if (v === 'table' || v === 'groups' || v === 'cards') return v;
  } catch {
    /* private mode */
  }
  return count > 48 ? 'table' : 'cards';
}
function store(key: string, v: string): void {
  try {
    localStorage.setItem(key, v);
  } catch {
    /* private mode: kept for this page only */
  }
}
function storedGroupBy(): GroupBy {
  try {
    const v = localStorage.getItem(GROUP_KEY);
    if (v === 'site' || v === 'equipment' || v === 'profile') return v;
  } catch {
    /* private mode */
  }
  return 'site';
}

type Load = { status: 'loading' } | { status: 'ok' } | { status: 'error'; error: string };

export function OverviewPage() {
  const { api, devices, profiles, live, alarms, refreshDevices } = useServices();
  const { t } = useTranslation('overview');
  const lang = currentLanguage();
  // Readings arrive about once a second per device: with a large fleet, render at most once a second.
  const version = useThrottledStore(devices, devices.size > 500 ? 1000 : 250);
  const alarmVersion = useThrottledStore(alarms, 250);
  const open = alarms.openByDevice();
  useThrottledStore(profiles, 50);
  const [filter, setFilter] = useState<DeviceFilter>(lastFilter);
  const [load, setLoad] = useState<Load>(devices.size ? { status: 'ok' } : { status: 'loading' });
  lastFilter = filter;
  const [sort, setSort] = useState<Sort>(lastSort);
  lastSort = sort;
  const [chosen, setChosen] = useState<View | null>(null);
  const [groupBy, setGroupBy] = useState<GroupBy>(storedGroupBy);
  if (!fleetHistory) fleetHistory = new FleetHistory(api, () => live.serverNow(), 2, 60_000, nextFrame);
  const history = fleetHistory;
  const now = useCallback(() => live.serverNow(), [live]);

  const fetchList = () => {
    // The list the page's start asked for, when it answered just now: not asked for twice.
    refreshDevices({ pageOpening: true }).then(
      () => setLoad({ status: 'ok' }),
      (err: unknown) => setLoad({ status: 'error', error: err instanceof Error ? err.message : String(err) }),
    );
  };

  useEffect(() => {
    const unsubscribe = live.subscribe('*');
    fetchList();
    return unsubscribe;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live]);

  const all = devices.list() as DeviceRow[];
  const shown = useMemo(
    () => filterDevices(all, filter, (id) => open.get(id)?.count ?? 0),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [all, filter, version, alarmVersion],
  );
  const view = chosen ?? storedView(all.length);
  const status = useCallback(
    (d: DeviceRow) => deviceStatus(d, profiles.get(d.profile) as Profile | undefined, open.get(d.id)?.count ?? 0),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [profiles, open, alarmVersion],
  );
  const alarmCount = useCallback((id: string) => open.get(id)?.count ?? 0, [open]);
  const sorted = useMemo(
    () => (view === 'table' ? sortDevices(shown, sort, { status, alarms: alarmCount, completeness: (id) => history.get(id)?.completeness ?? NaN }) : shown),
    [view, shown, sort, status, alarmCount, history],
  );
  const groups = useMemo(() => (view === 'groups' ? groupDevices(shown, groupBy, status, alarmCount) : []), [view, shown, groupBy, status, alarmCount]);
  const online = all.reduce((n, d) => n + (d.online ? 1 : 0), 0);
  const alarmed = all.reduce((n, d) => n + ((open.get(d.id)?.count ?? 0) > 0 ? 1 : 0), 0);
  const counts: Record<OnlineFilter, number> = { all: all.length, online, offline: all.length - online, alarm: alarmed };
  const types = choices(all, 'profile');
  const locations = choices(all, 'location');

  return (
    <main className="page">
      <div className="toolbar">
        <h1 className="page-title">{t('title')}</h1>
        <input
          className="search"
          type="search"
          placeholder={t('searchPlaceholder')}
          aria-label={t('searchLabel')}
          value={filter.query}
          onChange={(e) => setFilter({ ...filter, query: e.target.value })}
          data-testid="device-search"
        />
        <select
          aria-label={t('typeLabel')}
          value={filter.type ?? ''}
          onChange={(e) => setFilter({ ...filter, type: e.target.value })}
          data-testid="type-filter"
        >
          <option value="">{t('anyType')}</option>
          {types.map((p) => (
            <option key={p} value={p}>
              {profileLabel(profiles.get(p), p, lang)}
            </option>
          ))}
        </select>
        {locations.length > 0 && (
          <select
            aria-label={t('locationLabel')}
            value={filter.location ?? ''}
            onChange={(e) => setFilter({ ...filter, location: e.target.value })}
            data-testid="location-filter"
          >
            <option value="">{t('anyLocation')}</option>
            {locations.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        )}
        <div className="segmented" role="group" aria-label={t('viewLabel')}>
          {(['table', 'groups', 'cards'] as const).map((v) => (
            <button
              key={v}
              type="button"
              aria-pressed={view === v}
              className={view === v ? 'active' : ''}
              onClick={() => {
                setChosen(v);
                store(VIEW_KEY, v);
              }}
              data-testid={`view-${v}`}
            >
              {t(`views.${v}`)}
            </button>
          ))}
        </div>
        {view === 'groups' && (
          <select
            aria-label={t('groupByLabel')}
            value={groupBy}
            onChange={(e) => {
              const v = e.target.value as GroupBy;
              setGroupBy(v);
              store(GROUP_KEY, v);
            }}
            data-testid="group-by"
          >
            {(['site', 'equipment', 'profile'] as const).map((k) => (
              <option key={k} value={k}>
                {t(`groupBy.${k}`)}
              </option>
            ))}
          </select>
        )}
        <div className="segmented" role="group" aria-label={t('stateLabel')}>
          {(['all', 'online', 'offline', 'alarm'] as const).map((k) => (
            <button
              key={k}
              type="button"
              aria-pressed={filter.online === k}
              className={filter.online === k ? 'active' : ''}
              onClick={() => setFilter({ ...filter, online: k })}
              data-testid={`online-filter-${k}`}
            >
              {t(`state.${k}`)} <span className="count">{counts[k]}</span>
            </button>
          ))}
        </div>
      </div>

      {load.status === 'error' && (
        <div className="banner banner-error" role="alert">
          {t('loadFailed', { error: load.error })}{' '}
          <button type="button" className="link-btn" onClick={fetchList}>
            {t('retry')}
          </button>
        </div>
      )}

      {load.status === 'loading' && all.length === 0 ? (
        <p className="empty">{t('loading')}</p>
      ) : all.length === 0 && load.status === 'ok' ? (
        <div className="empty" data-testid="no-devices">
          <p>{t('noDevices')}</p>
          <p className="hint">{t('noDevicesHint')}</p>
        </div>
      ) : shown.length === 0 && all.length > 0 ? (
        <p className="empty" data-testid="no-match">
          {t('noMatch')}
        </p>
      ) : view === 'table' ? (
        <DeviceTable rows={sorted} profiles={profiles} status={status} alarms={alarmCount} history={history} now={now} sort={sort} onSort={setSort} />
      ) : view === 'groups' ? (
        <DeviceGroups groups={groups} by={groupBy} profiles={profiles} status={status} />
      ) : (
        <div className="grid" data-testid="device-grid">
          {shown.map((d) => (
            <DeviceCard
              key={d.id}
              device={d}
              profile={profiles.get(d.profile)}
              openAlarms={open.get(d.id)?.count ?? 0}
              worstAlarm={open.get(d.id)?.worst ?? null}
            />
          ))}
        </div>
      )}
    </main>
  );
}
