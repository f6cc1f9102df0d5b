import { memo } from 'react';
import type { DeviceInfo, Profile } from '../../../src/model/device.js';
import { hrefs } from '../hooks/useRoute.js';
import { metricOrder } from '../state/profiles.js';
import { valueStatus, worstStatus } from '../state/status.js';
import { MetricValue } from './MetricValue.js';
import { RelativeTime } from './RelativeTime.js';
import { OnlineDot } from './StatusDot.js';

/** A device on the overview. Re-renders only when its DeviceInfo or profile object changes. */
export const DeviceCard = memo(function DeviceCard({ device, profile }: { device: DeviceInfo; profile: Profile | undefined }) {
  const metrics = metricOrder(profile, Object.keys(device.latest));
  const worst = worstStatus(metrics.map((m) => (device.latest[m] ? valueStatus(device.latest[m].value, profile?.metrics[m]) : 'none')));
  return (
    <a
      className={`card card-${worst} ${device.online ? '' : 'card-offline'}`}
      href={hrefs.device(device.id)}
      data-testid={`device-card-${device.id}`}
      data-online={device.online}
      data-status={worst}
    >
      <div className="card-head">
        <OnlineDot online={device.online} />
        <span className="card-id">{device.id}</span>
        <span className="badge">{device.profile ?? 'no profile'}</span>
      </div>
      <div className="card-meta">
        {device.online ? 'online' : 'offline'} · last seen <RelativeTime ts={device.lastSeen} />
      </div>
      {metrics.length > 0 ? (
        <div className="card-values">
          {metrics.map((m) => (
            <MetricValue key={m} device={device.id} metric={m} latest={device.latest[m]} spec={profile?.metrics[m]} />
          ))}
        </div>
      ) : (
        <div className="card-empty">no readings yet</div>
      )}
    </a>
  );
});
