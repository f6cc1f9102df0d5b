import { useEffect, useMemo, useState } from 'react';
import type { DeviceInfo, Profile } from '../../../src/model/device.js';
import { hrefs } from '../hooks/useRoute.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { useServices } from '../services.js';
import { profileLabel } from '../state/profiles.js';
import { FleetApi, TaskApi } from '../tasks/api.js';
import { fromFailure, useFormErrors } from '../tasks/form.js';
import { atListInput, splitTags, tagErrors } from '../tasks/registry-checks.js';
import { taskHref } from '../tasks/routes.js';
import { Field, FormError, RoleNote, useCan } from '../tasks/ui.js';

/**
 * What people record about a device, on its page: name, location, tags and notes (PATCH, so its
 * equipment stays), the profile it is bound to (PUT .../profile), and removing it from the registry.
 * Everyone sees the values; the forms are an operator's, as the API's roles are.
 */
export function DeviceRegistryPanel({ device }: { device: DeviceInfo }) {
  const { api, devices, ensureProfile, profiles: profileStore } = useServices();
  const fleet = useMemo(() => new FleetApi(api), [api]);
  const tasks = useMemo(() => new TaskApi(api), [api]);
  const { t } = useTranslation('deviceAdmin');
  const canChange = useCan('operator');
  const lang = currentLanguage();
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({ name: '', location: '', tags: '', notes: '' });
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [profile, setProfile] = useState(device.profile ?? '');
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<'saved' | 'bound' | null>(null);
  const meta = useFormErrors();
  const bind = useFormErrors();
  const del = useFormErrors();
  const id = device.id;

  useEffect(() => {
    if (canChange) tasks.listProfiles().then(setProfiles, bind.fail);
  }, [canChange, tasks, bind.fail]);
  useEffect(() => setProfile(device.profile ?? ''), [device.profile]);

  const open = () => {
    meta.clear();
    setDone(null);
    setForm({ name: device.name ?? '', location: device.location ?? '', tags: (device.tags ?? []).join(', '), notes: device.notes ?? '' });
    setEditing(true);
  };
  const save = async (el: HTMLFormElement) => {
    const tags = splitTags(form.tags);
    if (!meta.validate(el, tagErrors(tags))) return;
    try {
      devices.put(
        await fleet.updateDevice(id, { name: form.name.trim() || null, location: form.location.trim() || null, tags, notes: form.notes.trim() || null }),
      );
      setEditing(false);
      setDone('saved');
    } catch (err) {
      meta.set(atListInput(fromFailure(err), 'tags'));
    }
  };
  const bindProfile = async (el: HTMLFormElement) => {
    if (!bind.validate(el)) return;
    try {
      await fleet.bindProfile(id, profile || null);
      // The binding's answer lacks what people recorded (name, tags): the device is read whole again.
      devices.put(await fleet.device(id));
      ensureProfile(profile || null);
      bind.clear();
      setDone('bound');
    } catch (err) {
      bind.fail(err);
    }
  };
  const remove = async () => {
    try {
      await fleet.deleteDevice(id);
      window.location.hash = hrefs.overview();
      devices.remove(id);
    } catch (err) {
      del.fail(err);
      setConfirming(false);
    }
  };

  const shownProfile = device.profile ? profileLabel(profileStore.get(device.profile), device.profile, lang) : t('noProfile');
  return (
    <section className="panel registry-panel" aria-labelledby="device-registry-title" data-testid="device-registry">
      <div className="panel-head">
        <h2 id="device-registry-title">{t('title')}</h2>
        {done && (
          <span className="hint" role="status" data-testid={`device-${done}`}>
            {t(done)}
          </span>
        )}
      </div>
      {!editing && (
        <dl className="registry-list">
          <div>
            <dt>{t('name')}</dt>
            <dd data-testid="device-name">{device.name ?? t('notGiven')}</dd>
          </div>
          <div>
            <dt>{t('location')}</dt>
            <dd data-testid="device-location">{device.location ?? t('notGiven')}</dd>
          </div>
          <div>
            <dt>{t('tags')}</dt>
            <dd data-testid="device-tags">
              {device.tags?.length ? (
                <span className="tag-list">
                  {device.tags.map((x) => (
                    <span key={x} className="badge">
                      {x}
                    </span>
                  ))}
                </span>
              ) : (
                t('notGiven')
              )}
            </dd>
          </div>
          <div>
            <dt>{t('profile')}</dt>
            <dd>{shownProfile}</dd>
          </div>
          <div>
            <dt>{t('equipment')}</dt>
            <dd>{device.equipment ? <a href={taskHref('equipment')}>{device.equipment}</a> : t('notGiven')}</dd>
          </div>
          <div className="registry-notes">
            <dt>{t('notes')}</dt>
            <dd data-testid="device-notes">{device.notes ?? t('notGiven')}</dd>
          </div>
        </dl>
      )}
      {!canChange && <RoleNote needed="operator" />}
      {canChange && !editing && (
        <div className="action-buttons">
          <button type="button" className="btn" onClick={open} data-testid="device-edit">
            {t('edit')}
          </button>
        </div>
      )}
      {canChange && editing && (
        <form
          className="task-form"
          noValidate
          aria-label={t('editTitle', { device: id })}
          data-testid="device-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save(e.currentTarget);
          }}
        >
          <div className="task-grid">
            <Field label={t('name')} name="name" errors={meta.errors} ruleNs="deviceAdmin">
              {(p) => (
                <input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} maxLength={200} data-testid="device-name-input" />
              )}
            </Field>
            <Field label={t('location')} name="location" errors={meta.errors} ruleNs="deviceAdmin">
              {(p) => (
                <input
                  {...p}
                  value={form.location}
                  onChange={(e) => setForm({ ...form, location: e.target.value })}
                  maxLength={200}
                  data-testid="device-location-input"
                />
              )}
            </Field>
            <Field label={t('tags')} name="tags" errors={meta.errors} hint={t('hint.tags')} ruleNs="deviceAdmin">
              {(p) => <input {...p} value={form.tags} onChange={(e) => setForm({ ...form, tags: e.target.value })} data-testid="device-tags-input" />}
            </Field>
            {/* No maxLength here: the API's limit (4,000) is told by the hint and its answer shown at the field. */}
            <Field label={t('notes')} name="notes" errors={meta.errors} hint={t('hint.notes')} ruleNs="deviceAdmin">
              {(p) => (
                <textarea {...p} value={form.notes} onChange={(e) => setForm({ ...form, notes: e.target.value })} rows={4} data-testid="device-notes-input" />
              )}
            </Field>
          </div>
          <FormError errors={meta.errors} shown={['name', 'location', 'tags', 'notes']} ruleNs="deviceAdmin" />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="device-save">
              {t('save')}
            </button>
            <button type="button" className="btn" onClick={() => setEditing(false)} data-testid="device-edit-cancel">
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
      {canChange && (
        <form
          className="task-form"
          noValidate
          aria-label={t('bind')}
          data-testid="profile-bind-form"
          onSubmit={(e) => {
            e.preventDefault();
            void bindProfile(e.currentTarget);
          }}
        >
          <div className="task-grid">
            <Field label={t('profile')} name="profile" errors={bind.errors} hint={t('hint.profile')} ruleNs="deviceAdmin">
              {(p) => (
                <select {...p} value={profile} onChange={(e) => setProfile(e.target.value)} data-testid="device-profile-select">
                  <option value="">{t('noProfile')}</option>
                  {/* A profile the list lacks (not loaded yet) stays choosable as it is. */}
                  {[...new Set([...profiles.map((x) => x.name), ...(device.profile ? [device.profile] : [])])].sort().map((name) => (
                    <option key={name} value={name}>
                      {profileLabel(
                        profiles.find((x) => x.name === name),
                        name,
                        lang,
                      )}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <FormError errors={bind.errors} shown={['profile']} ruleNs="deviceAdmin" />
          <div className="action-buttons">
            <button type="submit" className="btn" data-testid="device-profile-bind">
              {t('bind')}
            </button>
          </div>
        </form>
      )}
      {canChange && (
        <div className="registry-remove">
          <FormError errors={del.errors} />
          {confirming ? (
            <div className="action-buttons" role="group" aria-label={t('confirmRemove', { device: id })} data-testid="device-remove-confirm">
              <span>{t('confirmRemove', { device: device.name ? `${device.name} (${id})` : id })}</span>
              <button type="button" className="btn btn-small" onClick={() => void remove()} data-testid="device-remove-yes">
                {t('removeYes', { device: id })}
              </button>
              <button type="button" className="btn btn-small" onClick={() => setConfirming(false)} data-testid="device-remove-no" autoFocus>
                {t('removeNo')}
              </button>
            </div>
          ) : (
            <div className="action-buttons">
              <button
                type="button"
                className="btn"
                onClick={() => {
                  del.clear();
                  setConfirming(true);
                }}
                data-testid="device-remove"
              >
                {t('remove')}
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
