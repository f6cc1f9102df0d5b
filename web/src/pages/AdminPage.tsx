import { useCallback, useEffect, useState } from 'react';
import type { PublicApiKey, PublicUser, Role } from '../../../src/model/auth.js';
import { ApiError } from '../api.js';
import { explainFailure } from '../auth/messages.js';
import { roleAtLeast } from '../auth/identity.js';
import { useIdentity } from '../hooks/useIdentity.js';
import { useServices } from '../services.js';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

function useFailure(): [string | null, (err: unknown) => void, () => void] {
  const id = useIdentity();
  const role = id.status === 'ready' ? id.identity.role : null;
  const [error, setError] = useState<string | null>(null);
  const fail = useCallback(
    (err: unknown) =>
      setError(
        err instanceof ApiError
          ? explainFailure({ status: err.status, rule: err.rule, message: err.message, retryAfterSec: err.retryAfterSec }, role)
          : err instanceof Error
            ? err.message
            : String(err),
      ),
    [role],
  );
  return [error, fail, () => setError(null)];
}

function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <div className="hint hint-error" role="alert">
      {error}
    </div>
  ) : null;
}

/** A secret shown once, with a copy button: the server keeps only its hash. */
function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone(): void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret-once" data-testid="secret-once">
      <div>{label} — shown once; copy it now.</div>
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
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="btn btn-small" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function Users() {
  const { api } = useServices();
  const [users, setUsers] = useState<PublicUser[]>([]);
  const [error, fail, clear] = useFailure();
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
        <h2>Users</h2>
      </div>
      <table className="admin-table">
        <thead>
          <tr>
            <th>name</th>
            <th>role</th>
            <th>state</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid={`user-row-${u.username}`}>
              <td>{u.username}</td>
              <td>
                <select value={u.role} onChange={(e) => act(api.updateUser(u.id, { role: e.target.value as Role }))} aria-label={`role of ${u.username}`}>
                  {ROLES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </td>
              <td>{u.disabled ? 'disabled' : 'active'}</td>
              <td>
                <button type="button" className="btn btn-small" onClick={() => act(api.updateUser(u.id, { disabled: !u.disabled }))}>
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          act(api.createUser(form).then(() => setForm({ username: '', password: '', role: 'viewer' })));
        }}
      >
        <input
          placeholder="user name"
          value={form.username}
          onChange={(e) => setForm({ ...form, username: e.target.value })}
          required
          maxLength={64}
          pattern="[A-Za-z0-9_.@\-]+"
          aria-label="new user name"
        />
        <input
          placeholder="password (10+ characters)"
          type="password"
          autoComplete="new-password"
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.target.value })}
          required
          minLength={10}
          aria-label="new user password"
        />
        <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} aria-label="new user role">
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <button type="submit" className="btn btn-primary">
          Add user
        </button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

function ApiKeys() {
  const { api } = useServices();
  const [keys, setKeys] = useState<PublicApiKey[]>([]);
  const [shown, setShown] = useState<string | null>(null);
  const [error, fail, clear] = useFailure();
  const [form, setForm] = useState({ name: '', role: 'viewer' as Role });
  const load = useCallback(() => api.listApiKeys().then(setKeys, fail), [api, fail]);
  useEffect(() => void load(), [load]);
  return (
    <section className="panel" data-testid="admin-api-keys">
      <div className="panel-head">
        <h2>API keys</h2>
      </div>
      {shown && <ShownOnce label="New API key" value={shown} onDone={() => setShown(null)} />}
      <table className="admin-table">
        <thead>
          <tr>
            <th>name</th>
            <th>role</th>
            <th>created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>{k.role}</td>
              <td>
                {new Date(k.createdAt).toLocaleString()}
                {k.createdBy ? ` by ${k.createdBy}` : ''}
              </td>
              <td>
                {k.revokedAt ? (
                  'revoked'
                ) : (
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => {
                      clear();
                      api.revokeApiKey(k.id).then(load, fail);
                    }}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          clear();
          api.createApiKey(form.name.trim(), form.role).then((r) => {
            setShown(r.key);
            setForm({ name: '', role: 'viewer' });
            return load();
          }, fail);
        }}
      >
        <input
          placeholder="key name (what uses it)"
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
          required
          maxLength={100}
          aria-label="new API key name"
        />
        <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} aria-label="new API key role">
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <button type="submit" className="btn btn-primary">
          Create key
        </button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

function DeviceCredentials() {
  const { api, devices } = useServices();
  const [creds, setCreds] = useState<{ device: string; createdAt: number; createdBy: string }[]>([]);
  const [shown, setShown] = useState<{ device: string; token: string } | null>(null);
  const [device, setDevice] = useState('');
  const [error, fail, clear] = useFailure();
  const load = useCallback(() => api.listDeviceCredentials().then(setCreds, fail), [api, fail]);
  useEffect(() => void load(), [load]);
  return (
    <section className="panel" data-testid="admin-device-credentials">
      <div className="panel-head">
        <h2>Device credentials</h2>
      </div>
      {shown && (
        <ShownOnce
          label={`Token for ${shown.device} (MQTT user name ${shown.device}, password this token)`}
          value={shown.token}
          onDone={() => setShown(null)}
        />
      )}
      <table className="admin-table">
        <thead>
          <tr>
            <th>device</th>
            <th>issued</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {creds.map((c) => (
            <tr key={c.device}>
              <td>{c.device}</td>
              <td>
                {new Date(c.createdAt).toLocaleString()} by {c.createdBy}
              </td>
              <td>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => {
                    clear();
                    api.revokeDeviceCredential(c.device).then(load, fail);
                  }}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="admin-form"
        onSubmit={(e) => {
          e.preventDefault();
          clear();
          api.issueDeviceCredential(device.trim()).then((r) => {
            setShown({ device: r.device, token: r.token });
            setDevice('');
            return load();
          }, fail);
        }}
      >
        <input
          placeholder="device id"
          list="admin-device-ids"
          value={device}
          onChange={(e) => setDevice(e.target.value)}
          required
          maxLength={128}
          aria-label="device id"
        />
        <datalist id="admin-device-ids">
          {devices.list().map((d) => (
            <option key={d.id} value={d.id} />
          ))}
        </datalist>
        <button type="submit" className="btn btn-primary">
          Issue token
        </button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

/** Users, API keys and device credentials (role admin). */
export function AdminPage() {
  const id = useIdentity();
  if (id.status !== 'ready' || !roleAtLeast(id.identity.role, 'admin')) {
    return (
      <main className="page">
        <p className="empty">Your role cannot manage users, keys or device credentials; sign in as an admin.</p>
      </main>
    );
  }
  return (
    <main className="page admin-page">
      <h1 className="page-title">Admin</h1>
      <Users />
      <ApiKeys />
      <DeviceCredentials />
    </main>
  );
}
