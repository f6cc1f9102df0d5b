import { useCallback, useEffect, useMemo, useState } from 'react';
import { useServices } from '../../services.js';
import { currentLanguage, useTranslation } from '../../i18n/index.js';
import { TaskApi, type DeviceCommand } from '../../tasks/api.js';
import { useFormErrors } from '../../tasks/form.js';
import { Field, FormError, RoleNote, useCan } from '../../tasks/ui.js';

/** Built-in commands and their parameters (number or text), as the device firmware reads them. */
const BUILT_IN: Record<string, Record<string, 'number' | 'text'>> = {
  set_interval: { ms: 'number' },
  set_threshold: { metric: 'text', low: 'number', high: 'number' },
  reboot: {},
};

const OPEN = new Set(['pending', 'delivered']);

/** Send a command to a device and follow it: pending -> delivered -> acked / failed / timed out. */
export function CommandsScreen({ device: initial }: { device: string }) {
  const { api, devices, profiles } = useServices();
  const tasks = useMemo(() => new TaskApi(api), [api]);
  const { t } = useTranslation('commands');
  const canSend = useCan('operator');
  const [device, setDevice] = useState(initial);
  const [name, setName] = useState('set_interval');
  const [params, setParams] = useState<Record<string, string>>({});
  const [list, setList] = useState<DeviceCommand[]>([]);
  const { errors, fail, validate, clear } = useFormErrors();
  const listErr = useFormErrors();
  const info = devices.list().find((d) => d.id === device);
  const declared = (info?.profile && profiles.get(info.profile)?.commands) || {};
  const specs: Record<string, Record<string, 'number' | 'text'>> = {
    ...BUILT_IN,
    ...Object.fromEntries(Object.entries(declared).map(([k, c]) => [k, Object.fromEntries(Object.keys(c.params ?? {}).map((p) => [p, 'text' as const]))])),
  };
  const spec = specs[name] ?? {};

  const load = useCallback(() => {
    if (!device) return Promise.resolve();
    return tasks.listCommands(device).then((c) => {
      setList(c);
      listErr.clear();
    }, listErr.fail);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tasks, device]);
  useEffect(() => {
    setList([]);
    void load();
  }, [load]);
  // Followed while any command is still on its way; the API has no live event for commands.
  const open = list.some((c) => OPEN.has(c.status));
  useEffect(() => {
    if (!device) return;
    const h = setInterval(() => void load(), open ? 1000 : 5000);
    return () => clearInterval(h);
  }, [device, open, load]);

  const send = async (form: HTMLFormElement) => {
    if (!validate(form)) return;
    const body: Record<string, unknown> = {};
    for (const [k, kind] of Object.entries(spec)) {
      const v = (params[k] ?? '').trim();
      if (v === '') continue;
      body[k] = kind === 'number' || /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    }
    try {
      await tasks.sendCommand(device.trim(), name.trim(), body);
      clear();
      setParams({});
      await load();
    } catch (err) {
      fail(err);
    }
  };

  const when = new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'short', timeStyle: 'medium' });
  return (
    <section className="task-screen" data-testid="screen-commands">
      <form
        className="panel task-form"
        noValidate
        data-testid="command-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send(e.currentTarget);
        }}
      >
        <h2>{t('title')}</h2>
        {!canSend && <RoleNote needed="operator" />}
        <div className="task-grid">
          <Field label={t('field.device')} name="device" errors={errors}>
            {(p) => (
              <>
                <input
                  {...p}
                  value={device}
                  onChange={(e) => setDevice(e.target.value)}
                  required
                  maxLength={128}
                  list="command-devices"
                  data-testid="command-device"
                />
                <datalist id="command-devices">
                  {devices.list().map((d) => (
                    <option key={d.id} value={d.id} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field label={t('field.name')} name="name" errors={errors}>
            {(p) => (
              <select
                {...p}
                value={name}
                onChange={(e) => {
                  setName(e.target.value);
                  setParams({});
                }}
                disabled={!canSend}
                data-testid="command-name"
              >
                {Object.keys(specs).map((k) => (
                  <option key={k} value={k}>
                    {k in BUILT_IN ? t(`builtIn.${k as 'reboot'}`) : (declared[k]?.description ?? k)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {Object.entries(spec).map(([k, kind]) => (
            <Field
              key={k}
              label={k in BUILT_IN[name] ? t(`param.${name}.${k}` as 'param.set_interval.ms') : (declared[name]?.params?.[k] ?? k)}
              name={`params.${k}`}
              errors={errors}
            >
              {(p) => (
                <input
                  {...p}
                  type={kind === 'number' ? 'number' : 'text'}
                  step="any"
                  min={name === 'set_interval' ? 1 : undefined}
                  required={name === 'set_interval'}
                  value={params[k] ?? ''}
                  onChange={(e) => setParams({ ...params, [k]: e.target.value })}
                  disabled={!canSend}
                  data-testid={`command-param-${k}`}
                />
              )}
            </Field>
          ))}
        </div>
        <FormError errors={errors} shown={['device', 'name', ...Object.keys(spec).map((k) => `params.${k}`)]} />
        {canSend && (
          <div className="action-buttons">
            <button type="submit" className="btn btn-primary" data-testid="command-send">
              {t('send')}
            </button>
          </div>
        )}
      </form>
      {device && (
        <div className="panel">
          <div className="panel-head">
            <h2>{t('sent', { device })}</h2>
          </div>
          <FormError errors={listErr.errors} />
          {list.length === 0 ? (
            <p className="empty">{t('none')}</p>
          ) : (
            <table className="admin-table" data-testid="commands-table">
              <thead>
                <tr>
                  <th scope="col">{t('col.name')}</th>
                  <th scope="col">{t('col.params')}</th>
                  <th scope="col">{t('col.status')}</th>
                  <th scope="col">{t('col.attempts')}</th>
                  <th scope="col">{t('col.sent')}</th>
                  <th scope="col">{t('col.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <tr key={c.id} data-testid={`command-row-${c.id}`} data-status={c.status}>
                    <td>{c.name}</td>
                    <td>
                      <code>{JSON.stringify(c.params)}</code>
                    </td>
                    <td>
                      <span className={`cmd-status cmd-${c.status}`} data-testid="command-status">
                        {t(`status.${c.status}`)}
                      </span>
                    </td>
                    <td>{c.attempts}</td>
                    <td>{when.format(c.createdAt)}</td>
                    <td>{c.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
