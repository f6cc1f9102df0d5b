import { memo } from 'react';
import type { Profile } from '../../../src/model/device.js';
import type { Severity } from '../../../src/model/alarm.js';
import type { DeviceRow } from '../state/filter.js';
import { hrefs } from '../hooks/useRoute.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { metricOrder, profileLabel } from '../state/profiles.js';
import { valueStatus, worstStatus } from '../state/status.js';
import { MetricValue } from './MetricValue.js';
import { RelativeTime } from './RelativeTime.js';
import { OnlineDot } from './StatusDot.js';

/** A device on the overview. Re-renders only when its DeviceInfo or profile object changes (or the language). */
export const DeviceCard = memo(function DeviceCard({
  device,
  profile,
  openAlarms = 0,
  worstAlarm = null,
}: {
  device: DeviceRow;
  profile: Profile | undefined;
  openAlarms?: number;
  worstAlarm?: Severity | null;
}) {
  const { t } = useTranslation('overview');
  const { t: g } = useTranslation('general');
  const lang = currentLanguage();
  const metrics = metricOrder(profile, Object.keys(device.latest));
  const worst = worstStatus(metrics.map((m) => (device.latest[m] ? valueStatus(device.latest[m].value, profile?.metrics[m]) : 'none')));
  return (
    <a
      className={`card card-${worst} ${device.online ? '' : 'card-offline'}`}
      href={hrefs.device(device.id)}
      data-testid={`device-card-${device.id}`}
      data-online={device.online}
      data-status={worst}
      data-alarms={openAlarms}
    >
      <div className="card-head">
        <OnlineDot online={device.online} />
        <span className="card-id">{device.id}</span>
        <span className="badge" title={device.profile ?? undefined}>
          {device.profile ? profileLabel(profile, device.profile, lang) : g('noProfile')}
        </span>
        {openAlarms > 0 && (
          <span
            className={`alarm-badge sev-${worstAlarm ?? 'major'}`}
            title={t('openAlarms', { count: openAlarms })}
            data-testid={`device-alarms-${device.id}`}
          >
            ⚠ {openAlarms}
          </span>
        )}
      </div>
      {(device.name || device.location) && (
        <div className="card-meta">
          {device.name}
          {device.name && device.location ? ' · ' : ''}
          {device.location}
        </div>
      )}
      <div className="card-meta">
        {device.online ? g('online') : g('offline')} · {g('lastSeen')} <RelativeTime ts={device.lastSeen} />
      </div>
      {metrics.length > 0 ? (
        <div className="card-values">
          {metrics.map((m) => (
            <MetricValue key={m} device={device.id} metric={m} latest={device.latest[m]} profile={profile} />
          ))}
        </div>
      ) : (
        <div className="card-empty">{g('noReadings')}</div>
      )}
    </a>
  );
});
