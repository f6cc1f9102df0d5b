import { useState } from 'react';
import type { Profile } from '../../../src/model/device.js';
import type { DeviceRow } from '../state/filter.js';
import { type DeviceGroup, type FleetStatus, type GroupBy } from '../state/fleet.js';
import { profileLabel } from '../state/profiles.js';
import { hrefs } from '../hooks/useRoute.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { OnlineDot } from './StatusDot.js';

/** Devices by site, equipment or profile: each group's worst status rolled up, its devices on demand. */
export function DeviceGroups({
  groups,
  by,
  profiles,
  status,
}: {
  groups: DeviceGroup[];
  by: GroupBy;
  profiles: { get(name: string | null | undefined): Profile | undefined };
  status(d: DeviceRow): FleetStatus;
}) {
  const { t } = useTranslation('overview');
  const lang = currentLanguage();
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const name = (g: DeviceGroup) => (g.key === '' ? t('ungrouped') : by === 'profile' ? profileLabel(profiles.get(g.key), g.key, lang) : g.key);
  return (
    <div className="fleet-groups" data-testid="device-groups">
      {groups.map((g) => {
        const expanded = open.has(g.key);
        return (
          <section key={g.key} className={`fleet-group st-${g.status}`} data-testid={`group-${g.key || '_none'}`} data-status={g.status}>
            <h2 className="fleet-group-head">
              <button
                type="button"
                className="fleet-group-toggle"
                aria-expanded={expanded}
                onClick={() =>
                  setOpen((prev) => {
                    const next = new Set(prev);
                    if (next.has(g.key)) next.delete(g.key);
                    else next.add(g.key);
                    return next;
                  })
                }
              >
                <span aria-hidden="true">{expanded ? '▾' : '▸'}</span> {name(g)}
              </button>
              <span className={`fleet-status fs-${g.status}`}>{t(`groupStatus.${g.status}`)}</span>
              <span className="hint">{t('groupSummary', { online: g.online, total: g.devices.length })}</span>
              {g.alarms > 0 && <span className="alarm-badge sev-major">{t('openAlarms', { count: g.alarms })}</span>}
              <span className="fleet-counts" aria-hidden="true">
                {(['alarm', 'warning', 'offline', 'normal'] as const).map((s) => (
                  <span key={s} className={`fleet-count fs-${s}`} style={{ flexGrow: g.counts[s] }} />
                ))}
              </span>
            </h2>
            {expanded && (
              <ul className="fleet-group-list">
                {g.devices.map((d) => (
                  <li key={d.id}>
                    <OnlineDot online={d.online} /> <a href={hrefs.device(d.id)}>{d.id}</a>{' '}
                    <span className={`fleet-status fs-${status(d)}`}>{t(`groupStatus.${status(d)}`)}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </div>
  );
}
