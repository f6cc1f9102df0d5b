import type { Profile } from '../../../src/model/device.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { metricLabel } from '../state/profiles.js';

interface Props {
  metrics: string[];
  profile: Profile | undefined;
  colors: Record<string, string>;
  hidden: ReadonlySet<string>;
  onToggle(metric: string, show: boolean): void;
}

/** Show/hide each series of the chart. */
export function MetricToggles({ metrics, profile, colors, hidden, onToggle }: Props) {
  const { t } = useTranslation('general');
  const lang = currentLanguage();
  return (
    <div className="toggles" role="group" aria-label={t('seriesShown')}>
      {metrics.map((m) => {
        const shown = !hidden.has(m);
        const unit = profile?.metrics[m]?.unit;
        return (
          <button
            key={m}
            type="button"
            className={`toggle ${shown ? 'toggle-on' : ''}`}
            aria-pressed={shown}
            data-testid={`metric-toggle-${m}`}
            onClick={() => onToggle(m, !shown)}
          >
            <span className="swatch" style={{ background: shown ? colors[m] : 'transparent', borderColor: colors[m] }} />
            {metricLabel(profile, m, lang)}
            {unit && <span className="toggle-unit">{unit}</span>}
          </button>
        );
      })}
    </div>
  );
}
