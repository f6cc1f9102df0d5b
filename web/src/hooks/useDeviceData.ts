import { useEffect, useState } from 'react';
import type { Completeness, DeviceStats } from '../api.js';
import type { Alarm, Rule } from '../../../src/model/alarm.js';
import type { LiveStats } from '../../../src/model/live.js';
import { useServices } from '../services.js';
import type { SeriesBuffer } from '../state/series-buffer.js';
import type { Signal } from '../state/signal.js';
import { LIVE_WINDOW_MS, type HistoryPage } from '../state/timeline.js';
import { type ChartView, viewRange } from '../components/TimeChart.js';

export type StatsByMetric = LiveStats['metrics'];

/** The statistics kept per metric as overlay columns of the live buffer. */
export const OVERLAY_STATS = ['min1m', 'max1m', 'ma1m', 'ma5m', 'ma15m'] as const;
export type OverlayStat = (typeof OVERLAY_STATS)[number];
export const overlayKey = (metric: string, stat: OverlayStat) => `${metric}~${stat}`;

/**
 * Downsampled history for what the chart shows: none for the live 60 s (the live buffer has it),
 * otherwise `points` buckets over the range, fetched again as a following view moves on.
 */
export function useHistory(
  id: string,
  metrics: string[],
  view: ChartView,
  points: number,
  /** History wanted before the range too (the longest overlay window), so overlays cover its first pixel. */
  marginMs = 0,
): { page: HistoryPage | null; loading: boolean; error: string | null } {
  const { api, live } = useServices();
  const [page, setPage] = useState<HistoryPage | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const key = metrics.join(',');
  const needed = view.mode === 'fixed' || view.span > LIVE_WINDOW_MS || marginMs > 0;
  const viewKey = view.mode === 'follow' ? `f${view.span}` : `x${view.from}-${view.to}`;

  useEffect(() => {
    if (!needed || !metrics.length || points < 2) {
      setPage(null);
      return;
    }
    const ctrl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = () => {
      const r = viewRange(view, live.serverNow());
      const span = Math.max(1, r.to - r.from);
      setLoading(true);
      api
        .getBuckets(id, { metrics, from: r.from - marginMs, to: r.to + 1, points: Math.ceil((points * (span + marginMs)) / span) }, { signal: ctrl.signal })
        .then(
          (res) => {
            setPage({ from: res.from, to: res.to, resolution: res.resolution, bucketMs: res.bucketMs, series: res.series });
            setLoading(false);
            setError(null);
            // A following view slides: fetch again before the live buffer's margin runs out.
            if (view.mode === 'follow') timer = setTimeout(load, Math.min(60_000, Math.max(5_000, view.span / 100)));
          },
          (err: unknown) => {
            if (ctrl.signal.aborted) return;
            setLoading(false);
            setError(err instanceof Error ? err.message : String(err));
            timer = setTimeout(load, 10_000);
          },
        );
    };
    // Wheel zooming fires many views in a row: ask for the one it settles on.
    timer = setTimeout(load, view.mode === 'fixed' ? 150 : 0);
    return () => {
      ctrl.abort();
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, live, id, key, viewKey, points, needed, marginMs]);

  return { page: needed ? page : null, loading, error };
}

/** Live analytics of a device: a snapshot, then `stats` messages; also fed to the buffer as overlays. */
export function useLiveStats(id: string, buffer: SeriesBuffer, changed: Signal): StatsByMetric {
  const { api, live } = useServices();
  const [stats, setStats] = useState<StatsByMetric>({});
  useEffect(() => {
    const ctrl = new AbortController();
    const apply = (s: Pick<DeviceStats, 'metrics'>) => {
      if (!s.metrics || typeof s.metrics !== 'object') return;
      setStats(s.metrics);
      for (const m in s.metrics) {
        const st = s.metrics[m];
        if (!st || typeof st.ts !== 'number') continue;
        const values: Record<string, number> = {};
        for (const k of OVERLAY_STATS) if (typeof st[k] === 'number' && Number.isFinite(st[k])) values[overlayKey(m, k)] = st[k];
        buffer.push(st.ts, values);
      }
      changed.emit();
    };
    api.getLiveStats(id, { signal: ctrl.signal }).then(apply, () => {});
    const off = live.onMessage((m) => {
      if (m.type === 'stats' && m.device === id) apply(m as LiveStats);
    });
    return () => {
      ctrl.abort();
      off();
    };
  }, [api, live, id, buffer, changed]);
  return stats;
}

/** Completeness (missed readings by seq) for a range; refreshed every 30 s. */
export function useCompleteness(id: string, from: number, to: number): Completeness | null {
  const { api } = useServices();
  const [c, setC] = useState<Completeness | null>(null);
  // Rounded so a following view does not refetch on every tick.
  const f = Math.floor(from / 30_000) * 30_000;
  const t = Math.ceil(to / 30_000) * 30_000;
  useEffect(() => {
    const ctrl = new AbortController();
    const load = () => api.getCompleteness(id, f, t, { signal: ctrl.signal }).then(setC, () => {});
    load();
    const timer = setInterval(load, 30_000);
    return () => {
      ctrl.abort();
      clearInterval(timer);
    };
  }, [api, id, f, t]);
  return c;
}

/** Alarms of a device touching a range (the chart's markers): fetched, then kept by the alarm store. */
export function useDeviceAlarms(id: string, from: number, to: number): Alarm[] {
  const { api, alarms } = useServices();
  const [version, setVersion] = useState(alarms.version);
  const f = Math.floor(from / 60_000) * 60_000;
  useEffect(() => alarms.subscribe(() => setVersion(alarms.version)), [alarms]);
  useEffect(() => {
    const ctrl = new AbortController();
    api.listAlarms(`device=${encodeURIComponent(id)}&from=${f - 86_400_000}&limit=1000`, { signal: ctrl.signal }).then(
      (list) => alarms.upsert(list),
      () => {},
    );
    return () => ctrl.abort();
  }, [api, alarms, id, f]);
  const [list, setList] = useState<Alarm[]>([]);
  // Recomputed per 10 s step of the range, not on every render of a live view whose `to` moves each frame.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => setList(alarms.forDevice(id, from, to)), [alarms, id, Math.floor(from / 10_000), Math.floor(to / 10_000), version]);
  return list;
}

/** Alarm rules (for threshold lines), fetched once per device page; none when they cannot be read. */
export function useRules(): Rule[] {
  const { api } = useServices();
  const [rules, setRules] = useState<Rule[]>([]);
  useEffect(() => {
    const ctrl = new AbortController();
    api.chartRules({ signal: ctrl.signal }).then(setRules, () => {});
    return () => ctrl.abort();
  }, [api]);
  return rules;
}

export interface RawRow {
  ts: number;
  values: Record<string, number>;
}

export type RawPage = { status: 'loading' } | { status: 'error'; error: string } | { status: 'ok'; rows: RawRow[]; more: boolean };

/**
 * One page of raw readings in [from, to), newest first: `pageSize` timestamps ending before
 * `before`. With a filter (an enum metric and its value) only readings where that metric had that
 * value count, and older readings are read on until the page is full or the range is exhausted.
 */
export function useRawPage(id: string, from: number, before: number, pageSize: number, filter: { metric: string; value: number } | null): RawPage {
  const { api } = useServices();
  const [page, setPage] = useState<RawPage>({ status: 'loading' });
  const fKey = filter ? `${filter.metric}=${filter.value}` : '';
  useEffect(() => {
    const ctrl = new AbortController();
    setPage({ status: 'loading' });
    (async () => {
      const rows: RawRow[] = [];
      let to = before;
      // Bounded: a filter that matches nothing stops after this many reads.
      for (let round = 0; round < 20 && to > from; round++) {
        const res = await api.getTelemetry(id, { from, to: to - 1, limit: pageSize * (filter ? 4 : 1) }, { signal: ctrl.signal });
        const byTs = new Map<number, Record<string, number>>();
        for (const [metric, s] of Object.entries(res.series ?? {})) {
          for (let i = 0; i < s.ts.length; i++) {
            let r = byTs.get(s.ts[i]);
            if (!r) byTs.set(s.ts[i], (r = {}));
            r[metric] = s.value[i];
          }
        }
        const stamps = [...byTs.keys()].sort((a, b) => b - a);
        if (!stamps.length) break;
        for (const ts of stamps) {
          const values = byTs.get(ts)!;
          if (filter && values[filter.metric] !== filter.value) continue;
          rows.push({ ts, values });
          if (rows.length > pageSize) break;
        }
        if (rows.length > pageSize) break;
        to = stamps[stamps.length - 1];
      }
      if (!ctrl.signal.aborted) setPage({ status: 'ok', rows: rows.slice(0, pageSize), more: rows.length > pageSize });
    })().catch((err: unknown) => {
      if (!ctrl.signal.aborted) setPage({ status: 'error', error: err instanceof Error ? err.message : String(err) });
    });
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, id, from, before, pageSize, fKey]);
  return page;
}
