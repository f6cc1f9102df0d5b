import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api.js';
import { LiveChart } from '../components/LiveChart.js';
import { MetricToggles } from '../components/MetricToggles.js';
import { MetricValue } from '../components/MetricValue.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { OnlineDot } from '../components/StatusDot.js';
import { useDeviceFeed } from '../hooks/useDeviceFeed.js';
import { hrefs } from '../hooks/useRoute.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { useServices } from '../services.js';
import { seriesColors } from '../state/palette.js';
import { metricOrder } from '../state/profiles.js';
import { useTheme } from '../theme.js';

const WINDOW_MS = 60_000;

type Load = { status: 'loading' } | { status: 'ok' } | { status: 'missing' } | { status: 'error'; error: string };

export function DevicePage({ id }: { id: string }) {
  const { api, devices, profiles, live, ensureProfile } = useServices();
  useThrottledStore(devices, 200);
  useThrottledStore(profiles, 50);
  const theme = useTheme();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [feed, history] = useDeviceFeed(id, WINDOW_MS);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());

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
  const metrics = metricOrder(profile, latestKeys, feed.buffer.metrics());
  const metricsKey = metrics.join('\u0000');
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stableMetrics = useMemo(() => metrics, [metricsKey]);
  const colors = useMemo(() => seriesColors(stableMetrics), [stableMetrics]);
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
      </div>
      {profile?.description && <p className="device-desc">{profile.description}</p>}

      <section className="big-values" aria-label="latest values">
        {metrics.map((m) => (
          <MetricValue key={m} big device={device.id} metric={m} latest={device.latest[m]} spec={profile?.metrics[m]} color={colors[m]} />
        ))}
      </section>

      <section className="panel" aria-label="last 60 seconds">
        <div className="panel-head">
          <h2>Last 60 s</h2>
          {history.status === 'loading' && <span className="hint">loading history…</span>}
          {history.status === 'error' && <span className="hint hint-error">history unavailable: {history.error}</span>}
        </div>
        {metrics.length > 0 ? (
          <>
            <MetricToggles metrics={stableMetrics} profile={profile} colors={colors} hidden={hidden} onToggle={onToggle} />
            <LiveChart
              buffer={feed.buffer}
              changed={feed.changed}
              metrics={stableMetrics}
              profile={profile}
              colors={colors}
              hidden={hidden}
              onToggle={onToggle}
              windowMs={WINDOW_MS}
              clock={clock}
              theme={theme}
            />
          </>
        ) : (
          <p className="empty">No readings yet.</p>
        )}
      </section>
    </main>
  );
}

function BackLink() {
  return (
    <a className="back" href={hrefs.overview()}>
      ← All devices
    </a>
  );
}
