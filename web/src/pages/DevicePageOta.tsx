import { useCallback, useEffect, useMemo, useState } from 'react';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { useServices } from '../services.js';
import { FleetApi, type OtaJob } from '../tasks/api.js';
import { useFormErrors } from '../tasks/form.js';
import { taskHref } from '../tasks/routes.js';
import { FormError } from '../tasks/ui.js';

const ACTIVE: readonly OtaJob['status'][] = ['queued', 'sent', 'downloading', 'verifying'];

/**
 * A device's own firmware updates (GET /devices/{id}/ota), newest first. Followed once a second
 * while one is under way, as the OTA screen does (OTA progress has no event on the live feed).
 */
export function DeviceOtaHistory({ device }: { device: string }) {
  const { api } = useServices();
  const fleet = useMemo(() => new FleetApi(api), [api]);
  const { t } = useTranslation('deviceAdmin');
  const { t: o } = useTranslation('ota');
  const [jobs, setJobs] = useState<OtaJob[] | null>(null);
  const { errors, fail, clear } = useFormErrors();
  const load = useCallback(
    () =>
      fleet.deviceOta(device).then((j) => {
        clear();
        setJobs(j);
      }, fail),
    [fleet, device, fail, clear],
  );
  useEffect(() => void load(), [load]);
  const active = !!jobs?.some((j) => ACTIVE.includes(j.status));
  useEffect(() => {
    if (!active) return;
    const h = setInterval(() => void load(), 1000);
    return () => clearInterval(h);
  }, [active, load]);
  const lang = currentLanguage();
  const when = new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'medium' });
  const pct = new Intl.NumberFormat(lang, { style: 'percent' });
  return (
    <section className="panel" aria-labelledby="device-ota-title" data-testid="device-ota">
      <div className="panel-head">
        <h2 id="device-ota-title">{t('ota.title')}</h2>
        <a className="hint" href={taskHref('ota')}>
          {t('ota.open')}
        </a>
      </div>
      <FormError errors={errors} />
      {jobs === null ? (
        <p className="empty">{t('ota.loading')}</p>
      ) : jobs.length === 0 ? (
        <p className="empty" data-testid="device-ota-empty">
          {t('ota.none')}
        </p>
      ) : (
        <div className="table-scroll">
          <table className="admin-table" data-testid="device-ota-table" data-rows={jobs.length}>
            <thead>
              <tr>
                <th scope="col">{t('ota.col.version')}</th>
                <th scope="col">{t('ota.col.status')}</th>
                <th scope="col">{t('ota.col.progress')}</th>
                <th scope="col">{t('ota.col.started')}</th>
                <th scope="col">{t('ota.col.finished')}</th>
                <th scope="col">{t('ota.col.reason')}</th>
                <th scope="col">{t('ota.col.rollout')}</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.rollout} data-testid={`device-ota-row-${j.rollout}`} data-status={j.status} data-version={j.version}>
                  <td>{j.version}</td>
                  <td>{o(`job.${j.status}`)}</td>
                  <td>
                    <progress max={1} value={j.progress} aria-label={t('ota.progressOf', { version: j.version })} /> {pct.format(j.progress)}
                  </td>
                  <td>{j.startedAt !== null ? when.format(j.startedAt) : ''}</td>
                  <td>{j.finishedAt !== null ? when.format(j.finishedAt) : ''}</td>
                  <td>{j.reason ?? ''}</td>
                  <td>
                    <code title={j.rollout}>{j.rollout.slice(0, 8)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
