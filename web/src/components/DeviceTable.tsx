import { useLayoutEffect, useMemo, useRef } from 'react';
import type { Profile } from '../../../src/model/device.js';
import type { DeviceRow } from '../state/filter.js';
import type { FleetStatus, Sort, SortKey } from '../state/fleet.js';
import type { FleetHistory } from '../state/fleet-history.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { DeviceTableRows, type RowLabels } from './DeviceTableRows.js';

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
 * Every device as one dense row, only the rows on screen in the DOM, so thousands of devices
 * updating each second cost what forty do. React renders the table and its sortable header; the
 * rows are a pool of elements recycled as the table scrolls and written in place
 * (DeviceTableRows), so scrolling mounts nothing and a live update writes only the cells that
 * changed. The sparkline and completeness of the last hour are fetched for rows as they come into view.
 */
export function DeviceTable({ rows, profiles, status, alarms, history, now, sort, onSort }: Props) {
  const { t } = useTranslation('overview');
  const { t: g } = useTranslation('general');
  const lang = currentLanguage();
  const scroller = useRef<HTMLDivElement>(null);
  const body = useRef<HTMLTableSectionElement>(null);
  const pool = useRef<DeviceTableRows | null>(null);
  // The rows' fixed words, looked up once per language for the table, not per cell per row.
  const labels = useMemo<RowLabels>(() => {
    const sparkline = new Map<string, string>();
    return {
      status: { alarm: t('groupStatus.alarm'), warning: t('groupStatus.warning'), offline: t('groupStatus.offline'), normal: t('groupStatus.normal') },
      noProfile: g('noProfile'),
      never: g('never'),
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
  const headers = useMemo(() => {
    const label = (k: SortKey) => (k === 'id' ? t('column.device') : k === 'status' ? t('column.status') : t(`column.${k}`));
    return { label, lastHour: t('column.lastHour'), sortBy: (k: SortKey) => t('sortBy', { column: label(k) }) };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [t, lang]);
  useLayoutEffect(() => {
    const p = new DeviceTableRows(scroller.current!, body.current!, history);
    pool.current = p;
    return () => {
      p.destroy();
      pool.current = null;
    };
  }, [history]);
  // Every render (about once a second with a live fleet): the rows on screen brought up to date.
  useLayoutEffect(() => {
    pool.current?.set({ rows, profiles, status, alarms, now, lang, labels });
  });
  return (
    <div className="fleet-scroll" ref={scroller} data-testid="device-table" data-rows={rows.length} tabIndex={0} aria-label={t('title')} role="region">
      <table className="fleet-table" aria-rowcount={rows.length + 1}>
        {/* Fixed column widths (table-layout: fixed): rows coming into view never make the table measure its columns again. */}
        <colgroup>
          {COL_CLASSES.map((c) => (
            <col key={c} className={c} />
          ))}
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            {COLUMNS.slice(0, 4).map((k) => (
              <SortHeader key={k} k={k} label={headers.label(k)} sort={sort} onSort={onSort} title={headers.sortBy(k)} />
            ))}
            <th scope="col">{headers.lastHour}</th>
            {COLUMNS.slice(4).map((k) => (
              <SortHeader key={k} k={k} label={headers.label(k)} sort={sort} onSort={onSort} title={headers.sortBy(k)} />
            ))}
          </tr>
        </thead>
        {/* Filled by DeviceTableRows, not by React. */}
        <tbody ref={body} />
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
