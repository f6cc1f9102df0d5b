import { useCallback, useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { FleetApi, type Firmware, type OtaJob, type Rollout } from '../../tasks/api.js';
import { fromFailure, useFormErrors } from '../../tasks/form.js';
import { atListInput, deviceListErrors, splitDevices } from '../../tasks/registry-checks.js';
import { Field, FormError, RoleNote, useCan, useRuleText } from '../../tasks/ui.js';
import { TaskTable } from '../../tasks/TaskTable.js';

type TargetKind = 'profile' | 'equipment' | 'devices';

/** A rollout's target in words: "profile battery", "3 devices: a, b, c". */
function useTargetText(): (target: Rollout['target']) => string {
  const { t } = useTranslation('ota');
  const num = new Intl.NumberFormat(currentLanguage());
  return (target) => {
    if (target.kind !== 'devices') return `${t(`target.${target.kind}`)} ${target.value}`;
    const list = target.value.split(',');
    const shown = list.slice(0, 5).join(', ');
    const more = list.length > 5 ? t('deviceListMore', { list: shown, more: num.format(list.length - 5) }) : shown;
    return t('deviceList', { count: list.length, n: num.format(list.length), list: more });
  };
}

function RolloutView({ id, onChange }: { id: string; onChange(): void }) {
  const { api } = useServices();
  const fleet = useMemo(() => new FleetApi(api), [api]);
  const { t } = useTranslation('ota');
  const canChange = useCan('operator');
  const targetText = useTargetText();
  const [state, setState] = useState<{ rollout: Rollout; jobs: OtaJob[] } | null>(null);
  const { errors, fail, clear } = useFormErrors();
  const load = useCallback(() => fleet.rollout(id).then(setState, fail), [fleet, id, fail]);
  useEffect(() => void load(), [load]);
  const running = state?.rollout.status === 'running';
  // Followed once a second while it runs (OTA progress has no event on the live feed).
  useEffect(() => {
    if (!running) return;
    const h = setInterval(() => void load(), 1000);
    return () => clearInterval(h);
  }, [running, load]);
  if (!state) return <FormError errors={errors} />;
  const pct = new Intl.NumberFormat(currentLanguage(), { style: 'percent' });
  return (
    <div className="panel" data-testid="rollout-view" data-status={state.rollout.status}>
      <div className="panel-head">
        <h2>
          {t('rolloutTitle', {
            version: state.rollout.version,
            target: targetText(state.rollout.target),
          })}
        </h2>
        <span className={`cmd-status cmd-${state.rollout.status}`} data-testid="rollout-status">
          {t(`rolloutStatus.${state.rollout.status}`)}
        </span>
      </div>
      <FormError errors={errors} />
      <table className="admin-table">
        <thead>
          <tr>
            <th scope="col">{t('col.device')}</th>
            <th scope="col">{t('col.status')}</th>
            <th scope="col">{t('col.progress')}</th>
            <th scope="col">{t('col.reason')}</th>
          </tr>
        </thead>
        <tbody>
          {state.jobs.map((j) => (
            <tr key={j.device} data-testid={`job-row-${j.device}`} data-status={j.status}>
              <td>{j.device}</td>
              <td>{t(`job.${j.status}`)}</td>
              <td>
                <progress max={1} value={j.progress} aria-label={t('progressOf', { device: j.device })} /> {pct.format(j.progress)}
              </td>
              <td>{j.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canChange && running && (
        <div className="action-buttons">
          <button
            type="button"
            className="btn"
            onClick={() => {
              clear();
              fleet.cancelRollout(id).then((r) => {
                setState(r);
                onChange();
              }, fail);
            }}
            data-testid="rollout-cancel"
          >
            {t('cancel')}
          </button>
        </div>
      )}
    </div>
  );
}

/** Firmware images, rollouts by profile, equipment or a list of devices, their progress, and cancel. */
export function OtaScreen() {
  const { api, devices } = useServices();
  const fleet = useMemo(() => new FleetApi(api), [api]);
  const { t } = useTranslation('ota');
  const canChange = useCan('operator');
  const [images, setImages] = useState<Firmware[]>([]);
  const [rollouts, setRollouts] = useState<Rollout[]>([]);
  const [watch, setWatch] = useState<string | null>(null);
  const up = useFormErrors();
  const ro = useFormErrors();
  const list = useFormErrors();
  const [file, setFile] = useState<File | null>(null);
  const [version, setVersion] = useState('');
  const [plan, setPlan] = useState({ firmware: '', kind: 'profile' as TargetKind, value: '', concurrency: '1' });
  const rm = useFormErrors();
  const [removing, setRemoving] = useState<string | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const ruleText = useRuleText('ota');
  const targetText = useTargetText();
  const load = useCallback(
    () => Promise.all([fleet.listFirmware().then(setImages), fleet.listRollouts().then(setRollouts)]).catch(list.fail),
    [fleet, list.fail],
  );
  useEffect(() => void load(), [load]);
  const when = new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'short', timeStyle: 'short' });
  const size = new Intl.NumberFormat(currentLanguage(), { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 1 });
  const count = new Intl.NumberFormat(currentLanguage());
  const profiles = [
    ...new Set(
      devices
        .list()
        .map((d) => d.profile)
        .filter((p): p is string => !!p),
    ),
  ];

  const upload = async (form: HTMLFormElement) => {
    if (!up.validate(form)) return;
    try {
      const fw = await fleet.uploadFirmware(file!, version.trim(), file!.name);
      up.clear();
      setVersion('');
      setPlan((p) => ({ ...p, firmware: fw.id }));
      await load();
    } catch (err) {
      up.fail(err);
    }
  };
  const start = async (form: HTMLFormElement) => {
    if (!ro.validate(form, plan.kind === 'devices' && plan.value.trim() ? deviceListErrors(splitDevices(plan.value)) : {})) return;
    const conc = Number(plan.concurrency);
    try {
      // A list of devices is one rollout: "devices at a time" applies across the list.
      const target = plan.kind === 'devices' ? { devices: splitDevices(plan.value) } : { [plan.kind]: plan.value.trim() };
      const started = await fleet.startRollout(plan.firmware, target, conc);
      ro.clear();
      setWatch(started.rollout.id);
      await load();
    } catch (err) {
      // A refusal at one device of the list ("devices.3") is shown at the list's input.
      ro.set(atListInput(fromFailure(err), 'devices'));
    }
  };
  const remove = async (fw: Firmware) => {
    try {
      await fleet.deleteFirmware(fw.id);
      setRemoving(null);
      rm.clear();
      if (plan.firmware === fw.id) setPlan((p) => ({ ...p, firmware: '' }));
      await load();
    } catch (err) {
      setRemoving(null);
      rm.fail(err);
      setRefused(fw.id);
    }
  };
  return (
    <section className="task-screen" data-testid="screen-ota">
      {!canChange && <RoleNote needed="operator" />}
      <FormError errors={list.errors} />
      {canChange && (
        <form
          className="panel task-form"
          noValidate
          data-testid="firmware-form"
          onSubmit={(e) => {
            e.preventDefault();
            void upload(e.currentTarget);
          }}
        >
          <h2>{t('uploadTitle')}</h2>
          <div className="task-grid">
            <Field label={t('field.file')} name="body" errors={up.errors}>
              {(p) => <input {...p} type="file" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="firmware-file" />}
            </Field>
            <Field label={t('field.version')} name="version" errors={up.errors}>
              {(p) => (
                <input
                  {...p}
                  value={version}
                  onChange={(e) => setVersion(e.target.value)}
                  required
                  maxLength={64}
                  pattern="[A-Za-z0-9][A-Za-z0-9._+\-]*"
                  data-testid="firmware-version"
                />
              )}
            </Field>
          </div>
          <FormError errors={up.errors} shown={['body', 'version']} />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="firmware-upload">
              {t('upload')}
            </button>
          </div>
        </form>
      )}
      <div className="panel">
        <div className="panel-head">
          <h2>{t('imagesTitle')}</h2>
        </div>
        <TaskTable
          name="firmware"
          list={images}
          head={[t('col.version'), t('col.name'), t('col.size'), t('col.sha256'), t('col.uploaded')]}
          actions={canChange ? t('col.actions') : undefined}
          labels={{ none: t('noImages') }}
          row={(f) => (
            <tr key={f.id} data-testid={`firmware-row-${f.version}`}>
              <td>{f.version}</td>
              <td>{f.name ?? ''}</td>
              <td>{size.format(f.size / 1024)}</td>
              <td>
                <code>{f.sha256.slice(0, 12)}…</code>
              </td>
              <td>{when.format(f.createdAt)}</td>
              {canChange && (
                <td>
                  {removing === f.id ? (
                    <span className="action-buttons" role="group" aria-label={t('confirmRemove', { version: f.version })}>
                      <span>{t('confirmRemove', { version: f.version })}</span>
                      <button type="button" className="btn btn-small" onClick={() => void remove(f)} data-testid={`firmware-remove-yes-${f.version}`}>
                        {t('removeYes')}
                      </button>
                      <button type="button" className="btn btn-small" onClick={() => setRemoving(null)} data-testid={`firmware-remove-no-${f.version}`}>
                        {t('removeNo')}
                      </button>
                    </span>
                  ) : (
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => {
                        rm.clear();
                        setRefused(null);
                        setRemoving(f.id);
                      }}
                      aria-label={t('removeOne', { version: f.version })}
                      data-testid={`firmware-remove-${f.version}`}
                    >
                      {t('remove')}
                    </button>
                  )}
                  {refused === f.id && rm.errors.form?.rule === 'in_use' ? (
                    // Said in the row, in the page's language: a running rollout still sends this image.
                    <span className="task-error" role="alert" data-testid={`firmware-remove-error-${f.version}`} data-rule="in_use">
                      {ruleText({ rule: 'in_use', message: rm.errors.form.message })}
                    </span>
                  ) : (
                    refused === f.id && <FormError errors={rm.errors} />
                  )}
                </td>
              )}
            </tr>
          )}
        />
      </div>
      {canChange && images.length > 0 && (
        <form
          className="panel task-form"
          noValidate
          data-testid="rollout-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start(e.currentTarget);
          }}
        >
          <h2>{t('rolloutNew')}</h2>
          <div className="task-grid">
            <Field label={t('field.firmware')} name="firmware" errors={ro.errors} ruleNs="ota">
              {(p) => (
                <select {...p} value={plan.firmware} onChange={(e) => setPlan({ ...plan, firmware: e.target.value })} required data-testid="rollout-firmware">
                  <option value="">{t('choose')}</option>
                  {images.map((f) => (
                    <option key={f.id} value={f.id}>
                      {f.version} {f.name ?? ''}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t('field.targetKind')} name="targetKind" errors={ro.errors}>
              {(p) => (
                <select
                  {...p}
                  value={plan.kind}
                  onChange={(e) => setPlan({ ...plan, kind: e.target.value as TargetKind, value: '' })}
                  data-testid="rollout-kind"
                >
                  {(['profile', 'equipment', 'devices'] as const).map((k) => (
                    <option key={k} value={k}>
                      {t(`target.${k}`)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label={t(`targetValue.${plan.kind}`)}
              name={plan.kind}
              errors={ro.errors}
              ruleNs="ota"
              hint={plan.kind === 'devices' ? t('hint.devices') : undefined}
            >
              {(p) => (
                <>
                  <input
                    {...p}
                    value={plan.value}
                    onChange={(e) => setPlan({ ...plan, value: e.target.value })}
                    required
                    maxLength={plan.kind === 'devices' ? undefined : 128}
                    list={plan.kind === 'profile' ? 'ota-profiles' : undefined}
                    data-testid="rollout-target"
                  />
                  <datalist id="ota-profiles">
                    {profiles.map((x) => (
                      <option key={x} value={x} />
                    ))}
                  </datalist>
                </>
              )}
            </Field>
            <Field label={t('field.concurrency')} name="concurrency" errors={ro.errors} hint={t('hint.concurrency')}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  min={1}
                  max={1000}
                  step={1}
                  value={plan.concurrency}
                  onChange={(e) => setPlan({ ...plan, concurrency: e.target.value })}
                  required
                  data-testid="rollout-concurrency"
                />
              )}
            </Field>
          </div>
          <FormError errors={ro.errors} shown={['firmware', 'targetKind', 'devices', 'profile', 'equipment', 'concurrency']} ruleNs="ota" />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="rollout-start">
              {t('start')}
            </button>
          </div>
        </form>
      )}
      <div className="panel">
        <div className="panel-head">
          <h2>{t('rolloutsTitle')}</h2>
        </div>
        <TaskTable
          name="rollouts"
          list={rollouts}
          head={[t('col.version'), t('col.target'), t('col.concurrency'), t('col.status'), t('col.started')]}
          actions={t('col.actions')}
          labels={{ none: t('noRollouts') }}
          row={(r) => (
            <tr key={r.id} data-testid={`rollout-row-${r.id}`}>
              <td>{r.version}</td>
              <td>{targetText(r.target)}</td>
              <td>{count.format(r.concurrency)}</td>
              <td>{t(`rolloutStatus.${r.status}`)}</td>
              <td>{when.format(r.createdAt)}</td>
              <td>
                <button type="button" className="btn btn-small" onClick={() => setWatch(r.id)} data-testid={`rollout-watch-${r.id}`}>
                  {t('watch')}
                </button>
              </td>
            </tr>
          )}
        />
      </div>
      {watch && <RolloutView key={watch} id={watch} onChange={() => void load()} />}
    </section>
  );
}
