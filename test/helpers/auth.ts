import type { RunningApp } from '../../src/app.js';
import type { Role } from '../../src/model/auth.js';
import { startTestApp, tempDir } from './app.js';
import type { Config } from '../../src/config.js';

/** An app that lets nobody in without credentials (the security suites' starting point). */
export async function startLockedApp(overrides: Partial<Config> = {}): Promise<{ app: RunningApp; adminPassword: string; remove(): Promise<void> }> {
  const data = tempDir('fieldscope-sec-');
  const app = await startTestApp({ dataDir: data.dir, anonymousRole: 'none', insecureLocal: false, ...overrides });
  if (!app.initialAdminPassword) throw new Error('a fresh data directory must create the admin');
  return {
    app,
    adminPassword: app.initialAdminPassword,
    remove: async () => {
      await app.stop();
      data.remove();
    },
  };
}

export async function login(url: string, username: string, password: string): Promise<{ accessToken: string; refreshToken: string; expiresAt: number }> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { accessToken: string; refreshToken: string; expiresAt: number };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Adds a user through the API (as admin) and signs them in. */
export async function userToken(url: string, adminToken: string, username: string, role: Role): Promise<string> {
  const password = `pw-${username}-0123456789`;
  const res = await fetch(`${url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(adminToken) },
    body: JSON.stringify({ username, password, role }),
  });
  if (res.status !== 201) throw new Error(`create ${username}: ${res.status} ${await res.text()}`);
  return (await login(url, username, password)).accessToken;
}

export async function deviceToken(url: string, adminToken: string, device: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/devices/${device}/credentials`, { method: 'POST', headers: bearer(adminToken) });
  if (res.status !== 201) throw new Error(`credential ${device}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
