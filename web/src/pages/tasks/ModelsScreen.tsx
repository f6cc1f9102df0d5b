import { useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { useFormErrors } from '../../tasks/form.js';
import { FormError } from '../../tasks/ui.js';

interface BundleView {
  id: string;
  equipment_id: string;
  profile: string | null;
  power: string;
  model_version: string;
  origin: string;
  active: boolean;
  runtime?: string;
  manifest: { thresholds?: Record<string, number>; training?: { metrics?: Record<string, unknown> } };
}

interface RulStats {
  devices: { device: string; predictions: number; latest_rul_days: number | null; min_rul_days: number | null; anomalies: number }[];
  latency_ms: { p50: number | null; p99: number | null; samples: number };
}

/** Model bundles (serve-ml), which version is active, their training scores, and RUL per device. */
export function ModelsScreen() {
  const { api } = useServices();
  const { t } = useTranslation('models');
  const [bundles, setBundles] = useState<BundleView[] | null>(null);
  const [loadErrors, setLoadErrors] = useState<unknown[]>([]);
  const [stats, setStats] = useState<RulStats | null>(null);
  const { errors, fail } = useFormErrors();
  useEffect(() => {
    api.send<{ bundles: BundleView[]; errors: unknown[] }>('GET', '/api/v1/serve-ml/bundles').then((r) => {
      setBundles(r.bundles);
      setLoadErrors(r.errors ?? []);
    }, fail);
    api.send<RulStats>('GET', '/api/v1/rul/stats').then(setStats, fail);
  }, [api, fail]);
  const num = useMemo(() => new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: 3 }), []);
  const fmt = (v: unknown) => (typeof v === 'number' ? num.format(v) : JSON.stringify(v));
  return (
    <section className="task-screen" data-testid="screen-models">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <FormError errors={errors} />
        {loadErrors.length > 0 && (
          <p className="hint hint-error" role="alert">
            {t('loadErrors', { count: loadErrors.length })}
          </p>
        )}
        {bundles === null ? (
          <p className="empty">{t('loading')}</p>
        ) : bundles.length === 0 ? (
          <p className="empty">{t('none')}</p>
        ) : (
          <table className="admin-table" data-testid="models-table">
            <thead>
              <tr>
                <th scope="col">{t('col.equipment')}</th>
                <th scope="col">{t('col.power')}</th>
                <th scope="col">{t('col.version')}</th>
                <th scope="col">{t('col.runtime')}</th>
                <th scope="col">{t('col.status')}</th>
                <th scope="col">{t('col.scores')}</th>
              </tr>
            </thead>
            <tbody>
              {bundles.map((b) => (
                <tr key={b.id} data-testid={`model-row-${b.id}`}>
                  <td>{b.equipment_id}</td>
                  <td>{b.power}</td>
                  <td>{b.model_version}</td>
                  <td>{b.runtime ?? ''}</td>
                  <td>{b.active ? t('active') : t('inactive')}</td>
                  <td>
                    {Object.entries(b.manifest.training?.metrics ?? {}).map(([k, v]) => (
                      <div key={k}>
                        {k}: {fmt(v)}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {stats && stats.devices.length > 0 && (
        <div className="panel">
          <div className="panel-head">
            <h2>{t('rulTitle')}</h2>
          </div>
          <table className="admin-table" data-testid="rul-table">
            <thead>
              <tr>
                <th scope="col">{t('col.device')}</th>
                <th scope="col">{t('col.predictions')}</th>
                <th scope="col">{t('col.latestRul')}</th>
                <th scope="col">{t('col.minRul')}</th>
                <th scope="col">{t('col.anomalies')}</th>
              </tr>
            </thead>
            <tbody>
              {stats.devices.map((d) => (
                <tr key={d.device}>
                  <td>{d.device}</td>
                  <td>{d.predictions}</td>
                  <td>{d.latest_rul_days === null ? '' : t('days', { value: num.format(d.latest_rul_days) })}</td>
                  <td>{d.min_rul_days === null ? '' : t('days', { value: num.format(d.min_rul_days) })}</td>
                  <td>{d.anomalies}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
