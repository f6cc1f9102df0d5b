import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Profile } from '../../../src/model/device.js';
import { StateBands, Waveform } from '../components/StateBands.js';
import { MetricToggles } from '../components/MetricToggles.js';
import { MetricValue } from '../components/MetricValue.js';
import { ModelPanel } from '../components/ModelPanel.js';
import { MODEL_OUTPUTS } from '../tasks/models-api.js';
import { RelativeTime } from '../components/RelativeTime.js';
import { OnlineDot } from '../components/StatusDot.js';
import { type ChartView, type Overlay, type Threshold, TimeChart, viewRange } from '../components/TimeChart.js';
import { type RawRow, useCompleteness, useDeviceAlarms, useHistory, useLiveStats, useRawPage, useRules } from '../hooks/useDeviceData.js';
import { type DeviceFeed, type HistoryState, useDeviceFeed } from '../hooks/useDeviceFeed.js';
import { useNow } from '../hooks/useNow.js';
import { hrefs } from '../hooks/useRoute.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import type { Language } from '../i18n/catalogues.js';
import { useServices } from '../services.js';
import { formatAxisDay, formatAxisTime, formatDateTime, formatPercent, formatValue } from '../state/format.js';
import type { OverlayStat } from '../state/overlays.js';
import { seriesColors } from '../state/palette.js';
import { enumLabel, isEnumMetric, localText, metricLabel, metricOrder, profileLabel } from '../state/profiles.js';
import { chartThresholds } from '../state/thresholds.js';
import { LIVE_WINDOW_MS, SPANS, panRange } from '../state/timeline.js';
import { useTheme } from '../theme.js';
import { saveBlob } from '../state/save-blob.js';
import { DeviceRegistryPanel } from './DevicePageRegistry.js';
import { DeviceOtaHistory } from './DevicePageOta.js';

type Load = { status: 'loading' } | { status: 'ok' } | { status: 'missing' } | { status: 'error'; error: string };

const MINUTE = 60_000;
const DAY = 86_400_000;
type OverlayChoice = 'minmax1m' | 'ma1m' | 'ma5m' | 'ma15m';
const OVERLAY_CHOICES: {
  key: OverlayChoice;
  parts: { stat: OverlayStat; name: 'min1m' | 'max1m' | 'ma1m' | 'ma5m' | 'ma15m' }[];
  windowMs: number;
  dash: number[];
}[] = [
  {
    key: 'minmax1m',
    parts: [
      { stat: 'min', name: 'min1m' },
      { stat: 'max', name: 'max1m' },
    ],
    windowMs: MINUTE,
    dash: [2, 3],
  },
  { key: 'ma1m', parts: [{ stat: 'ma', name: 'ma1m' }], windowMs: MINUTE, dash: [6, 3] },
  { key: 'ma5m', parts: [{ stat: 'ma', name: 'ma5m' }], windowMs: 5 * MINUTE, dash: [10, 4] },
  { key: 'ma15m', parts: [{ stat: 'ma', name: 'ma15m' }], windowMs: 15 * MINUTE, dash: [14, 4, 2, 4] },
];

/**
 * A device's page. A device the server does not know is told from the device list (a request
 * that succeeds), so the page of an unknown id fires no request that fails.
 */
