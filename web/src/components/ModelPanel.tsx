import { useEffect, useMemo, useState } from 'react';
import type { DeviceInfo, Profile } from '../../../src/model/device.js';
import { ApiError } from '../api.js';
import { useServices } from '../services.js';
import { useTranslation } from '../i18n/index.js';
import type { Language } from '../i18n/catalogues.js';
import { modelChart } from '../state/model-chart.js';
import type { SeriesBuffer } from '../state/series-buffer.js';
import type { Signal } from '../state/signal.js';
import type { HistoryPage } from '../state/timeline.js';
import { formatDateTime, formatValue } from '../state/format.js';
import type { Theme } from '../theme.js';
import { ModelApi, type DeviceHealth } from '../tasks/models-api.js';
import { type ChartView, TimeChart } from './TimeChart.js';

const COLORS: Record<string, string> = {
  anomaly_score: '#7048e8',
  anomaly_threshold: '#d62828',
  rul_days: '#1c7ed6',
  rul_days_low: '#1c7ed6',
  rul_days_high: '#1c7ed6',
};
const DASHED: Record<string, number[]> = { anomaly_threshold: [8, 4], rul_days_low: [3, 3], rul_days_high: [3, 3] };
const NO_HIDDEN: ReadonlySet<string> = new Set();

/**
 * A device's model outputs: remaining useful life as a big number with its 95% interval and the
 * status the RUL API gives, and the prediction series on a chart that follows the device chart's
 * time range, the anomaly score beside its threshold (dashed; a dynamic threshold moves).
 */
export function ModelPanel({
  device,
  metrics,
  buffer,
  changed,
  history,
  view,
  onView,
  clock,
  theme,
  profile,
  lang,
}: {
  device: DeviceInfo;
  metrics: string[];
  buffer: SeriesBuffer;
  changed: Signal;
  history: HistoryPage | null;
  view: ChartView;
  onView(v: ChartView): void;
  clock(): number;
  theme: Theme;
  profile: Profile | undefined;
  lang: Language;
}) {
  const { api } = useServices();
  const models = useMemo(() => new ModelApi(api), [api]);
  const { t } = useTranslation('models');
  const chart = useMemo(() => modelChart(metrics, { score: t('device.axisScore'), rul: t('device.axisRul') }), [metrics, t]);
  const rul = device.latest.rul_days;
  const low = device.latest.rul_days_low;
  const high = device.latest.rul_days_high;
  const score = device.latest.anomaly_score;
  const threshold = device.latest.anomaly_threshold;
  const [health, setHealth] = useState<DeviceHealth | null>(null);
  // The RUL API's view of the latest prediction (its status and model version), asked again when a new one is stored.
  const latestTs = Math.max(rul?.ts ?? 0, score?.ts ?? 0);
  useEffect(() => {
    const ctl = { gone: false };
    models.health(device.id).then(
      (h) => !ctl.gone && setHealth(h),
      (err: unknown) => {
        // 404: no prediction since the server started; the stored series still say what is known.
        if (!ctl.gone && err instanceof ApiError && err.status === 404) setHealth(null);
      },
    );
    return () => {
      ctl.gone = true;
    };
  }, [models, device.id, latestTs]);
  const interval = low && high && Math.abs(low.ts - (rul?.ts ?? 0)) < 1000 ? { low: low.value, high: high.value } : null;
  const status = health?.status ?? (rul || score ? null : 'unknown');
  return (
    <section className="panel model-panel" aria-label={t('device.title')} data-testid="model-panel">
      <div className="panel-head">
        <h2>{t('device.title')}</h2>
        {health && (
          <span className="hint" data-testid="model-version">
            {t('device.model', { bundle: health.bundle })}
          </span>
        )}
      </div>
      <div className="rul-big">
        {rul ? (
          <>
            <span className="sr-only">{t('device.rul')}</span>
            <span className="rul-value" data-testid="rul-value" data-value={rul.value}>
              {t('days', { value: formatValue(rul.value, lang) })}
            </span>
            {interval && (
              <span className="rul-interval" data-testid="rul-interval" data-low={interval.low} data-high={interval.high}>
                {t('device.interval', { low: formatValue(interval.low, lang), high: formatValue(interval.high, lang) })}
              </span>
            )}
            <span className="hint">{t('device.rulAt', { time: formatDateTime(rul.ts, lang) })}</span>
          </>
        ) : (
          <span className="hint" data-testid="rul-none">
            {t('device.noRul')}
          </span>
        )}
        {status && (
          <span className={`badge rul-status-${status}`} data-testid="rul-status" data-status={status}>
            {t(`device.status.${status}`)}
          </span>
        )}
        {score && (
          <span className="hint" data-testid="model-score">
            {threshold
              ? t('device.scoreVsThreshold', { score: formatValue(score.value, lang), threshold: formatValue(threshold.value, lang) })
              : t('device.score', { score: formatValue(score.value, lang) })}
          </span>
        )}
      </div>
      {chart.metrics.length > 0 && (
        <>
          <TimeChart
            buffer={buffer}
            changed={changed}
            history={history}
            metrics={chart.metrics}
            overlays={[]}
            profile={profile}
            colors={COLORS}
            hidden={NO_HIDDEN}
            view={view}
            onView={onView}
            onPlotWidth={() => undefined}
            alarms={[]}
            clock={clock}
            theme={theme}
            lang={lang}
            groups={chart.groups}
            dashed={DASHED}
          />
          <p className="hint" data-testid="model-chart-legend">
            {t('device.legend')}
          </p>
        </>
      )}
    </section>
  );
}
