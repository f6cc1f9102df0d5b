import { useEffect, useMemo, useState } from 'react';
import { useServices } from '../services.js';
import { SeriesBuffer, rowsFromSeries } from '../state/series-buffer.js';
import { Signal } from '../state/signal.js';
import { CHART_CAPACITY, askLiveWindow } from '../state/live-window.js';
import type { TelemetryResponse } from '../../../src/model/telemetry.js';

export interface DeviceFeed {
  buffer: SeriesBuffer;
  changed: Signal;
}

export type HistoryState = { status: 'loading' } | { status: 'ok' } | { status: 'error'; error: string };

/**
 * Live points for one device: history for the last `windowMs` from REST, then every live
 * reading, in one bounded buffer. History is fetched again after a reconnect to fill the gap;
 * the buffer merges by timestamp, so overlaps do not duplicate. Nothing is asked while `enabled`
 * is false (a device not known to exist).
 */
export function useDeviceFeed(id: string, windowMs: number, enabled = true): [DeviceFeed, HistoryState] {
  const { api, live, earlyWindow } = useServices();
  // A fresh buffer per device: `id` is the key, though the factory does not read it.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const feed = useMemo<DeviceFeed>(() => ({ buffer: new SeriesBuffer(CHART_CAPACITY), changed: new Signal() }), [id]);
  const [history, setHistory] = useState<HistoryState>({ status: 'loading' });

  useEffect(() => {
    if (!enabled) return;
    const ctrl = new AbortController();
    const offMsg = live.onMessage((m) => {
      if (m.type === 'readings' && m.device === id) {
        const r = m as { ts: number; values: Record<string, number> };
        if (r.values && typeof r.values === 'object' && feed.buffer.push(r.ts, r.values)) feed.changed.emit();
      }
    });
    const unsubscribe = live.subscribe([id]);
    const show = (res: TelemetryResponse) => {
      if (ctrl.signal.aborted) return;
      feed.buffer.merge(rowsFromSeries(res.series ?? {}));
      feed.changed.emit();
      setHistory({ status: 'ok' });
    };
    const load = () =>
      askLiveWindow(api, id, live.serverNow(), windowMs, { signal: ctrl.signal }).then(show, (err: unknown) => {
        if (ctrl.signal.aborted) return;
        setHistory({ status: 'error', error: err instanceof Error ? err.message : String(err) });
      });
    setHistory({ status: 'loading' });
    // The window asked for while the page was loading draws first; this page's own request still
    // goes out, for what arrived between that answer and the live subscription above (the buffer
    // merges by timestamp, so the overlap is not doubled).
    earlyWindow.take(id, windowMs)?.then(show, () => {});
    void load();
    const offOpen = live.onOpen((reconnect) => {
      if (reconnect) load();
    });
    return () => {
      ctrl.abort();
      offMsg();
      offOpen();
      unsubscribe();
    };
  }, [api, live, earlyWindow, feed, id, windowMs, enabled]);

  return [feed, history];
}
