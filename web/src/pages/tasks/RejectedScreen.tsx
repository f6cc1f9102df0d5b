import { useCallback, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { formatDateTime } from '../../state/format.js';
import { hrefs } from '../../hooks/useRoute.js';
import { FormError } from '../../tasks/ui.js';
import { useFormErrors } from '../../tasks/form.js';
import { RejectedApi, type Rejected } from '../../tasks/rejected-api.js';
import { PagedTable, usePagedList } from '../../tasks/PagedTable.js';

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
  const { errors, fail, clear } = useFormErrors();
  const load = useCallback(
    (dev: string, before: number | undefined, limit: number) => {
      clear();
      return rejected.list({ device: dev || undefined, before, limit });
    },
    [rejected, clear],
  );
  const paged = usePagedList<string, Rejected>(load, shown, fail);
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
            paged.reset();
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
        <PagedTable
          name="rejected"
          list={paged.list}
          more={paged.more}
          onOlder={paged.older}
          head={[t('col.at'), t('col.source'), t('col.device'), t('col.reason'), t('col.payload')]}
          labels={{ loading: t('loading'), none: t('none'), older: t('older') }}
          row={(r) => (
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
          )}
        />
      </div>
    </section>
  );
}
