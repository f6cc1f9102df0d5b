import type { LatestValue, MetricSpec } from '../../../src/model/device.js';
import { formatValue } from '../state/format.js';
import { valueStatus } from '../state/status.js';

interface Props {
  device: string;
  metric: string;
  latest: LatestValue | undefined;
  spec: MetricSpec | undefined;
  big?: boolean;
  color?: string;
}

const statusText = { normal: 'normal', warning: 'warning', alarm: 'alarm', none: '' } as const;

/** One metric's latest value with its unit, coloured by where it sits in the profile's ranges. */
export function MetricValue({ device, metric, latest, spec, big, color }: Props) {
  const status = latest ? valueStatus(latest.value, spec) : 'none';
  const title = [metric, spec?.description, rangeText(spec), statusText[status]].filter(Boolean).join(' · ');
  return (
    <div className={`mv ${big ? 'mv-big' : ''} st-${status}`} data-testid={`device-value-${device}-${metric}`} data-status={status} title={title}>
      <div className="mv-name">
        {color && <span className="swatch" style={{ background: color }} />}
        {metric}
      </div>
      <div className="mv-reading">
        <span className="mv-num">{latest ? formatValue(latest.value) : '—'}</span>
        {spec?.unit && <span className="mv-unit">{spec.unit}</span>}
        {status === 'warning' || status === 'alarm' ? <span className="sr-only"> ({status})</span> : null}
      </div>
    </div>
  );
}

function rangeText(spec: MetricSpec | undefined): string {
  if (!spec) return '';
  const parts: string[] = [];
  if (spec.warnLow !== undefined || spec.warnHigh !== undefined) parts.push(`normal ${spec.warnLow ?? '−∞'}…${spec.warnHigh ?? '∞'}`);
  if (spec.min !== undefined || spec.max !== undefined) parts.push(`valid ${spec.min ?? '−∞'}…${spec.max ?? '∞'}`);
  return parts.join(', ');
}
