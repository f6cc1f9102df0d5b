import type { LatestValue, MetricSpec, Profile } from '../../../src/model/device.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { formatValue } from '../state/format.js';
import { enumLabel, metricLabel } from '../state/profiles.js';
import { valueStatus } from '../state/status.js';

interface Props {
  device: string;
  metric: string;
  latest: LatestValue | undefined;
  profile: Profile | undefined;
  big?: boolean;
  color?: string;
}

/** One metric's latest value with its unit (an enum by its label), coloured by where it sits in the profile's ranges. */
export function MetricValue({ device, metric, latest, profile, big, color }: Props) {
  const { t } = useTranslation('general');
  const lang = currentLanguage();
  const spec = profile?.metrics[metric];
  const status = latest ? valueStatus(latest.value, spec) : 'none';
  const name = metricLabel(profile, metric, lang);
  const label = latest ? enumLabel(spec, latest.value, lang) : null;
  const title = [name === metric ? metric : `${name} (${metric})`, spec?.description, rangeText(spec, t), status === 'none' ? '' : t(`valueStatus.${status}`)]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className={`mv ${big ? 'mv-big' : ''} st-${status}`} data-testid={`device-value-${device}-${metric}`} data-status={status} title={title}>
      <div className="mv-name">
        {color && <span className="swatch" style={{ background: color }} />}
        {name}
      </div>
      <div className="mv-reading">
        <span className={`mv-num ${label ? 'mv-label' : ''}`} data-value={latest?.value}>
          {latest ? (label ?? formatValue(latest.value, lang)) : '—'}
        </span>
        {spec?.unit && !label && <span className="mv-unit">{spec.unit}</span>}
        {status === 'warning' || status === 'alarm' ? <span className="sr-only"> ({t(`valueStatus.${status}`)})</span> : null}
      </div>
    </div>
  );
}

function rangeText(spec: MetricSpec | undefined, t: (k: 'range.normal' | 'range.valid', o: { low: string; high: string }) => string): string {
  if (!spec) return '';
  const parts: string[] = [];
  if (spec.warnLow !== undefined || spec.warnHigh !== undefined)
    parts.push(t('range.normal', { low: String(spec.warnLow ?? '−∞'), high: String(spec.warnHigh ?? '∞') }));
  if (spec.min !== undefined || spec.max !== undefined) parts.push(t('range.valid', { low: String(spec.min ?? '−∞'), high: String(spec.max ?? '∞') }));
  return parts.join(', ');
}
