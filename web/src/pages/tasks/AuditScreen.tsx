import { useCallback, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { formatDateTime } from '../../state/format.js';
import { useFormErrors } from '../../tasks/form.js';
import { Field, FormError } from '../../tasks/ui.js';
import { AdminApi, type AuditEntry, type AuditQuery } from '../../tasks/admin-api.js';
import { PagedTable, usePagedList } from '../../tasks/PagedTable.js';

const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
const FIELDS = ['actor', 'method', 'route', 'from', 'to'];

type Filter = Omit<AuditQuery, 'limit' | 'before'>;

/** JSON as the log holds it, indented when it parses (it may be cut at 16 KiB). */
function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/**
 * The audit log (GET /api/v1/audit, admins): every change through the API, newest first, a page at
 * a time, filtered by who, what (method, route prefix) and when; each entry's before, request and after.
 */
export function AuditScreen() {
  const { api } = useServices();
  const admin = useMemo(() => new AdminApi(api), [api]);
  const { t } = useTranslation('audit');
  const lang = currentLanguage();
  const [draft, setDraft] = useState({ actor: '', method: '', route: '', from: '', to: '' });
  const [filter, setFilter] = useState<Filter>({});
  const form = useFormErrors();
  const load = useCallback((f: Filter, before: number | undefined, limit: number) => admin.audit({ ...f, before, limit }), [admin]);
  const paged = usePagedList<Filter, AuditEntry>(load, filter, form.fail);

  const apply = (el: HTMLFormElement) => {
    const from = draft.from ? new Date(draft.from).getTime() : undefined;
    const to = draft.to ? new Date(draft.to).getTime() : undefined;
    const extra: Record<string, { rule: string }> = {};
    if (from !== undefined && to !== undefined && from >= to) extra.from = { rule: 'order' };
    if (!form.validate(el, extra)) return;
    paged.reset();
    setFilter({ actor: draft.actor.trim() || undefined, method: draft.method || undefined, route: draft.route.trim() || undefined, from, to });
  };

  return (
    <section className="task-screen" data-testid="screen-audit">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <p className="task-note">{t('note')}</p>
        <form
          className="task-form"
          role="search"
          noValidate
          data-testid="audit-form"
          onSubmit={(e) => {
            e.preventDefault();
            apply(e.currentTarget);
          }}
        >
          <div className="task-grid">
            <Field label={t('actor')} name="actor" errors={form.errors} hint={t('actorHint')}>
              {(p) => (
                <input {...p} value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} maxLength={200} data-testid="audit-actor" />
              )}
            </Field>
            <Field label={t('method')} name="method" errors={form.errors}>
              {(p) => (
                <select {...p} value={draft.method} onChange={(e) => setDraft({ ...draft, method: e.target.value })} data-testid="audit-method">
                  <option value="">{t('methodAny')}</option>
                  {METHODS.map((m) => (
                    <option key={m} value={m}>
                      {t(`methods.${m}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t('route')} name="route" errors={form.errors}>
              {(p) => (
                <input
                  {...p}
                  value={draft.route}
                  onChange={(e) => setDraft({ ...draft, route: e.target.value })}
                  maxLength={256}
                  spellCheck={false}
                  data-testid="audit-route"
                />
              )}
            </Field>
            <Field label={t('from')} name="from" errors={form.errors}>
              {(p) => (
                <input
                  {...p}
                  type="datetime-local"
                  value={draft.from}
                  onChange={(e) => setDraft({ ...draft, from: e.target.value })}
                  data-testid="audit-from"
                />
              )}
            </Field>
            <Field label={t('to')} name="to" errors={form.errors}>
              {(p) => (
                <input {...p} type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} data-testid="audit-to" />
              )}
            </Field>
          </div>
          <FormError errors={form.errors} shown={FIELDS} />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="audit-filter">
              {t('filter')}
            </button>
          </div>
        </form>
        <PagedTable
          name="audit"
          list={paged.list}
          more={paged.more}
          onOlder={paged.older}
          head={[t('col.at'), t('col.actor'), t('col.action'), t('col.target'), t('col.status'), t('col.detail')]}
          labels={{ loading: t('loading'), none: t('none'), older: t('older') }}
          row={(e) => (
            <tr key={e.id} data-testid={`audit-row-${e.id}`} data-actor={e.actor} data-method={e.method} data-route={e.route} data-status={e.status}>
              <td>{formatDateTime(e.at, lang)}</td>
              <td>
                {e.actor}
                {e.role ? ` (${e.role})` : ''}
              </td>
              <td>
                <code>
                  {e.method} {e.path}
                </code>
              </td>
              <td>{e.target ?? ''}</td>
              <td>
                {e.status}
                {e.status >= 400 ? ` ${t('refused')}` : ''}
              </td>
              <td>
                {(e.before || e.request || e.after) && (
                  <details>
                    <summary>{t('detail')}</summary>
                    {(['before', 'request', 'after'] as const).map((k) =>
                      e[k] ? (
                        <div key={k}>
                          <strong>{t(k)}</strong>
                          <pre className="audit-json">{pretty(e[k]!)}</pre>
                        </div>
                      ) : null,
                    )}
                  </details>
                )}
              </td>
            </tr>
          )}
        />
      </div>
    </section>
  );
}
