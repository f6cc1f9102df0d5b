import { useCallback, useEffect, useState } from 'react';
import type { PublicApiKey, PublicUser, Role } from '../../../src/model/auth.js';
import { roleAtLeast } from '../auth/identity.js';
import { useIdentity } from '../hooks/useIdentity.js';
import { useServices } from '../services.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { useFormErrors } from '../tasks/form.js';
import { Field, FormError } from '../tasks/ui.js';
import { TaskTable } from '../tasks/TaskTable.js';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

const when = (ts: number) => new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'short', timeStyle: 'short' }).format(ts);

/** A secret shown once, with a copy button: the server keeps only its hash. */
function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  const { t } = useTranslation('admin');
  return (
    <div className="secret-once" data-testid="secret-once">
      <div>{t('shownOnce', { label })}</div>
      <code data-testid="secret-value">{value}</code>
      <div className="action-buttons">
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            navigator.clipboard?.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? t('copied') : t('copy')}
        </button>
        <button type="button" className="btn btn-small" onClick={onDone}>
          {t('done')}
        </button>
      </div>
    </div>
  );
}

function RoleOptions() {
  const { t } = useTranslation('tasks');
  return (
    <>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {t(`roles.${r}`)}
        </option>
      ))}
    </>
  );
}

function Users() {
  const { api } = useServices();
  const { t } = useTranslation('admin');
  const [users, setUsers] = useState<PublicUser[]>([]);
  const { errors, fail, clear, validate } = useFormErrors();
  const [form, setForm] = useState({ username: '', password: '', role: 'viewer' as Role });
  const load = useCallback(() => api.listUsers().then(setUsers, fail), [api, fail]);
  useEffect(() => void load(), [load]);
  const act = (p: Promise<unknown>) => {
    clear();
    p.then(load, fail);
  };
  return (
    <section className="panel" data-testid="admin-users">
      <div className="panel-head">
        <h2>{t('users.title')}</h2>
      </div>
      <TaskTable
        list={users}
        head={[t('users.name'), t('users.role'), t('users.state')]}
        actions={t('actions')}
        row={(u) => (
          <tr key={u.id} data-testid={`user-row-${u.username}`}>
            <td>{u.username}</td>
            <td>
              <select
                value={u.role}
                onChange={(e) => act(api.updateUser(u.id, { role: e.target.value as Role }))}
                aria-label={t('users.roleOf', { name: u.username })}
              >
                <RoleOptions />
              </select>
            </td>
            <td>{u.disabled ? t('users.disabled') : t('users.active')}</td>
            <td>
              <button type="button" className="btn btn-small" onClick={() => act(api.updateUser(u.id, { disabled: !u.disabled }))}>
                {u.disabled ? t('users.enable') : t('users.disable')}
                <span className="sr-only"> {u.username}</span>
              </button>
            </td>
          </tr>
        )}
      />
      <form
        className="admin-form"
        noValidate
        data-testid="user-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!validate(e.currentTarget)) return;
          clear();
          api.createUser(form).then(() => {
            setForm({ username: '', password: '', role: 'viewer' });
            return load();
          }, fail);
        }}
      >
        <Field label={t('users.newName')} name="username" errors={errors}>
          {(p) => (
            <input
              {...p}
              value={form.username}
              onChange={(e) => setForm({ ...form, username: e.target.value })}
              required
              maxLength={64}
              pattern="[A-Za-z0-9_.@\-]+"
              autoComplete="off"
              data-testid="user-new-name"
            />
          )}
        </Field>
        <Field label={t('users.newPassword')} name="password" errors={errors}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
              required
              minLength={10}
              data-testid="user-new-password"
            />
          )}
        </Field>
        <Field label={t('users.newRole')} name="role" errors={errors}>
          {(p) => (
            <select {...p} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} data-testid="user-new-role">
              <RoleOptions />
            </select>
          )}
        </Field>
        <button type="submit" className="btn btn-primary" data-testid="user-add">
          {t('users.add')}
        </button>
      </form>
      <FormError errors={errors} shown={['username', 'password', 'role']} />
    </section>
  );
}

