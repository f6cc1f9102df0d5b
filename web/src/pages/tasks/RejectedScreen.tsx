import { useCallback, useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { formatDateTime } from '../../state/format.js';
import { hrefs } from '../../hooks/useRoute.js';
import { FormError } from '../../tasks/ui.js';
import { useFormErrors } from '../../tasks/form.js';
import { RejectedApi, type Rejected } from '../../tasks/rejected-api.js';

const PAGE = 50;

/**
 * Dead letters (GET /api/v1/rejected): every refused message with its source, device, the field and
 * rule it broke, the reason and its raw payload, newest first, by device, a page at a time.
 */
export function RejectedScreen({ device: initial }: { device: string }) {
  const { api } = useServices();
  const rejected = useMemo(() => new RejectedApi(api), [api]);
  const { t } = useTranslation('rejected');
  const lang = currentLanguage();
  const [device, setDevice] = useState(initial);
  const [shown, setShown] = useState(initial);
  const [pages, setPages] = useState<Rejected[][] | null>(null);
  const { errors, fail, clear } = useFormErrors();
  const load = useCallback(
    (dev: string, before?: number) => {
      clear();
      return rejected.list({ device: dev || undefined, before, limit: PAGE }).then((list) => setPages((p) => (before && p ? [...p, list] : [list])), fail);
    },
    [rejected, fail, clear],
  );
  useEffect(() => void load(shown), [load, shown]);
  const list = pages?.flat() ?? null;
  const more = pages !== null && pages[pages.length - 1].length === PAGE;
  return (
    <section className="task-screen" data-testid="screen-rejected">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <p className="task-note">{t('note')}</p>
        <form
          className="task-inline-form"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setPages(null);
            setShown(device.trim());
          }}
        >
          <label>
            {t('device')} <input value={device} onChange={(e) => setDevice(e.target.value)} maxLength={128} data-testid="rejected-device" />
          </label>{' '}
          <button type="submit" className="btn" data-testid="rejected-filter">
            {t('filter')}
          </button>
        </form>
        <FormError errors={errors} />
        {list === null ? (
          <p className="empty">{t('loading')}</p>
        ) : list.length === 0 ? (
          <p className="empty" data-testid="rejected-none">
            {t('none')}
          </p>
        ) : (
          <table className="admin-table" data-testid="rejected-table" data-rows={list.length}>
            <thead>
              <tr>
                <th scope="col">{t('col.at')}</th>
                <th scope="col">{t('col.source')}</th>
                <th scope="col">{t('col.device')}</th>
                <th scope="col">{t('col.reason')}</th>
                <th scope="col">{t('col.payload')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-testid={`rejected-row-${r.id}`} data-field={r.field} data-rule={r.rule}>
                  <td>{formatDateTime(r.at, lang)}</td>
                  <td>{r.source}</td>
                  <td>{r.device ? <a href={hrefs.device(r.device)}>{r.device}</a> : t('noDevice')}</td>
                  <td>
                    <code>
                      {r.field} · {r.rule}
                    </code>{' '}
                    <span className="task-hint">{r.error}</span>
                  </td>
                  <td>
                    <code className="rejected-payload">{r.payload.length > 200 ? `${r.payload.slice(0, 200)}…` : r.payload}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {more && list && (
          <div className="action-buttons">
            <button type="button" className="btn" onClick={() => void load(shown, list[list.length - 1].id)} data-testid="rejected-older">
              {t('older')}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
