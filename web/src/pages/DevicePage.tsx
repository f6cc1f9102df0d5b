import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api.js';
import { FaultTimeline, Waveform } from '../components/FaultTimeline.js';
import { MetricToggles } from '../components/MetricToggles.js';
import { MetricValue } from '../components/MetricValue.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { OnlineDot } from '../components/StatusDot.js';
import { type ChartView, type Overlay, TimeChart, viewRange } from '../components/TimeChart.js';
import { OVERLAY_STATS, type OverlayStat, overlayKey, useCompleteness, useDeviceAlarms, useHistory, useLiveStats } from '../hooks/useDeviceData.js';
import { useDeviceFeed } from '../hooks/useDeviceFeed.js';
import { useNow } from '../hooks/useNow.js';
import { hrefs } from '../hooks/useRoute.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { useServices } from '../services.js';
import { formatValue } from '../state/format.js';
import { seriesColors } from '../state/palette.js';
import { metricOrder } from '../state/profiles.js';
import { LIVE_WINDOW_MS, SPANS, panRange } from '../state/timeline.js';
import { useTheme } from '../theme.js';
import { saveBlob } from '../state/save-blob.js';

type Load = { status: 'loading' } | { status: 'ok' } | { status: 'missing' } | { status: 'error'; error: string };

const OVERLAY_CHOICES: { key: string; label: string; stats: OverlayStat[]; dash: number[] }[] = [
  { key: 'minmax1m', label: '1-min min/max', stats: ['min1m', 'max1m'], dash: [2, 3] },
  { key: 'ma1m', label: 'MA 1 min', stats: ['ma1m'], dash: [6, 3] },
  { key: 'ma5m', label: 'MA 5 min', stats: ['ma5m'], dash: [10, 4] },
  { key: 'ma15m', label: 'MA 15 min', stats: ['ma15m'], dash: [14, 4, 2, 4] },
];

