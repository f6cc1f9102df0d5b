import { useCallback, useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { formatDateTime } from '../../state/format.js';
import { hrefs } from '../../hooks/useRoute.js';
import { useFormErrors } from '../../tasks/form.js';
import { Field, FormError, RoleNote, useCan } from '../../tasks/ui.js';
import { AdminApi, type RetentionList } from '../../tasks/admin-api.js';

const FIELDS = ['device', 'rawRetentionHours'];

/**
 * Raw retention per device (GET /api/v1/retention): how long, set by whom, the cutoff and the held
 * (imported) ranges; an admin sets a device's hours or takes its own setting away (PUT .../retention).
 */
export function RetentionScreen() {
  const { api } = useServices();
  const admin = useMemo(() => new AdminApi(api), [api]);
  const { t } = useTranslation('retention');
  const lang = currentLanguage();
  const canChange = useCan('admin');
  const [list, setList] = useState<RetentionList | null>(null);
  const [device, setDevice] = useState('');
  const [hours, setHours] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useFormErrors();
  const form = useFormErrors();
  const num = useMemo(() => new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }), [lang]);
  const reload = useCallback(() => admin.retention().then(setList, load.fail), [admin, load.fail]);
  useEffect(() => void reload(), [reload]);
  const h = (v: number) => t('hours', { value: num.format(v) });
  const d = (v: number) => t('days', { value: num.format(v) });

  const save = async (el: HTMLFormElement, value: number | null) => {
    setSaved(null);
    const extra: Record<string, { rule: string }> = {};
    // exclusiveMinimum, which the browser's min cannot say: 0 itself is refused.
    if (value !== null && hours.trim() !== '' && Number(hours) <= 0) extra.rawRetentionHours = { rule: 'exclusiveMinimum' };
    if (value === null) {
      if (!device) extra.device = { rule: 'required' };
      form.set({ fields: extra, form: null });
      if (Object.keys(extra).length) return;
    } else if (!form.validate(el, extra)) return;
    setBusy(true);
    try {
      const r = await admin.setRetention(device, value);
      setSaved(t('saved', { device: r.device, retention: r.description }));
      await reload();
    } catch (err) {
      form.fail(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="task-screen" data-testid="screen-retention">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        <p className="task-note">{t('note')}</p>
        <FormError errors={load.errors} />
        {list && (
          <p className="task-note" data-testid="retention-default">
            {t('defaults', { raw: h(list.default.rawRetentionHours), minute: d(list.default.minuteRollupDays), hour: d(list.default.hourRollupDays) })}
          </p>
        )}
        {list === null ? (
          <p className="empty">{t('loading')}</p>
        ) : list.devices.length === 0 ? (
          <p className="empty">{t('none')}</p>
        ) : (
          <table className="admin-table" data-testid="retention-table">
            <thead>
              <tr>
                <th scope="col">{t('col.device')}</th>
                <th scope="col">{t('col.profile')}</th>
                <th scope="col">{t('col.raw')}</th>
                <th scope="col">{t('col.source')}</th>
                <th scope="col">{t('col.cutoff')}</th>
                <th scope="col">{t('col.holds')}</th>
              </tr>
            </thead>
            <tbody>
              {list.devices.map((r) => (
                <tr key={r.device} data-testid={`retention-row-${r.device}`} data-hours={r.rawRetentionHours} data-source={r.source}>
                  <td>
                    <a href={hrefs.device(r.device)}>{r.device}</a>
                  </td>
                  <td>{r.profile ?? ''}</td>
                  <td>{h(r.rawRetentionHours)}</td>
                  <td>{t(`source.${r.source}`)}</td>
                  <td>{formatDateTime(r.rawCutoff, lang, false)}</td>
                  <td>
                    {r.holds.length > 0 && (
                      <span title={r.holds.map((x) => `${formatDateTime(x.from, lang, false)} – ${formatDateTime(x.to, lang, false)} ${x.reason}`).join('\n')}>
                        {t('holdsCount', { count: r.holds.length })}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {!canChange ? (
        <div className="panel">
          <h2>{t('formTitle')}</h2>
          <RoleNote needed="admin" />
        </div>
      ) : (
        list &&
        list.devices.length > 0 && (
          <form
            className="panel task-form"
            noValidate
            data-testid="retention-form"
            onSubmit={(e) => {
              e.preventDefault();
              void save(e.currentTarget, Number(hours));
            }}
          >
            <h2>{t('formTitle')}</h2>
            <div className="task-grid">
              <Field label={t('device')} name="device" errors={form.errors} ruleNs="retention">
                {(p) => (
                  <select
                    {...p}
                    required
                    value={device}
                    onChange={(e) => {
                      setDevice(e.target.value);
                      const cur = list.devices.find((x) => x.device === e.target.value);
                      setHours(cur?.override != null ? String(cur.override) : '');
                    }}
                    data-testid="retention-device"
                  >
                    <option value="" />
                    {list.devices.map((x) => (
                      <option key={x.device} value={x.device}>
                        {x.device}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field
                label={t('rawRetentionHours')}
                name="rawRetentionHours"
                errors={form.errors}
                hint={t('hoursHint', { max: num.format(list.limits.maxRawRetentionHours) })}
                ruleNs="retention"
              >
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    required
                    step="any"
                    max={list.limits.maxRawRetentionHours}
                    value={hours}
                    onChange={(e) => setHours(e.target.value)}
                    data-testid="retention-hours"
                  />
                )}
              </Field>
            </div>
            <FormError errors={form.errors} shown={FIELDS} ruleNs="retention" />
            {saved && (
              <p className="hint" role="status" data-testid="retention-saved">
                {saved}
              </p>
            )}
            <div className="action-buttons">
              <button type="submit" className="btn btn-primary" disabled={busy} data-testid="retention-save">
                {t('save')}
              </button>
              <button type="button" className="btn" disabled={busy} onClick={(e) => void save(e.currentTarget.form!, null)} data-testid="retention-reset">
                {t('reset')}
              </button>
            </div>
          </form>
        )
      )}
    </section>
  );
}
