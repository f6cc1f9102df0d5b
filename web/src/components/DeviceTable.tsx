import { memo, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Profile } from '../../../src/model/device.js';
import type { DeviceRow } from '../state/filter.js';
import { type FleetStatus, type Sort, type SortKey, primaryMetric } from '../state/fleet.js';
import type { FleetHistory } from '../state/fleet-history.js';
import { formatPercent, formatValue } from '../state/format.js';
import { enumLabel, metricLabel, profileLabel } from '../state/profiles.js';
import { hrefs } from '../hooks/useRoute.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import type { Language } from '../i18n/catalogues.js';
import { RelativeTime } from './RelativeTime.js';
import { Sparkline } from './Sparkline.js';

const ROW_PX = 36;
const COLUMNS: SortKey[] = ['status', 'id', 'profile', 'location', 'alarms', 'completeness', 'lastSeen'];
const COL_CLASSES = ['fc-status', 'fc-id', 'fc-profile', 'fc-location', 'fc-spark', 'fc-alarms', 'fc-completeness', 'fc-seen'];

interface Props {
  rows: DeviceRow[];
  profiles: { get(name: string | null | undefined): Profile | undefined };
  status(d: DeviceRow): FleetStatus;
  alarms(id: string): number;
  history: FleetHistory;
  now(): number;
  sort: Sort;
  onSort(s: Sort): void;
}

/**
 * Every device as one dense row, only the rows on screen in the DOM (@tanstack/react-virtual), so
 * thousands of devices updating each second cost what forty do. Sortable by any column; the
 * sparkline and completeness of the last hour are fetched for rows as they come into view.
 */
