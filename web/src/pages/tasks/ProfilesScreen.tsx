import { useCallback, useEffect, useMemo, useState } from 'react';
import type { LocalText, MetricSpec, Profile } from '../../../../src/model/device.js';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { TaskApi } from '../../tasks/api.js';
import { useFormErrors } from '../../tasks/form.js';
import { FormError, RoleNote, useCan, useRuleText } from '../../tasks/ui.js';

const RANGE = ['min', 'max', 'warnLow', 'warnHigh'] as const;

const en = (l: LocalText | undefined) => (l === undefined ? '' : typeof l === 'string' ? l : l.en);
const ko = (l: LocalText | undefined) => (l === undefined || typeof l === 'string' ? '' : (l.ko ?? ''));
const local = (e: string, k: string): LocalText | undefined => (e.trim() ? (k.trim() ? { en: e.trim(), ko: k.trim() } : e.trim()) : undefined);

function ProfileEditor({ profile, onSaved }: { profile: Profile; onSaved(p: Profile): void }) {
  const { api } = useServices();
  const tasks = useMemo(() => new TaskApi(api), [api]);
  const { t } = useTranslation('profiles');
  const canChange = useCan('operator');
  const ruleText = useRuleText();
  const { errors, fail, validate, clear } = useFormErrors();
  const [p, setP] = useState<Profile>(profile);
  const [newMetric, setNewMetric] = useState('');
  const [saved, setSaved] = useState(false);
  const setMetric = (m: string, spec: MetricSpec) => {
    setSaved(false);
    setP((x) => ({ ...x, metrics: { ...x.metrics, [m]: spec } }));
  };
  const err = (field: string) => errors.fields[field];
  const cell = (field: string) => ({ 'aria-invalid': !!err(field), name: field });
  const save = async (form: HTMLFormElement) => {
    // The API refuses min above max with field metrics.<m>.min and rule order: said here first.
    const order: Record<string, { rule: string }> = {};
    for (const [m, s] of Object.entries(p.metrics))
      if (s.min !== undefined && s.max !== undefined && s.min > s.max) order[`metrics.${m}.min`] = { rule: 'order' };
    if (!validate(form, order)) return;
    try {
      onSaved(await tasks.saveProfile(p));
      clear();
      setSaved(true);
    } catch (e) {
      fail(e);
    }
  };
  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
  const fieldNames = Object.keys(p.metrics).flatMap((m) => [...RANGE, 'unit'].map((k) => `metrics.${m}.${k}`));
  return (
    <form
      className="panel task-form"
      noValidate
      data-testid="profile-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save(e.currentTarget);
      }}
    >
      <h2>{t('editTitle', { name: p.name })}</h2>
      <div className="task-grid">
        <div className="task-field">
          <label htmlFor="profile-display-en">{t('displayNameEn')}</label>
          <input
            id="profile-display-en"
            value={en(p.displayName)}
            disabled={!canChange}
            onChange={(e) => setP({ ...p, displayName: local(e.target.value, ko(p.displayName)) })}
          />
        </div>
        <div className="task-field">
          <label htmlFor="profile-display-ko">{t('displayNameKo')}</label>
          <input
            id="profile-display-ko"
            lang="ko"
            value={ko(p.displayName)}
            disabled={!canChange}
            onChange={(e) => setP({ ...p, displayName: local(en(p.displayName) || p.name, e.target.value) })}
            data-testid="profile-display-ko"
          />
        </div>
      </div>
      <table className="admin-table task-metrics" data-testid="profile-metrics">
        <thead>
          <tr>
            <th scope="col">{t('col.metric')}</th>
            <th scope="col">{t('col.unit')}</th>
            {RANGE.map((k) => (
              <th scope="col" key={k}>
                {t(`col.${k}`)}
              </th>
            ))}
            <th scope="col">{t('col.labels')}</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(p.metrics).map(([m, s]) => (
            <tr key={m} data-testid={`metric-row-${m}`}>
              <th scope="row">{m}</th>
              <td>
                <input
                  {...cell(`metrics.${m}.unit`)}
                  aria-label={t('aria.unit', { metric: m })}
                  value={s.unit ?? ''}
                  disabled={!canChange}
                  size={6}
                  onChange={(e) => setMetric(m, { ...s, unit: e.target.value || undefined })}
                />
              </td>
              {RANGE.map((k) => (
                <td key={k}>
                  <input
                    {...cell(`metrics.${m}.${k}`)}
                    type="number"
                    step="any"
                    size={7}
                    aria-label={t('aria.range', { metric: m, what: t(`col.${k}`) })}
                    value={s[k] ?? ''}
                    disabled={!canChange}
                    onChange={(e) => setMetric(m, { ...s, [k]: num(e.target.value) })}
                    data-testid={`metric-${m}-${k}`}
                  />
                  {err(`metrics.${m}.${k}`) && (
                    <span className="task-error" data-testid={`field-error-metrics.${m}.${k}`} role="alert">
                      {ruleText(err(`metrics.${m}.${k}`))}
                    </span>
                  )}
                </td>
              ))}
              <td>
                {Object.entries(s.labels ?? {}).map(([v, l]) => (
                  <div key={v} className="task-label-row">
                    <span>{v}</span>
                    <input
                      aria-label={t('aria.labelEn', { metric: m, value: v })}
                      value={en(l)}
                      disabled={!canChange}
                      size={12}
                      onChange={(e) => setMetric(m, { ...s, labels: { ...s.labels, [v]: local(e.target.value, ko(l)) ?? v } })}
                    />
                    <input
                      lang="ko"
                      aria-label={t('aria.labelKo', { metric: m, value: v })}
                      value={ko(l)}
                      disabled={!canChange}
                      size={12}
                      onChange={(e) => setMetric(m, { ...s, labels: { ...s.labels, [v]: local(en(l) || v, e.target.value) ?? v } })}
                      data-testid={`label-${m}-${v}-ko`}
                    />
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canChange && (
        <div className="task-preview-bar">
          <label>
            {t('newMetric')}{' '}
            <input
              value={newMetric}
              onChange={(e) => setNewMetric(e.target.value)}
              maxLength={128}
              pattern="[A-Za-z_][A-Za-z0-9_.\-]*"
              data-testid="profile-new-metric"
            />
          </label>
          <button
            type="button"
            className="btn btn-small"
            disabled={!newMetric.trim() || newMetric.trim() in p.metrics}
            onClick={() => {
              setMetric(newMetric.trim(), {});
              setNewMetric('');
            }}
          >
            {t('addMetric')}
          </button>
        </div>
      )}
      <FormError errors={errors} shown={fieldNames} />
      {saved && (
        <p className="hint" role="status" data-testid="profile-saved">
          {t('saved', { time: new Intl.DateTimeFormat(currentLanguage(), { timeStyle: 'medium' }).format(Date.now()) })}
        </p>
      )}
      {canChange && (
        <div className="action-buttons">
          <button type="submit" className="btn btn-primary" data-testid="profile-save">
            {t('save')}
          </button>
        </div>
      )}
    </form>
  );
}

/** Device profiles: metrics, units, ranges, enum labels in both languages. */
export function ProfilesScreen() {
  const { api } = useServices();
  const tasks = useMemo(() => new TaskApi(api), [api]);
  const { t } = useTranslation('profiles');
  const canChange = useCan('operator');
  const [list, setList] = useState<Profile[] | null>(null);
  const [selected, setSelected] = useState<string>('');
  const { errors, fail } = useFormErrors();
  const load = useCallback(() => tasks.listProfiles().then(setList, fail), [tasks, fail]);
  useEffect(() => void load(), [load]);
  const lang = currentLanguage();
  const shown = list?.find((p) => p.name === selected);
  return (
    <section className="task-screen" data-testid="screen-profiles">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        {!canChange && <RoleNote needed="operator" />}
        <FormError errors={errors} />
        {list === null ? (
          <p className="empty">{t('loading')}</p>
        ) : (
          <table className="admin-table" data-testid="profiles-table">
            <thead>
              <tr>
                <th scope="col">{t('col.name')}</th>
                <th scope="col">{t('col.displayName')}</th>
                <th scope="col">{t('col.metrics')}</th>
                <th scope="col">
                  <span className="sr-only">{t('col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.name} data-testid={`profile-row-${p.name}`}>
                  <td>{p.name}</td>
                  <td>{(lang === 'ko' ? ko(p.displayName) : '') || en(p.displayName)}</td>
                  <td>{Object.keys(p.metrics).join(', ')}</td>
                  <td>
                    <button type="button" className="btn btn-small" onClick={() => setSelected(p.name)} data-testid={`profile-open-${p.name}`}>
                      {canChange ? t('edit') : t('view')}
                      <span className="sr-only"> {p.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {shown && <ProfileEditor key={shown.name} profile={shown} onSaved={(p) => setList((l) => l?.map((x) => (x.name === p.name ? p : x)) ?? null)} />}
    </section>
  );
}