function ApiKeys() {
  const { api } = useServices();
  const { t } = useTranslation('admin');
  const tr = useTranslation('tasks').t;
  const [keys, setKeys] = useState<PublicApiKey[]>([]);
  const [shown, setShown] = useState<string | null>(null);
  const { errors, fail, clear, validate } = useFormErrors();
  const [form, setForm] = useState({ name: '', role: 'viewer' as Role });
  const load = useCallback(() => api.listApiKeys().then(setKeys, fail), [api, fail]);
  useEffect(() => void load(), [load]);
  return (
    <section className="panel" data-testid="admin-api-keys">
      <div className="panel-head">
        <h2>{t('keys.title')}</h2>
      </div>
      {shown && <ShownOnce label={t('keys.newKey')} value={shown} onDone={() => setShown(null)} />}
      <TaskTable
        list={keys}
        head={[t('keys.name'), t('keys.role'), t('keys.created')]}
        actions={t('actions')}
        row={(k) => (
          <tr key={k.id} data-testid={`key-row-${k.name}`}>
            <td>{k.name}</td>
            <td>{tr(`roles.${k.role}`)}</td>
            <td>{k.createdBy ? t('by', { time: when(k.createdAt), who: k.createdBy }) : when(k.createdAt)}</td>
            <td>
              {k.revokedAt ? (
                t('revoked')
              ) : (
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => {
                    clear();
                    api.revokeApiKey(k.id).then(load, fail);
                  }}
                  data-testid={`key-revoke-${k.name}`}
                >
                  {t('revoke')}
                  <span className="sr-only"> {k.name}</span>
                </button>
              )}
            </td>
          </tr>
        )}
      />
      <form
        className="admin-form"
        noValidate
        data-testid="key-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!validate(e.currentTarget)) return;
          clear();
          api.createApiKey(form.name.trim(), form.role).then((r) => {
            setShown(r.key);
            setForm({ name: '', role: 'viewer' });
            return load();
          }, fail);
        }}
      >
        <Field label={t('keys.newName')} name="name" errors={errors}>
          {(p) => (
            <input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required maxLength={100} data-testid="key-new-name" />
          )}
        </Field>
        <Field label={t('keys.newRole')} name="role" errors={errors}>
          {(p) => (
            <select {...p} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} data-testid="key-new-role">
              <RoleOptions />
            </select>
          )}
        </Field>
        <button type="submit" className="btn btn-primary" data-testid="key-create">
          {t('keys.create')}
        </button>
      </form>
      <FormError errors={errors} shown={['name', 'role']} />
    </section>
  );
}

function DeviceCredentials() {
  const { api, devices } = useServices();
  const { t } = useTranslation('admin');
  const [creds, setCreds] = useState<{ device: string; createdAt: number; createdBy: string }[]>([]);
  const [shown, setShown] = useState<{ device: string; token: string } | null>(null);
  const [device, setDevice] = useState('');
  const { errors, fail, clear, validate } = useFormErrors();
  const load = useCallback(() => api.listDeviceCredentials().then(setCreds, fail), [api, fail]);
  useEffect(() => void load(), [load]);
  return (
    <section className="panel" data-testid="admin-device-credentials">
      <div className="panel-head">
        <h2>{t('creds.title')}</h2>
      </div>
      {shown && <ShownOnce label={t('creds.tokenFor', { device: shown.device })} value={shown.token} onDone={() => setShown(null)} />}
      <TaskTable
        list={creds}
        head={[t('creds.device'), t('creds.issued')]}
        actions={t('actions')}
        row={(c) => (
          <tr key={c.device} data-testid={`cred-row-${c.device}`}>
            <td>{c.device}</td>
            <td>{t('by', { time: when(c.createdAt), who: c.createdBy })}</td>
            <td>
              <button
                type="button"
                className="btn btn-small"
                onClick={() => {
                  clear();
                  api.revokeDeviceCredential(c.device).then(load, fail);
                }}
                data-testid={`cred-revoke-${c.device}`}
              >
                {t('revoke')}
                <span className="sr-only"> {c.device}</span>
              </button>
            </td>
          </tr>
        )}
      />
      <form
        className="admin-form"
        noValidate
        data-testid="cred-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!validate(e.currentTarget)) return;
          clear();
          api.issueDeviceCredential(device.trim()).then((r) => {
            setShown({ device: r.device, token: r.token });
            setDevice('');
            return load();
          }, fail);
        }}
      >
        <Field label={t('creds.newDevice')} name="id" errors={errors}>
          {(p) => (
            <input
              {...p}
              list="admin-device-ids"
              value={device}
              onChange={(e) => setDevice(e.target.value)}
              required
              maxLength={128}
              data-testid="cred-new-device"
            />
          )}
        </Field>
        <datalist id="admin-device-ids">
          {devices.list().map((d) => (
            <option key={d.id} value={d.id} />
          ))}
        </datalist>
        <button type="submit" className="btn btn-primary" data-testid="cred-issue">
          {t('creds.issue')}
        </button>
      </form>
      <FormError errors={errors} shown={['id']} />
    </section>
  );
}

/** Users, API keys and device credentials (role admin). */
export function AdminPage() {
  const id = useIdentity();
  const { t } = useTranslation('admin');
  if (id.status !== 'ready' || !roleAtLeast(id.identity.role, 'admin')) {
    return (
      <main className="page">
        <p className="empty">{t('notAdmin')}</p>
      </main>
    );
  }
  return (
    <main className="page admin-page">
      <h1 className="page-title">{t('title')}</h1>
      <Users />
      <ApiKeys />
      <DeviceCredentials />
    </main>
  );
}
