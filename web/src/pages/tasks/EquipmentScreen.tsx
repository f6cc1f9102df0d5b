import { useCallback, useEffect, useMemo, useState } from 'react';
import type { DeviceInfo } from '../../../../src/model/device.js';
import { useServices } from '../../services.js';
import { hrefs } from '../../hooks/useRoute.js';
import { useTranslation } from '../../i18n/index.js';
import { FleetApi, type Equipment } from '../../tasks/api.js';
import { fromFailure, useFormErrors } from '../../tasks/form.js';
import { Field, FormError, RoleNote, useCan } from '../../tasks/ui.js';

type Tree = Map<string, Map<string, Equipment[]>>;

const attr = (d: DeviceInfo | undefined, ...keys: string[]) => {
  for (const k of keys) {
    const v = d?.attributes?.[k];
    if (typeof v === 'string' && v) return v;
  }
  return null;
};

/**
 * Site -> line/train -> equipment. Where the equipment is comes from its sensors' topic attributes
 * (site; line or train) when they carry them, else from its location written "site / line".
 */
export function equipmentTree(equipment: Equipment[], devices: Map<string, DeviceInfo>, unknown: string): Tree {
  const tree: Tree = new Map();
  for (const e of equipment) {
    const sensors = e.devices.map((id) => devices.get(id));
    const parts = (e.location ?? '').split('/').map((s) => s.trim());
    const site = sensors.map((d) => attr(d, 'site')).find(Boolean) ?? (parts[0] || unknown);
    const line = sensors.map((d) => attr(d, 'line', 'train')).find(Boolean) ?? (parts[1] || unknown);
    let lines = tree.get(site);
    if (!lines) tree.set(site, (lines = new Map()));
    const list = lines.get(line) ?? [];
    list.push(e);
    lines.set(line, list);
  }
  return tree;
}