export function DevicePage({ id }: { id: string }) {
  const { api, session, devices, profiles, live, ensureProfile } = useServices();
  useThrottledStore(devices, 200);
  useThrottledStore(profiles, 50);
  const theme = useTheme();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [feed, liveHistory] = useDeviceFeed(id, LIVE_WINDOW_MS);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [view, setView] = useState<ChartView>({ mode: 'follow', span: LIVE_WINDOW_MS });
  const [plotWidth, setPlotWidth] = useState(0);
  const [overlayOn, setOverlayOn] = useState<ReadonlySet<string>>(new Set());

  useEffect(() => {
    const ctrl = new AbortController();
    setLoad({ status: 'loading' });
    setHidden(new Set());
    api.getDevice(id, { signal: ctrl.signal }).then(
      (d) => {
        devices.upsert([d]);
        ensureProfile(d.profile);
        setLoad({ status: 'ok' });
      },
      (err: unknown) => {
        if (ctrl.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) setLoad({ status: 'missing' });
        else setLoad({ status: 'error', error: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => ctrl.abort();
  }, [api, devices, ensureProfile, id]);

  const device = devices.get(id);
  const profile = profiles.get(device?.profile);
  const latestKeys = device ? Object.keys(device.latest) : [];
  const metrics = metricOrder(
    profile,
    latestKeys,
    feed.buffer.metrics().filter((m) => !m.includes('~')),
  );
  const metricsKey = metrics.join('\u0000');
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stableMetrics = useMemo(() => metrics, [metricsKey]);
  const colors = useMemo(() => seriesColors(stableMetrics), [stableMetrics]);
  const overlays = useMemo<Overlay[]>(
    () =>
      OVERLAY_CHOICES.filter((c) => overlayOn.has(c.key)).flatMap((c) =>
        stableMetrics.map((m) => c.stats.map((s): Overlay => ({ key: overlayKey(m, s), metric: m, label: `${m} ${statLabel[s]}`, dash: c.dash }))).flat(),
      ),
    [overlayOn, stableMetrics],
  );
  const clock = useCallback(() => live.serverNow(), [live]);
  const onToggle = useCallback((m: string, show: boolean) => {
    setHidden((prev) => {
      if (prev.has(m) === !show) return prev;
      const next = new Set(prev);
      if (show) next.delete(m);
      else next.add(m);
      return next;
    });
  }, []);

  const history = useHistory(id, stableMetrics, view, plotWidth);
  const stats = useLiveStats(id, feed.buffer, feed.changed);
  const now = useNow();
  const serverNow = live.serverNow();
  const range = viewRange(view, serverNow);
  const completeness = useCompleteness(id, range.from, range.to);
  const alarms = useDeviceAlarms(id, range.from, range.to);
  const viewRef = useMemo(() => ({ current: view }), []);
  viewRef.current = view;
  const rangeNow = useCallback(() => viewRange(viewRef.current, live.serverNow()), [live, viewRef]);
  void now;

  if (!device) {
    return (
      <main className="page">
        <BackLink />
        {load.status === 'missing' ? (
          <div className="empty" data-testid="device-missing">
            <p>
              No device <code>{id}</code>.
            </p>
          </div>
        ) : load.status === 'error' ? (
          <div className="banner banner-error" role="alert">
            Could not load device {id}: {load.error}
          </div>
        ) : (
          <p className="empty">Loading {id}…</p>
        )}
      </main>
    );
  }

  const vibration = !!profile?.metrics.fault_type || 'fault_type' in device.latest;
  const spanKey = view.mode === 'follow' ? SPANS.find((s) => s.ms === view.span)?.key : undefined;
  const openAlarms = alarms.filter((a) => a.status === 'active_unacked' || a.status === 'active_acked').length;

  return (
    <main className="page">
      <BackLink />
      <div className="device-head">
        <h1 className="page-title" data-testid="device-title">
          <OnlineDot online={device.online} /> {device.id}
        </h1>
        <span className="badge">{device.profile ?? 'no profile'}</span>
        <span className="device-meta">
          {device.online ? 'online' : 'offline'} · last seen <RelativeTime ts={device.lastSeen} testId="device-last-seen" />
        </span>
        {openAlarms > 0 && (
          <a className="alarm-count" href={hrefs.alarms(id)} data-testid="device-open-alarms">
            {openAlarms} open alarm{openAlarms === 1 ? '' : 's'}
          </a>
        )}
      </div>
      {profile?.description && <p className="device-desc">{profile.description}</p>}

      <section className="big-values" aria-label="latest values">
        {metrics.map((m) => (
          <MetricValue key={m} big device={device.id} metric={m} latest={device.latest[m]} spec={profile?.metrics[m]} color={colors[m]} />
        ))}
      </section>

      <section className="panel" aria-label="chart">
        <div className="panel-head chart-bar">
          <div className="segmented" role="group" aria-label="time span">
            {SPANS.map((s) => (
              <button
                key={s.key}
                type="button"
                className={spanKey === s.key ? 'active' : ''}
                aria-pressed={spanKey === s.key}
                data-testid={`span-${s.key}`}
                onClick={() => setView({ mode: 'follow', span: s.ms })}
              >
                {s.label}
              </button>
            ))}
          </div>
          <div className="segmented" role="group" aria-label="scroll in time">
            <button type="button" data-testid="pan-back" title="earlier" onClick={() => setView({ mode: 'fixed', ...panRange(range, -0.5, serverNow) })}>
              ◀
            </button>
            <button
              type="button"
              data-testid="pan-forward"
              title="later"
              disabled={view.mode === 'follow'}
              onClick={() => {
                const next = panRange(range, 0.5, serverNow);
                setView(next.to >= serverNow - 1000 ? { mode: 'follow', span: next.to - next.from } : { mode: 'fixed', ...next });
              }}
            >
              ▶
            </button>
            <button
              type="button"
              className={view.mode === 'follow' ? 'active' : ''}
              data-testid="follow-live"
              onClick={() => setView({ mode: 'follow', span: view.mode === 'follow' ? view.span : Math.max(LIVE_WINDOW_MS, range.to - range.from) })}
            >
              ● live
            </button>
          </div>
          <span className="hint" data-testid="chart-range">
            {fmtRange(range.from, range.to)}
            {history.page
              ? ` · ${history.page.resolution === 'raw' && history.page.bucketMs <= 1 ? 'raw' : `${fmtDuration(history.page.bucketMs)} buckets`}`
              : ' · live'}
          </span>
          {(history.loading || liveHistory.status === 'loading') && <span className="hint">loading…</span>}
          {history.error && <span className="hint hint-error">history unavailable: {history.error}</span>}
        </div>
        {metrics.length > 0 ? (
          <>
            <div className="chart-tools">
              <MetricToggles metrics={stableMetrics} profile={profile} colors={colors} hidden={hidden} onToggle={onToggle} />
              <div className="toggles" role="group" aria-label="overlays">
                {OVERLAY_CHOICES.map((c) => {
                  const on = overlayOn.has(c.key);
                  return (
                    <button
                      key={c.key}
                      type="button"
                      className={`toggle ${on ? 'toggle-on' : ''}`}
                      aria-pressed={on}
                      data-testid={`overlay-toggle-${c.key}`}
                      onClick={() =>
                        setOverlayOn((prev) => {
                          const next = new Set(prev);
                          if (on) next.delete(c.key);
                          else next.add(c.key);
                          return next;
                        })
                      }
                    >
                      {c.label}
                    </button>
                  );
                })}
              </div>
            </div>
            <TimeChart
              buffer={feed.buffer}
              changed={feed.changed}
              history={history.page}
              metrics={stableMetrics}
              overlays={overlays}
              profile={profile}
              colors={colors}
              hidden={hidden}
              view={view}
              onView={setView}
              onPlotWidth={setPlotWidth}
              alarms={alarms}
              clock={clock}
              theme={theme}
            />
            <div className="chart-foot">
              <span className="hint">Drag to zoom · wheel to zoom · shift+wheel to scroll · overlays come from live analytics</span>
              <span className="completeness" data-testid="completeness" data-ratio={completeness?.ratio ?? ''}>
                {completeness
                  ? completeness.expected === 0
                    ? 'completeness: no sequenced messages in range'
                    : `completeness ${(completeness.ratio * 100).toFixed(completeness.ratio < 1 ? 2 : 0)} % · ${completeness.received} of ${completeness.expected} received · ${completeness.missing} missed`
                  : 'completeness …'}
              </span>
              <a
                className="btn"
                href={api.exportUrl(id, range.from, range.to)}
                download
                data-testid="export-csv"
                onClick={(e) => {
                  // A link cannot carry the Authorization header: when signed in, fetch it and save the blob.
                  if (!session.signedIn) return;
                  e.preventDefault();
                  api.exportBlob(id, range.from, range.to).then(
                    (blob) => saveBlob(blob, `${id}-${new Date(range.from).toISOString().slice(0, 19).replace(/:/g, '')}.csv`),
                    (err: unknown) => window.alert(`Export failed: ${err instanceof Error ? err.message : String(err)}`),
                  );
                }}
              >
                Export CSV
              </a>
            </div>
          </>
        ) : (
          <p className="empty">No readings yet.</p>
        )}
      </section>

      {vibration && (
        <section className="panel" aria-label="diagnosis">
          <div className="panel-head">
            <h2>Diagnosis</h2>
            <span className="hint">fault_type over the chart's range · waveform of the last 10 s</span>
          </div>
          <div className="diagnosis">
            <FaultTimeline buffer={feed.buffer} changed={feed.changed} history={history.page} range={rangeNow} />
            <Waveform buffer={feed.buffer} changed={feed.changed} colors={colors} />
          </div>
        </section>
      )}

      <section className="panel" aria-label="live statistics">
        <div className="panel-head">
          <h2>Live statistics</h2>
          <span className="hint">1-minute window and moving averages, updated each second</span>
        </div>
        <div className="table-scroll">
          <table className="stats-table" data-testid="stats-table">
            <thead>
              <tr>
                <th>metric</th>
                <th>current</th>
                <th>min 1m</th>
                <th>max 1m</th>
                <th>avg 1m</th>
                <th>MA 1m</th>
                <th>MA 5m</th>
                <th>MA 15m</th>
              </tr>
            </thead>
            <tbody>
              {metrics.map((m) => {
                const s = stats[m];
                const unit = profile?.metrics[m]?.unit ?? '';
                const cell = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : formatValue(v));
                return (
                  <tr key={m} data-testid={`stats-row-${m}`}>
                    <td>
                      <span className="swatch" style={{ background: colors[m] }} /> {m} <span className="toggle-unit">{unit}</span>
                    </td>
                    <td>{cell(s?.current)}</td>
                    <td>{cell(s?.min1m)}</td>
                    <td>{cell(s?.max1m)}</td>
                    <td>{cell(s?.avg1m)}</td>
                    <td>{cell(s?.ma1m)}</td>
                    <td>{cell(s?.ma5m)}</td>
                    <td>{cell(s?.ma15m)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
    </main>
  );
}

const statLabel: Record<(typeof OVERLAY_STATS)[number], string> = { min1m: 'min 1m', max1m: 'max 1m', ma1m: 'MA 1m', ma5m: 'MA 5m', ma15m: 'MA 15m' };

function fmtRange(from: number, to: number): string {
  const a = new Date(from);
  const b = new Date(to);
  const sameDay = a.toDateString() === b.toDateString();
  const t = (d: Date) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: to - from < 3_600_000 ? '2-digit' : undefined });
  return sameDay ? `${t(a)} – ${t(b)}` : `${a.toLocaleDateString()} ${t(a)} – ${b.toLocaleDateString()} ${t(b)}`;
}

function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}

function BackLink() {
  return (
    <a className="back" href={hrefs.overview()}>
      ← All devices
    </a>
  );
}
