import { useCallback, useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { ApiError } from '../../api.js';
import { useTranslation } from '../../i18n/index.js';
import { Field, FormError, RoleNote, useCan } from '../../tasks/ui.js';
import { useFormErrors } from '../../tasks/form.js';
import { MappingApi, type TopicMapping } from '../../tasks/mappings-api.js';

/** A row as shown: the API's entry, or (for a role that may not read the API) what GET /health lists. */
type Row = TopicMapping & { id?: string; readOnly: boolean };

const FIELDS = ['topic', 'device', 'metrics', 'profile', 'name'] as const;
type Draft = Record<(typeof FIELDS)[number], string>;
const EMPTY: Draft = { topic: '', device: '', metrics: '', profile: '', name: '' };

/** The form as the API takes it: empty optional fields are left out, not sent as "". */
export function toMapping(d: Draft): TopicMapping {
  const out: TopicMapping = { topic: d.topic.trim() };
  for (const k of ['device', 'metrics', 'profile', 'name'] as const) if (d[k].trim()) out[k] = d[k].trim();
  return out;
}

const toDraft = (m: TopicMapping): Draft => ({
  topic: m.topic,
  device: m.device ?? '',
  metrics: m.metrics ?? '',
  profile: m.profile ?? '',
  name: m.name ?? '',
});

/** Mappings in force as GET /health lists them: what a viewer or operator may see (GET /api/v1/mappings is admin's). */
async function fromHealth(): Promise<Row[]> {
  // /health is public and answers 503 with the same body when a component is down.
  const r = await fetch('/health', { headers: { accept: 'application/json' } });
  const h = (await r.json()) as { components?: Record<string, { topicMappings?: TopicMapping[] }> };
  return Object.values(h.components ?? {})
    .flatMap((c) => c.topicMappings ?? [])
    .map((m) => ({ ...m, readOnly: true }));
}

/**
 * Topic mappings: the config file's (read-only: change them there) and those added here, which the
 * brokers apply at once. An admin adds, edits and removes them; other roles see the list.
 */
export function MappingsScreen() {
  const { api } = useServices();
  const maps = useMemo(() => new MappingApi(api), [api]);
  const { t } = useTranslation('mappings');
  const canChange = useCan('admin');
  const [list, setList] = useState<Row[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [busy, setBusy] = useState(false);
  // Removing asks once more, in the row (no browser dialog: it would block the page).
  const [confirming, setConfirming] = useState<string | null>(null);
  const loadErr = useFormErrors();
  const loadFail = loadErr.fail;
  const form = useFormErrors();

  const load = useCallback(async () => {
    try {
      setList(await maps.list());
    } catch (err) {
      // Not admin: the same list, without ids, from /health.
      if (err instanceof ApiError && (err.status === 403 || err.status === 401)) setList(await fromHealth().catch(() => []));
      else loadFail(err);
    }
  }, [maps, loadFail]);
  useEffect(() => void load(), [load]);

  const reset = () => {
    setEditing(null);
    setDraft(EMPTY);
    form.clear();
  };
  const edit = (m: Row) => {
    setEditing(m.id ?? null);
    setDraft(toDraft(m));
    form.clear();
  };
  const remove = async (m: Row) => {
    if (!m.id) return;
    setConfirming(null);
    try {
      await maps.remove(m.id);
      if (editing === m.id) reset();
      loadErr.clear();
      await load();
    } catch (err) {
      loadErr.fail(err);
    }
  };
  const save = async (el: HTMLFormElement) => {
    if (!form.validate(el)) return;
    setBusy(true);
    try {
      if (editing) await maps.update(editing, toMapping(draft));
      else await maps.create(toMapping(draft));
      reset();
      await load();
    } catch (err) {
      form.fail(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="task-screen" data-testid="screen-mappings">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <p className="task-note" data-testid="mappings-note">
          {t('note')}
        </p>
        {!canChange && <RoleNote needed="admin" />}
        <FormError errors={loadErr.errors} ruleNs="mappings" />
        {list === null ? (
          <p className="empty">{t('loading')}</p>
        ) : list.length === 0 ? (
          <p className="empty">{t('none')}</p>
        ) : (
          <table className="admin-table" data-testid="mappings-table">
            <thead>
              <tr>
                <th scope="col">{t('col.topic')}</th>
                <th scope="col">{t('col.device')}</th>
                <th scope="col">{t('col.metrics')}</th>
                <th scope="col">{t('col.profile')}</th>
                <th scope="col">{t('col.name')}</th>
                <th scope="col">{t('col.origin')}</th>
                {canChange && <th scope="col">{t('col.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((m, i) => (
                <tr key={m.id ?? `${m.topic}-${i}`} data-testid={`mapping-row-${i}`} data-topic={m.topic} data-readonly={m.readOnly}>
                  <td>
                    <code>{m.topic}</code>
                  </td>
                  <td>{m.device ?? t('deviceDefault')}</td>
                  <td>{m.metrics ?? ''}</td>
                  <td>{m.profile ?? ''}</td>
                  <td>{m.name ?? ''}</td>
                  <td>{m.readOnly ? t('origin.config') : t('origin.api')}</td>
                  {canChange && (
                    <td>
                      {!m.readOnly && m.id && confirming === m.id ? (
                        <span className="action-buttons" role="group" aria-label={t('confirmRemove', { topic: m.topic })}>
                          <span>{t('confirmRemove', { topic: m.topic })}</span>
                          <button type="button" className="btn btn-small" onClick={() => void remove(m)} data-testid={`mapping-remove-yes-${m.topic}`}>
                            {t('removeYes')}
                          </button>
                          <button type="button" className="btn btn-small" onClick={() => setConfirming(null)} data-testid={`mapping-remove-no-${m.topic}`}>
                            {t('removeNo')}
                          </button>
                        </span>
                      ) : (
                        !m.readOnly &&
                        m.id && (
                          <span className="action-buttons">
                            <button
                              type="button"
                              className="btn btn-small"
                              onClick={() => edit(m)}
                              aria-label={t('editOne', { topic: m.topic })}
                              data-testid={`mapping-edit-${m.topic}`}
                            >
                              {t('edit')}
                            </button>
                            <button
                              type="button"
                              className="btn btn-small"
                              onClick={() => setConfirming(m.id ?? null)}
                              aria-label={t('removeOne', { topic: m.topic })}
                              data-testid={`mapping-remove-${m.topic}`}
                            >
                              {t('remove')}
                            </button>
                          </span>
                        )
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {canChange && (
        <form
          className="panel task-form"
          noValidate
          data-testid="mapping-form"
          data-editing={editing ?? ''}
          onSubmit={(e) => {
            e.preventDefault();
            void save(e.currentTarget);
          }}
        >
          <h2>{editing ? t('editTitle') : t('addTitle')}</h2>
          <div className="task-grid">
            <Field label={t('field.topic')} name="topic" errors={form.errors} hint={t('hint.topic')} ruleNs="mappings">
              {(p) => (
                <input
                  {...p}
                  value={draft.topic}
                  onChange={(e) => setDraft({ ...draft, topic: e.target.value })}
                  required
                  maxLength={256}
                  spellCheck={false}
                  data-testid="mapping-topic"
                />
              )}
            </Field>
            <Field label={t('field.device')} name="device" errors={form.errors} hint={t('hint.device')} ruleNs="mappings">
              {(p) => (
                <input
                  {...p}
                  value={draft.device}
                  onChange={(e) => setDraft({ ...draft, device: e.target.value })}
                  maxLength={128}
                  data-testid="mapping-device"
                />
              )}
            </Field>
            <Field label={t('field.metrics')} name="metrics" errors={form.errors} hint={t('hint.metrics')} ruleNs="mappings">
              {(p) => (
                <input
                  {...p}
                  value={draft.metrics}
                  onChange={(e) => setDraft({ ...draft, metrics: e.target.value })}
                  maxLength={128}
                  data-testid="mapping-metrics"
                />
              )}
            </Field>
            <Field label={t('field.profile')} name="profile" errors={form.errors} ruleNs="mappings">
              {(p) => (
                <input
                  {...p}
                  value={draft.profile}
                  onChange={(e) => setDraft({ ...draft, profile: e.target.value })}
                  maxLength={128}
                  data-testid="mapping-profile"
                />
              )}
            </Field>
            <Field label={t('field.name')} name="name" errors={form.errors} ruleNs="mappings">
              {(p) => (
                <input {...p} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} maxLength={128} data-testid="mapping-name" />
              )}
            </Field>
          </div>
          <FormError errors={form.errors} shown={[...FIELDS]} ruleNs="mappings" />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="mapping-save">
              {editing ? t('save') : t('add')}
            </button>
            {editing && (
              <button type="button" className="btn" onClick={reset} data-testid="mapping-cancel">
                {t('cancel')}
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
