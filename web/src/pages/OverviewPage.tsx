import { useEffect, useMemo, useState } from 'react';
import { DeviceCard } from '../components/DeviceCard.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { useServices } from '../services.js';
import { type DeviceFilter, type DeviceRow, type OnlineFilter, choices, filterDevices } from '../state/filter.js';

// Kept across visits to a device and back, for this page load.
let lastFilter: DeviceFilter = { query: '', online: 'all', type: '', location: '' };

type Load = { status: 'loading' } | { status: 'ok' } | { status: 'error'; error: string };

export function OverviewPage() {
  const { devices, profiles, live, alarms, refreshDevices } = useServices();
  const version = useThrottledStore(devices, 250);
  const alarmVersion = useThrottledStore(alarms, 250);
  const open = alarms.openByDevice();
  useThrottledStore(profiles, 50);
  const [filter, setFilter] = useState<DeviceFilter>(lastFilter);
  const [load, setLoad] = useState<Load>(devices.size ? { status: 'ok' } : { status: 'loading' });
  lastFilter = filter;

  const fetchList = () => {
    refreshDevices().then(
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
  const online = all.reduce((n, d) => n + (d.online ? 1 : 0), 0);
  const alarmed = all.reduce((n, d) => n + ((open.get(d.id)?.count ?? 0) > 0 ? 1 : 0), 0);
  const counts: Record<OnlineFilter, number> = { all: all.length, online, offline: all.length - online, alarm: alarmed };
  const types = choices(all, 'profile');
  const locations = choices(all, 'location');

  return (
    <main className="page">
      <div className="toolbar">
        <h1 className="page-title">Devices</h1>
        <input
          className="search"
          type="search"
          placeholder="Search name, id, location, tag"
          aria-label="search devices by name, id, profile, location or tag"
          value={filter.query}
          onChange={(e) => setFilter({ ...filter, query: e.target.value })}
          data-testid="device-search"
        />
        <select aria-label="type" value={filter.type ?? ''} onChange={(e) => setFilter({ ...filter, type: e.target.value })} data-testid="type-filter">
          <option value="">any type</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        {locations.length > 0 && (
          <select
            aria-label="location"
            value={filter.location ?? ''}
            onChange={(e) => setFilter({ ...filter, location: e.target.value })}
            data-testid="location-filter"
          >
            <option value="">any location</option>
            {locations.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        )}
        <div className="segmented" role="group" aria-label="filter by state">
          {(['all', 'online', 'offline', 'alarm'] as const).map((k) => (
            <button
              key={k}
              type="button"
              aria-pressed={filter.online === k}
              className={filter.online === k ? 'active' : ''}
              onClick={() => setFilter({ ...filter, online: k })}
              data-testid={`online-filter-${k}`}
            >
              {k} <span className="count">{counts[k]}</span>
            </button>
          ))}
        </div>
      </div>

      {load.status === 'error' && (
        <div className="banner banner-error" role="alert">
          Could not load devices: {load.error}{' '}
          <button type="button" className="link-btn" onClick={fetchList}>
            retry
          </button>
        </div>
      )}

      {load.status === 'loading' && all.length === 0 ? (
        <p className="empty">Loading devices…</p>
      ) : all.length === 0 && load.status === 'ok' ? (
        <div className="empty" data-testid="no-devices">
          <p>No devices yet.</p>
          <p className="hint">Devices appear here as soon as they send their first message.</p>
        </div>
      ) : shown.length === 0 && all.length > 0 ? (
        <p className="empty" data-testid="no-match">
          No device matches.
        </p>
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