/** Equipment and sites as a tree down to the sensors, with equipment added and sensors assigned here. */
export function EquipmentScreen() {
  const { api, devices } = useServices();
  const fleet = useMemo(() => new FleetApi(api), [api]);
  const { t } = useTranslation('equipment');
  const canChange = useCan('operator');
  const [list, setList] = useState<Equipment[] | null>(null);
  const loadErr = useFormErrors();
  const add = useFormErrors();
  const assign = useFormErrors();
  const [form, setForm] = useState({ id: '', name: '', location: '' });
  const [pick, setPick] = useState({ device: '', equipment: '' });
  const load = useCallback(() => fleet.listEquipment().then(setList, loadErr.fail), [fleet, loadErr.fail]);
  useEffect(() => void load(), [load]);
  const byId = new Map(devices.list().map((d) => [d.id, d]));
  const tree = equipmentTree(list ?? [], byId, t('unknown'));
  const assigned = new Set((list ?? []).flatMap((e) => e.devices));
  const loose = devices.list().filter((d) => !assigned.has(d.id));
  return (
    <section className="task-screen" data-testid="screen-equipment">
      <div className="panel">
        <div className="panel-head">
          <h2>{t('title')}</h2>
        </div>
        {!canChange && <RoleNote needed="operator" />}
        <FormError errors={loadErr.errors} />
        {list === null ? (
          <p className="empty">{t('loading')}</p>
        ) : list.length === 0 ? (
          <p className="empty">{t('none')}</p>
        ) : (
          <ul className="task-tree" data-testid="equipment-tree" aria-label={t('title')}>
            {[...tree].map(([site, lines]) => (
              <li key={site}>
                <details open>
                  <summary data-testid={`site-${site}`}>
                    {t('site')}: {site}
                  </summary>
                  <ul>
                    {[...lines].map(([line, eqs]) => (
                      <li key={line}>
                        <details open>
                          <summary>
                            {t('line')}: {line}
                          </summary>
                          <ul>
                            {eqs.map((e) => (
                              <li key={e.id} data-testid={`equipment-${e.id}`}>
                                <details open>
                                  <summary>
                                    {e.name} <span className="task-hint">({e.id})</span>
                                  </summary>
                                  {canChange && <EquipmentActions equipment={e} fleet={fleet} onChange={load} />}
                                  {e.devices.length === 0 ? (
                                    <p className="task-hint">{t('noSensors')}</p>
                                  ) : (
                                    <ul>
                                      {e.devices.map((id) => (
                                        <li key={id} data-testid={`sensor-${e.id}-${id}`}>
                                          <a href={hrefs.device(id)}>{id}</a>{' '}
                                          {byId.get(id)?.profile ? <span className="task-hint">{byId.get(id)?.profile}</span> : null}
                                        </li>
                                      ))}
                                    </ul>
                                  )}
                                </details>
                              </li>
                            ))}
                          </ul>
                        </details>
                      </li>
                    ))}
                  </ul>
                </details>
              </li>
            ))}
          </ul>
        )}
        {loose.length > 0 && (
          <p className="task-hint" data-testid="unassigned">
            {t('unassigned', { devices: loose.map((d) => d.id).join(', ') })}
          </p>
        )}
      </div>
      {canChange && (
        <form
          className="panel task-form"
          noValidate
          data-testid="equipment-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!add.validate(e.currentTarget)) return;
            fleet.createEquipment({ id: form.id.trim(), name: form.name.trim(), ...(form.location.trim() && { location: form.location.trim() }) }).then(() => {
              add.clear();
              setForm({ id: '', name: '', location: '' });
              return load();
            }, add.fail);
          }}
        >
          <h2>{t('addTitle')}</h2>
          <div className="task-grid">
            <Field label={t('field.id')} name="id" errors={add.errors}>
              {(p) => (
                <input
                  {...p}
                  value={form.id}
                  onChange={(e) => setForm({ ...form, id: e.target.value })}
                  required
                  maxLength={128}
                  pattern="[A-Za-z0-9][A-Za-z0-9._:\-]*"
                  data-testid="equipment-id"
                />
              )}
            </Field>
            <Field label={t('field.name')} name="name" errors={add.errors}>
              {(p) => (
                <input
                  {...p}
                  value={form.name}
                  onChange={(e) => setForm({ ...form, name: e.target.value })}
                  required
                  maxLength={200}
                  data-testid="equipment-name"
                />
              )}
            </Field>
            <Field label={t('field.location')} name="location" errors={add.errors} hint={t('hint.location')}>
              {(p) => (
                <input
                  {...p}
                  value={form.location}
                  onChange={(e) => setForm({ ...form, location: e.target.value })}
                  maxLength={200}
                  data-testid="equipment-location"
                />
              )}
            </Field>
          </div>
          <FormError errors={add.errors} shown={['id', 'name', 'location']} />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="equipment-add">
              {t('add')}
            </button>
          </div>
        </form>
      )}
      {canChange && (list?.length ?? 0) > 0 && (
        <form
          className="panel task-form"
          noValidate
          data-testid="assign-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!assign.validate(e.currentTarget)) return;
            fleet.assignDevice(pick.device.trim(), pick.equipment || null).then(() => {
              assign.clear();
              setPick({ device: '', equipment: '' });
              return load();
            }, assign.fail);
          }}
        >
          <h2>{t('assignTitle')}</h2>
          <div className="task-grid">
            <Field label={t('field.device')} name="device" errors={assign.errors}>
              {(p) => (
                <>
                  <input
                    {...p}
                    value={pick.device}
                    onChange={(e) => setPick({ ...pick, device: e.target.value })}
                    required
                    maxLength={128}
                    list="equipment-devices"
                    data-testid="assign-device"
                  />
                  <datalist id="equipment-devices">
                    {devices.list().map((d) => (
                      <option key={d.id} value={d.id} />
                    ))}
                  </datalist>
                </>
              )}
            </Field>
            <Field label={t('field.equipment')} name="equipment" errors={assign.errors}>
              {(p) => (
                <select {...p} value={pick.equipment} onChange={(e) => setPick({ ...pick, equipment: e.target.value })} data-testid="assign-equipment">
                  <option value="">{t('none_')}</option>
                  {(list ?? []).map((e) => (
                    <option key={e.id} value={e.id}>
                      {e.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <FormError errors={assign.errors} shown={['device', 'equipment']} />
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="assign-save">
              {t('assign')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/**
 * Rename (PATCH name and location: its description and tags stay) or remove one piece of
 * equipment, in its place in the tree. Removing asks once more, naming it; its sensors stay, unassigned.
 */
function EquipmentActions({ equipment: e, fleet, onChange }: { equipment: Equipment; fleet: FleetApi; onChange(): Promise<unknown> }) {
  const { t } = useTranslation('equipment');
  const [mode, setMode] = useState<'idle' | 'rename' | 'remove'>('idle');
  const [form, setForm] = useState({ name: e.name, location: e.location ?? '' });
  const edit = useFormErrors();
  const del = useFormErrors();
  if (mode === 'rename')
    return (
      <form
        className="task-form task-inline"
        noValidate
        aria-label={t('renameOne', { name: e.name })}
        data-testid={`equipment-rename-form-${e.id}`}
        onSubmit={(ev) => {
          ev.preventDefault();
          if (!edit.validate(ev.currentTarget)) return;
          fleet.renameEquipment(e.id, { name: form.name.trim(), location: form.location.trim() || null }).then(async () => {
            edit.clear();
            setMode('idle');
            await onChange();
          }, edit.fail);
        }}
      >
        <div className="task-grid">
          <Field label={t('field.name')} name="name" errors={edit.errors}>
            {(p) => (
              <input
                {...p}
                value={form.name}
                onChange={(ev) => setForm({ ...form, name: ev.target.value })}
                required
                maxLength={200}
                data-testid={`equipment-rename-name-${e.id}`}
              />
            )}
          </Field>
          <Field label={t('field.location')} name="location" errors={edit.errors} hint={t('hint.location')}>
            {(p) => (
              <input
                {...p}
                value={form.location}
                onChange={(ev) => setForm({ ...form, location: ev.target.value })}
                maxLength={200}
                data-testid={`equipment-rename-location-${e.id}`}
              />
            )}
          </Field>
        </div>
        <FormError errors={edit.errors} shown={['name', 'location']} />
        <div className="action-buttons">
          <button type="submit" className="btn btn-primary btn-small" data-testid={`equipment-rename-save-${e.id}`}>
            {t('save')}
          </button>
          <button type="button" className="btn btn-small" onClick={() => setMode('idle')}>
            {t('cancel')}
          </button>
        </div>
      </form>
    );
  return (
    <div className="task-inline">
      <FormError errors={del.errors} />
      {mode === 'remove' ? (
        <span className="action-buttons" role="group" aria-label={t('confirmRemove', { name: e.name, id: e.id })}>
          <span>{t('confirmRemove', { name: e.name, id: e.id })}</span>
          <button
            type="button"
            className="btn btn-small"
            data-testid={`equipment-remove-yes-${e.id}`}
            onClick={() =>
              fleet.deleteEquipment(e.id).then(
                () => onChange(),
                (err: unknown) => {
                  del.set(fromFailure(err));
                  setMode('idle');
                },
              )
            }
          >
            {t('removeYes')}
          </button>
          <button type="button" className="btn btn-small" onClick={() => setMode('idle')} data-testid={`equipment-remove-no-${e.id}`}>
            {t('removeNo')}
          </button>
        </span>
      ) : (
        <span className="action-buttons">
          <button
            type="button"
            className="btn btn-small"
            aria-label={t('renameOne', { name: e.name })}
            data-testid={`equipment-rename-${e.id}`}
            onClick={() => {
              edit.clear();
              setForm({ name: e.name, location: e.location ?? '' });
              setMode('rename');
            }}
          >
            {t('rename')}
          </button>
          <button
            type="button"
            className="btn btn-small"
            aria-label={t('removeOne', { name: e.name })}
            data-testid={`equipment-remove-${e.id}`}
            onClick={() => {
              del.clear();
              setMode('remove');
            }}
          >
            {t('remove')}
          </button>
        </span>
      )}
    </div>
  );
}