export function DevicePage({ id }: { id: string }) {
  const { devices, profiles, refreshDevices, ensureProfile } = useServices();
  const { t } = useTranslation('device');
  useThrottledStore(devices, 200);
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const profile = devices.get(id)?.profile ?? null;
  // The profile the page waited for (loaded, or found missing): the chart is built once, with the
  // profile's metric order, axes and labels, instead of once without and again when it arrives.
  const [profileSettled, setProfileSettled] = useState<string | null>(null);

  useEffect(() => {
    let gone = false;
    setLoad({ status: 'loading' });
    // The list the page's start asked for, when it answered just now: not asked for twice.
    refreshDevices({ pageOpening: true }).then(
      () => {
        if (!gone) setLoad({ status: devices.get(id) ? 'ok' : 'missing' });
      },
      (err: unknown) => {
        if (!gone) setLoad({ status: 'error', error: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      gone = true;
    };
  }, [devices, refreshDevices, id]);

  useEffect(() => {
    let gone = false;
    if (profile) void ensureProfile(profile).then(() => !gone && setProfileSettled(profile));
    return () => {
      gone = true;
    };
  }, [ensureProfile, profile]);

  // The live window's readings are asked for as soon as the device is known to exist, while the
  // profile and the page's first render are still on their way: the chart's data is the last thing
  // the first chart waits for.
  const [feed, liveHistory] = useDeviceFeed(id, LIVE_WINDOW_MS, devices.get(id) !== undefined);

  if (devices.get(id) && (!profile || profileSettled === profile || profiles.has(profile))) return <DeviceView id={id} feed={feed} liveHistory={liveHistory} />;
  return (
    <main className="page">
      <BackLink />
      {(load.status === 'missing' || load.status === 'ok') && !devices.get(id) ? (
        <div className="empty" data-testid="device-missing">
          <p>
            {t('missing')} <code>{id}</code>
          </p>
        </div>
      ) : load.status === 'error' ? (
        <div className="banner banner-error" role="alert">
          {t('loadFailed', { id, error: load.error })}
        </div>
      ) : (
        <p className="empty">{t('loadingDevice', { id })}</p>
      )}
    </main>
  );
}

function DeviceView({ id, feed, liveHistory }: { id: string; feed: DeviceFeed; liveHistory: HistoryState }) {
  const { api, session, devices, profiles, live } = useServices();
  const { t } = useTranslation('device');
  const { t: g } = useTranslation('general');
  const lang = currentLanguage();
  useThrottledStore(devices, 200);
  useThrottledStore(profiles, 50);
  const theme = useTheme();
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [view, setView] = useState<ChartView>({ mode: 'follow', span: LIVE_WINDOW_MS });
  const [plotWidth, setPlotWidth] = useState(0);
  const [overlayOn, setOverlayOn] = useState<ReadonlySet<OverlayChoice>>(new Set());
  const [showThresholds, setShowThresholds] = useState(true);
  const [showOutliers, setShowOutliers] = useState(false);

  const device = devices.get(id)!;
  const profile = profiles.get(device.profile);
  const metrics = metricOrder(
    profile,
    Object.keys(device.latest),
    feed.buffer.metrics().filter((m) => !m.includes('~')),
  );
  const metricsKey = metrics.join('\u0000');
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stableMetrics = useMemo(() => metrics, [metricsKey, profile]);
  // Enum metrics (fault_type) are states, not quantities: bands of labels, not a line.
  const enumMetrics = useMemo(() => stableMetrics.filter((m) => isEnumMetric(profile?.metrics[m])), [stableMetrics, profile]);
  // A model's outputs (anomaly score, RUL...) have their own panel with their own axes.
  const modelMetrics = useMemo(() => stableMetrics.filter((m) => MODEL_OUTPUTS.includes(m)), [stableMetrics]);
  const lineMetrics = useMemo(() => stableMetrics.filter((m) => !enumMetrics.includes(m) && !MODEL_OUTPUTS.includes(m)), [stableMetrics, enumMetrics]);
  const colors = useMemo(() => seriesColors(stableMetrics), [stableMetrics]);
  const overlays = useMemo<Overlay[]>(
    () =>
      OVERLAY_CHOICES.filter((c) => overlayOn.has(c.key)).flatMap((c) =>
        lineMetrics.flatMap((m) =>
          c.parts.map((p): Overlay => ({
            key: `${m}~${p.name}`,
            metric: m,
            label: `${metricLabel(profile, m, lang)} ${t(`stat.${p.name}`)}`,
            dash: c.dash,
            stat: p.stat,
            windowMs: c.windowMs,
          })),
        ),
      ),
    [overlayOn, lineMetrics, profile, lang, t],
  );
  const marginMs = overlays.reduce((w, o) => Math.max(w, o.windowMs), 0);
  const rules = useRules();
  const thresholds = useMemo<Threshold[]>(
    () =>
      showThresholds
        ? chartThresholds(id, profile, rules, lineMetrics).map((th) => {
            const name = metricLabel(profile, th.metric, lang);
            const label = typeof th.source === 'string' ? t(`threshold.${th.source}`, { metric: name }) : t('threshold.rule', { name: th.source.rule });
            return { metric: th.metric, value: th.value, kind: th.kind, side: th.side, label: `${label} ${formatValue(th.value, lang)}` };
          })
        : [],
    [showThresholds, id, profile, rules, lineMetrics, lang, t],
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

  const history = useHistory(id, stableMetrics, view, plotWidth, marginMs);
  const stats = useLiveStats(id, feed.buffer, feed.changed);
  const now = useNow();
  const serverNow = live.serverNow();
  const range = viewRange(view, serverNow);
  const completeness = useCompleteness(id, range.from, range.to);
  const alarms = useDeviceAlarms(id, range.from, range.to);
  const viewRef = useRef(view);
  viewRef.current = view;
  const rangeNow = useCallback(() => viewRange(viewRef.current, live.serverNow()), [live, viewRef]);
  void now;

  const spanKey = view.mode === 'follow' ? SPANS.find((s) => s.ms === view.span)?.key : undefined;
  const openAlarms = alarms.filter((a) => a.status === 'active_unacked' || a.status === 'active_acked').length;
  const vibration = ['normal', 'unbalance', 'looseness', 'unbalance_looseness'].every((m) => stableMetrics.includes(m));
  const dayValue = dateInput(view.mode === 'fixed' ? view.from : range.from);
  const toggleSet = <T,>(set: ReadonlySet<T>, k: T): ReadonlySet<T> => {
    const next = new Set(set);
    if (next.has(k)) next.delete(k);
    else next.add(k);
    return next;
  };

  return (
    <main className="page">
      <BackLink />
      <div className="device-head">
        <h1 className="page-title" data-testid="device-title">
          <OnlineDot online={device.online} /> {device.id}
        </h1>
        <span className="badge" title={device.profile ?? undefined} data-testid="device-profile">
          {device.profile ? profileLabel(profile, device.profile, lang) : g('noProfile')}
        </span>
        <span className="device-meta">
          {device.online ? g('online') : g('offline')} · {g('lastSeen')} <RelativeTime ts={device.lastSeen} testId="device-last-seen" />
        </span>
        {openAlarms > 0 && (
          <a className="alarm-count" href={hrefs.alarms(id)} data-testid="device-open-alarms">
            {t('openAlarms', { count: openAlarms })}
          </a>
        )}
      </div>
      {profile?.description && <p className="device-desc">{profile.description}</p>}

      <section className="big-values" aria-label={t('latestValues')}>
        {stableMetrics
          .filter((m) => !MODEL_OUTPUTS.includes(m))
          .map((m) => (
            <MetricValue key={m} big device={device.id} metric={m} latest={device.latest[m]} profile={profile} color={colors[m]} />
          ))}
      </section>

      <section className="panel" aria-label={t('chart')}>
        <div className="panel-head chart-bar">
          <div className="segmented" role="group" aria-label={t('timeSpan')}>
            {SPANS.map((s) => (
              <button
                key={s.key}
                type="button"
                className={spanKey === s.key ? 'active' : ''}
                aria-pressed={spanKey === s.key}
                data-testid={`span-${s.key}`}
                onClick={() => setView({ mode: 'follow', span: s.ms })}
              >
                {t(`spans.${s.key}`)}
              </button>
            ))}
          </div>
          <div className="segmented" role="group" aria-label={t('scroll')}>
            <button
              type="button"
              data-testid="pan-back"
              title={t('earlier')}
              aria-label={t('earlier')}
              onClick={() => setView({ mode: 'fixed', ...panRange(range, -0.5, serverNow) })}
            >
              ◀
            </button>
            <button
              type="button"
              data-testid="pan-forward"
              title={t('later')}
              aria-label={t('later')}
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
              {t('live')}
            </button>
          </div>
          <label className="date-filter day-picker">
            <span className="sr-only">{t('jumpToDay')}</span>
            <input
              type="date"
              value={dayValue}
              max={dateInput(serverNow)}
              aria-label={t('jumpToDay')}
              title={t('jumpToDay')}
              data-testid="day-picker"
              onChange={(e) => {
                if (!e.target.value) return;
                const from = new Date(`${e.target.value}T00:00`).getTime();
                if (!Number.isFinite(from)) return;
                const to = Math.min(from + DAY, serverNow);
                setView(to >= serverNow - 1000 ? { mode: 'follow', span: to - from } : { mode: 'fixed', from, to });
              }}
            />
          </label>
          <span className="hint" data-testid="chart-range">
            {fmtRange(range.from, range.to, lang)}
            {history.page
              ? ` · ${history.page.resolution === 'raw' && history.page.bucketMs <= 1 ? t('raw') : t('buckets', { width: fmtDuration(history.page.bucketMs, lang) })}`
              : ` · ${t('liveOnly')}`}
          </span>
          {(history.loading || liveHistory.status === 'loading') && <span className="hint">{t('loading')}</span>}
          {history.error && <span className="hint hint-error">{t('historyUnavailable', { error: history.error })}</span>}
        </div>
        {stableMetrics.length > 0 ? (
          <>
            <div className="chart-tools">
              <MetricToggles metrics={lineMetrics} profile={profile} colors={colors} hidden={hidden} onToggle={onToggle} />
              <div className="toggles" role="group" aria-label={t('overlays')}>
                {OVERLAY_CHOICES.map((c) => {
                  const on = overlayOn.has(c.key);
                  return (
                    <button
                      key={c.key}
                      type="button"
                      className={`toggle ${on ? 'toggle-on' : ''}`}
                      aria-pressed={on}
                      data-testid={`overlay-toggle-${c.key}`}
                      onClick={() => setOverlayOn((prev) => toggleSet(prev, c.key))}
                    >
                      {t(`overlay.${c.key}`)}
                    </button>
                  );
                })}
                <button
                  type="button"
                  className={`toggle ${showThresholds ? 'toggle-on' : ''}`}
                  aria-pressed={showThresholds}
                  data-testid="overlay-toggle-thresholds"
                  onClick={() => setShowThresholds((v) => !v)}
                >
                  {t('overlay.thresholds')}
                </button>
                <button
                  type="button"
                  className={`toggle ${showOutliers ? 'toggle-on' : ''}`}
                  aria-pressed={showOutliers}
                  data-testid="overlay-toggle-outliers"
                  onClick={() => setShowOutliers((v) => !v)}
                >
                  {t('overlay.outliers')}
                </button>
              </div>
            </div>
            {lineMetrics.length > 0 && (
              <TimeChart
                buffer={feed.buffer}
                changed={feed.changed}
                history={history.page}
                metrics={lineMetrics}
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
                thresholds={thresholds}
                outliers={showOutliers}
                lang={lang}
              />
            )}
            {enumMetrics.map((m) => (
              <div key={m} className="state-row" data-testid={`state-row-${m}`}>
                <div className="state-name">{metricLabel(profile, m, lang)}</div>
                <StateBands
                  metric={m}
                  labels={enumLabels(profile, m, lang)}
                  mixedLabel={t('mixed')}
                  buffer={feed.buffer}
                  changed={feed.changed}
                  history={history.page}
                  range={rangeNow}
                />
              </div>
            ))}
            <div className="chart-foot">
              <span className="hint">{t('chartHelp')}</span>
              <span className="completeness" data-testid="completeness" data-ratio={completeness?.ratio ?? ''}>
                {completeness
                  ? completeness.expected === 0
                    ? t('completenessNone')
                    : t('completeness', {
                        ratio: formatPercent(completeness.ratio, lang),
                        received: completeness.received,
                        expected: completeness.expected,
                        missing: completeness.missing,
                      })
                  : t('completenessLoading')}
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
                    (err: unknown) => window.alert(t('exportFailed', { error: err instanceof Error ? err.message : String(err) })),
                  );
                }}
              >
                {t('exportCsv')}
              </a>
            </div>
          </>
        ) : (
          <p className="empty">{t('noReadings')}</p>
        )}
      </section>

      {modelMetrics.length > 0 && (
        <ModelPanel
          device={device}
          metrics={modelMetrics}
          buffer={feed.buffer}
          changed={feed.changed}
          history={history.page}
          view={view}
          onView={setView}
          clock={clock}
          theme={theme}
          profile={profile}
          lang={lang}
        />
      )}

      {vibration && (
        <section className="panel" aria-label={t('diagnosis')}>
          <div className="panel-head">
            <h2>{t('diagnosis')}</h2>
            <span className="hint">{t('diagnosisHint', { metric: enumMetrics.map((m) => metricLabel(profile, m, lang)).join(', ') })}</span>
          </div>
          <div className="diagnosis">
            <Waveform buffer={feed.buffer} changed={feed.changed} colors={colors} />
          </div>
        </section>
      )}

      <RawTable id={id} profile={profile} metrics={stableMetrics} enumMetrics={enumMetrics} from={range.from} to={range.to} lang={lang} />

      <section className="panel" aria-label={t('liveStats')}>
        <div className="panel-head">
          <h2>{t('liveStats')}</h2>
          <span className="hint">{t('liveStatsHint')}</span>
        </div>
        <div className="table-scroll">
          <table className="stats-table" data-testid="stats-table">
            <thead>
              <tr>
                <th>{t('column.metric')}</th>
                <th>{t('column.current')}</th>
                <th>{t('column.min1m')}</th>
                <th>{t('column.max1m')}</th>
                <th>{t('column.avg1m')}</th>
                <th>{t('column.ma1m')}</th>
                <th>{t('column.ma5m')}</th>
                <th>{t('column.ma15m')}</th>
              </tr>
            </thead>
            <tbody>
              {lineMetrics.map((m) => {
                const s = stats[m];
                const unit = profile?.metrics[m]?.unit ?? '';
                const cell = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : formatValue(v, lang));
                return (
                  <tr key={m} data-testid={`stats-row-${m}`}>
                    <td>
                      <span className="swatch" style={{ background: colors[m] }} /> {metricLabel(profile, m, lang)} <span className="toggle-unit">{unit}</span>
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

      <DeviceRegistryPanel device={device} />
      <DeviceOtaHistory device={device.id} />
    </main>
  );
}

/** An enum metric's labelled values in the language, in the profile's order. */
function enumLabels(profile: Profile | undefined, metric: string, lang: Language): { value: number; label: string }[] {
  const labels = profile?.metrics[metric]?.labels ?? {};
  return Object.keys(labels)
    .map((k) => ({ value: Number(k), label: localText(labels[k], lang) ?? k }))
    .filter((l) => Number.isFinite(l.value))
    .sort((a, b) => a.value - b.value);
}

const RAW_PAGE = 50;

/** The readings of the chart's range, newest first, a page at a time; enum metrics can filter it (fault type). */
function RawTable({
  id,
  profile,
  metrics,
  enumMetrics,
  from,
  to,
  lang,
}: {
  id: string;
  profile: Profile | undefined;
  metrics: string[];
  enumMetrics: string[];
  from: number;
  to: number;
  lang: Language;
}) {
  const { t } = useTranslation('device');
  const [open, setOpen] = useState(false);
  // Pages are anchored at the range's end when the table was opened or the range last moved by a minute.
  const anchor = Math.ceil(to / MINUTE) * MINUTE;
  const [cursor, setCursor] = useState<{ anchor: number; stack: number[] }>({ anchor, stack: [anchor] });
  const [filter, setFilter] = useState<{ metric: string; value: number } | null>(null);
  const cur = cursor.anchor === anchor ? cursor : { anchor, stack: [anchor] };
  const before = cur.stack[cur.stack.length - 1];
  return (
    <section className="panel" aria-label={t('rawData')} data-testid="raw-data">
      <div className="panel-head">
        <h2>
          <button type="button" className="link-btn" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="raw-toggle">
            {open ? '▾' : '▸'} {t('rawData')}
          </button>
        </h2>
        <span className="hint">{t('rawHint')}</span>
        {open &&
          enumMetrics.map((m) => (
            <select
              key={m}
              aria-label={t('filterBy', { metric: metricLabel(profile, m, lang) })}
              data-testid={`raw-filter-${m}`}
              value={filter?.metric === m ? String(filter.value) : ''}
              onChange={(e) => {
                setFilter(e.target.value === '' ? null : { metric: m, value: Number(e.target.value) });
                setCursor({ anchor, stack: [anchor] });
              }}
            >
              <option value="">{t('anyFault', { metric: metricLabel(profile, m, lang) })}</option>
              {enumLabels(profile, m, lang).map((l) => (
                <option key={l.value} value={l.value}>
                  {l.label}
                </option>
              ))}
            </select>
          ))}
      </div>
      {open && (
        <RawRows
          id={id}
          profile={profile}
          metrics={metrics}
          from={from}
          before={before}
          filter={filter}
          lang={lang}
          page={cur.stack.length}
          onOlder={(ts) => setCursor({ anchor, stack: [...cur.stack, ts] })}
          onNewer={cur.stack.length > 1 ? () => setCursor({ anchor, stack: cur.stack.slice(0, -1) }) : null}
        />
      )}
    </section>
  );
}

function RawRows({
  id,
  profile,
  metrics,
  from,
  before,
  filter,
  lang,
  page,
  onOlder,
  onNewer,
}: {
  id: string;
  profile: Profile | undefined;
  metrics: string[];
  from: number;
  before: number;
  filter: { metric: string; value: number } | null;
  lang: Language;
  page: number;
  onOlder(ts: number): void;
  onNewer: (() => void) | null;
}) {
  const { t } = useTranslation('device');
  const raw = useRawPage(id, from, before, RAW_PAGE, filter);
  if (raw.status === 'loading') return <p className="empty">{t('loading')}</p>;
  if (raw.status === 'error') return <p className="hint hint-error">{t('rawFailed', { error: raw.error })}</p>;
  const cell = (r: RawRow, m: string) => {
    const v = r.values[m];
    if (v === undefined) return '';
    return enumLabel(profile?.metrics[m], v, lang) ?? formatValue(v, lang);
  };
  return (
    <>
      {raw.rows.length === 0 ? (
        <p className="empty" data-testid="raw-empty">
          {t('noRows')}
        </p>
      ) : (
        <div className="table-scroll">
          <table className="stats-table raw-table" data-testid="raw-table" data-rows={raw.rows.length}>
            <thead>
              <tr>
                <th>{t('column.time')}</th>
                {metrics.map((m) => (
                  <th key={m}>
                    {metricLabel(profile, m, lang)}
                    {profile?.metrics[m]?.unit ? ` (${profile.metrics[m].unit})` : ''}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {raw.rows.map((r) => (
                <tr key={r.ts}>
                  <td>{formatDateTime(r.ts, lang)}</td>
                  {metrics.map((m) => (
                    <td key={m} data-metric={m} data-value={r.values[m] ?? ''}>
                      {cell(r, m)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button type="button" className="btn btn-small" disabled={!onNewer} onClick={() => onNewer?.()} data-testid="raw-newer">
          {t('newer')}
        </button>
        <span className="hint" data-testid="raw-page">
          {t('page', { page })}
        </span>
        <button type="button" className="btn btn-small" disabled={!raw.more} onClick={() => onOlder(raw.rows[raw.rows.length - 1].ts)} data-testid="raw-older">
          {t('older')}
        </button>
      </div>
    </>
  );
}

/** yyyy-mm-dd in local time, for <input type=date>. */
function dateInput(ts: number): string {
  if (!Number.isFinite(ts)) return '';
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function fmtRange(from: number, to: number, lang: Language): string {
  const a = new Date(from);
  const b = new Date(to);
  const sameDay = a.toDateString() === b.toDateString();
  const t = (d: Date) => formatAxisTime(d.getTime(), lang, to - from < 3_600_000);
  const day = (d: Date) => formatAxisDay(d.getTime(), lang, true);
  return sameDay ? `${day(a)} ${t(a)} – ${t(b)}` : `${day(a)} ${t(a)} – ${day(b)} ${t(b)}`;
}

/** A bucket width in the language's units ("5 min", "5분"). */
function fmtDuration(ms: number, lang: Language): string {
  const unit = (value: number, u: 'millisecond' | 'second' | 'minute' | 'hour') =>
    new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
  if (ms < 1000) return unit(ms, 'millisecond');
  if (ms < 60_000) return unit(Math.round(ms / 1000), 'second');
  if (ms < 3_600_000) return unit(Math.round(ms / 60_000), 'minute');
  return unit(+(ms / 3_600_000).toFixed(1), 'hour');
}

function BackLink() {
  const { t } = useTranslation('device');
  return (
    <a className="back" href={hrefs.overview()}>
      {t('back')}
    </a>
  );
}