export function DeviceTable({ rows, profiles, status, alarms, history, now, sort, onSort }: Props) {
  const { t } = useTranslation('overview');
  const { t: g } = useTranslation('general');
  const lang = currentLanguage();
  const scroller = useRef<HTMLDivElement>(null);
  // The rows' fixed words, looked up once per language for the table: rows re-render every second
  // each, and a catalogue lookup per cell per row was a good part of the table's script time.
  const labels = useMemo<RowLabels>(() => {
    const sparkline = new Map<string, string>();
    return {
      status: { alarm: t('groupStatus.alarm'), warning: t('groupStatus.warning'), offline: t('groupStatus.offline'), normal: t('groupStatus.normal') },
      noProfile: g('noProfile'),
      sparkline: (metric) => {
        let l = sparkline.get(metric);
        if (l === undefined) sparkline.set(metric, (l = t('sparkline', { metric })));
        return l;
      },
      completenessTitle: (received, expected) => t('completenessTitle', { received, expected }),
    };
    // lang: the same t answers in the new language after a switch.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [t, g, lang]);
  // Not flushSync on scroll: React renders the new range in its own task instead of inside the scroll
  // event, and the overscan (8 rows, 24 frames at 12 px a frame) covers the wait.
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 8,
    useFlushSync: false,
  });
  useSyncExternalStore(
    (fn) => history.subscribe(fn),
    () => history.version,
  );
  const items = virtual.getVirtualItems();
  const top = items.length ? items[0].start : 0;
  const bottom = items.length ? virtual.getTotalSize() - items[items.length - 1].end : 0;
  const label = (k: SortKey) => (k === 'id' ? t('column.device') : k === 'status' ? t('column.status') : t(`column.${k}`));
  return (
    <div className="fleet-scroll" ref={scroller} data-testid="device-table" data-rows={rows.length} tabIndex={0} aria-label={t('title')} role="region">
      <table className="fleet-table">
        {/* Fixed column widths (table-layout: fixed): rows coming into view never make the table measure its columns again. */}
        <colgroup>
          {COL_CLASSES.map((c) => (
            <col key={c} className={c} />
          ))}
        </colgroup>
        <thead>
          <tr>
            {COLUMNS.slice(0, 4).map((k) => (
              <SortHeader key={k} k={k} label={label(k)} sort={sort} onSort={onSort} title={t('sortBy', { column: label(k) })} />
            ))}
            <th scope="col">{t('column.lastHour')}</th>
            {COLUMNS.slice(4).map((k) => (
              <SortHeader key={k} k={k} label={label(k)} sort={sort} onSort={onSort} title={t('sortBy', { column: label(k) })} />
            ))}
          </tr>
        </thead>
        <tbody>
          {top > 0 && (
            <tr aria-hidden="true" className="fleet-spacer">
              <td colSpan={8} style={{ height: top }} />
            </tr>
          )}
          {items.map((it) => {
            const d = rows[it.index];
            const profile = profiles.get(d.profile);
            return (
              <FleetRow
                key={d.id}
                device={d}
                profile={profile}
                status={status(d)}
                alarms={alarms(d.id)}
                history={history}
                now={now}
                lang={lang}
                labels={labels}
                index={it.index}
                entryVersion={history.get(d.id)?.at ?? 0}
              />
            );
          })}
          {bottom > 0 && (
            <tr aria-hidden="true" className="fleet-spacer">
              <td colSpan={8} style={{ height: bottom }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function SortHeader({ k, label, sort, onSort, title }: { k: SortKey; label: string; sort: Sort; onSort(s: Sort): void; title: string }) {
  const active = sort.key === k;
  return (
    <th scope="col" aria-sort={active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        className="sort-btn"
        title={title}
        data-testid={`sort-${k}`}
        onClick={() => onSort({ key: k, dir: active ? (sort.dir === 1 ? -1 : 1) : k === 'id' || k === 'profile' || k === 'location' ? 1 : -1 })}
      >
        {label}
        <span aria-hidden="true">{active ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

interface RowLabels {
  status: Record<FleetStatus, string>;
  noProfile: string;
  sparkline(metric: string): string;
  completenessTitle(received: number, expected: number): string;
}

const FleetRow = memo(function FleetRow({
  device: d,
  profile,
  status,
  alarms,
  history,
  now,
  lang,
  labels,
  index,
  entryVersion,
}: {
  device: DeviceRow;
  profile: Profile | undefined;
  status: FleetStatus;
  alarms: number;
  history: FleetHistory;
  now(): number;
  lang: Language;
  labels: RowLabels;
  index: number;
  entryVersion: number;
}) {
  const metric = primaryMetric(d, profile);
  // Asked for once the row has been on screen a moment: a fast scroll past it costs nothing.
  const [settled, setSettled] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(true), 250);
    return () => {
      clearTimeout(timer);
      history.forget(d.id);
    };
  }, [history, d.id]);
  useEffect(() => {
    if (settled) history.want(d.id, metric);
  }, [settled, history, d.id, metric, entryVersion]);
  const e = history.get(d.id);
  const to = now();
  const latest = metric ? d.latest[metric] : undefined;
  const name = metric ? metricLabel(profile, metric, lang) : '';
  return (
    <tr className={`fleet-row fr-${status}`} data-testid={`device-row-${d.id}`} data-status={status} data-index={index}>
      <td>
        <span className={`fleet-status fs-${status}`} data-testid={`device-status-${d.id}`}>
          {labels.status[status]}
        </span>
      </td>
      <td className="fleet-id">
        <a href={hrefs.device(d.id)}>{d.id}</a>
        {d.name && <span className="fleet-name"> {d.name}</span>}
      </td>
      <td title={d.profile ?? undefined}>{d.profile ? profileLabel(profile, d.profile, lang) : labels.noProfile}</td>
      <td>{(typeof d.attributes?.site === 'string' && d.attributes.site) || d.location || ''}</td>
      <td className="fleet-spark">
        {metric && e?.spark ? (
          <Sparkline
            ts={e.spark.ts}
            values={e.spark.values}
            from={to - 3_600_000}
            to={to}
            latest={latest}
            color="var(--accent, #2f7ed8)"
            label={labels.sparkline(name)}
          />
        ) : null}
        {metric && latest && (
          <span className="fleet-latest">
            {enumLabel(profile?.metrics[metric], latest.value, lang) ?? formatValue(latest.value, lang)}
            {profile?.metrics[metric]?.unit ? ` ${profile.metrics[metric].unit}` : ''}
          </span>
        )}
      </td>
      <td className="fleet-num" data-testid={`device-row-alarms-${d.id}`}>
        {alarms > 0 ? <span className={`alarm-badge sev-major`}>⚠ {alarms}</span> : '0'}
      </td>
      <td
        className="fleet-num"
        title={e && e.expected > 0 ? labels.completenessTitle(e.received, e.expected) : undefined}
        data-testid={`device-row-completeness-${d.id}`}
      >
        {e ? (Number.isNaN(e.completeness) ? '—' : formatPercent(e.completeness, lang)) : ''}
      </td>
      <td>
        <RelativeTime ts={d.lastSeen} />
      </td>
    </tr>
  );
});
