import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, deviceToken, login, startLockedApp } from '../helpers/auth.js';
import { startTestApp, tempDir } from '../helpers/app.js';
import WebSocket from 'ws';

// The revocation sweep (HTTP): every way a credential or a sign-in ends makes the access token, key
// or device token in hand fail on the very next request, not when it expires. The MQTT side (open
// connections closed) is in security-mqtt-sessions.test.ts.

const json = { 'content-type': 'application/json' };

test('revocation sweep: sign-out, own password change, admin reset, refresh reuse, disable, demotion and deletion end the access token at once; API keys and device tokens too', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ loginSlowAfter: 100, loginLockAfter: 100 });
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const post = (path: string, body: object, token?: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { ...json, ...(token ? bearer(token) : {}) }, body: JSON.stringify(body) });
    const status = async (token: string, path = '/api/v1/devices') => {
      const res = await fetch(`${url}${path}`, { headers: bearer(token) });
      const body = (await res.json()) as { rule?: string };
      return { status: res.status, rule: body.rule };
    };
    const users = new Map<string, string>();
    const addUser = async (username: string, role = 'operator') => {
      const password = `pw-${username}-0123456789`;
      const res = await post('/api/v1/users', { username, password, role }, admin);
      assert.equal(res.status, 201);
      users.set(username, ((await res.json()) as { id: string }).id);
      return password;
    };
    const patch = async (username: string, body: object) => {
      const res = await fetch(`${url}/api/v1/users/${users.get(username)}`, {
        method: 'PATCH',
        headers: { ...json, ...bearer(admin) },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, await res.text());
    };

    const cases: { what: string; run: () => Promise<{ ended: string; kept?: string }>; rule: string }[] = [
      {
        what: 'sign-out (POST /auth/logout)',
        rule: 'session_revoked',
        run: async () => {
          const pw = await addUser('out-1');
          const a = await login(url, 'out-1', pw);
          const b = await login(url, 'out-1', pw);
          assert.equal((await post('/api/v1/auth/logout', { refreshToken: a.refreshToken })).status, 204);
          // Only that sign-in ends; the same user's other one goes on.
          return { ended: a.accessToken, kept: b.accessToken };
        },
      },
      {
        what: 'own password change',
        rule: 'session_revoked',
        run: async () => {
          const pw = await addUser('own-1');
          const a = await login(url, 'own-1', pw);
          const b = await login(url, 'own-1', pw);
          assert.equal((await post('/api/v1/auth/password', { currentPassword: pw, newPassword: 'another-password-1' }, a.accessToken)).status, 204);
          // Every sign-in of the user ends, this one included (sign in again with the new password).
          assert.equal((await status(a.accessToken)).status, 401);
          await login(url, 'own-1', 'another-password-1');
          return { ended: b.accessToken };
        },
      },
      {
        what: 'admin password reset',
        rule: 'session_revoked',
        run: async () => {
          const pw = await addUser('reset-1');
          const a = await login(url, 'reset-1', pw);
          await patch('reset-1', { password: 'reset-by-admin-1' });
          return { ended: a.accessToken };
        },
      },
      {
        what: 'refresh token reused (theft detected)',
        rule: 'session_revoked',
        run: async () => {
          const pw = await addUser('reuse-1');
          const a = await login(url, 'reuse-1', pw);
          const r1 = await post('/api/v1/auth/refresh', { refreshToken: a.refreshToken });
          assert.equal(r1.status, 200);
          const rotated = (await r1.json()) as { accessToken: string };
          assert.equal((await post('/api/v1/auth/refresh', { refreshToken: a.refreshToken })).status, 401);
          // The thief's and the owner's access tokens of that sign-in both end.
          assert.equal((await status(a.accessToken)).status, 401);
          return { ended: rotated.accessToken };
        },
      },
      {
        what: 'user disabled',
        rule: 'unauthorized',
        run: async () => {
          const pw = await addUser('dis-1');
          const a = await login(url, 'dis-1', pw);
          await patch('dis-1', { disabled: true });
          return { ended: a.accessToken };
        },
      },
      {
        what: 'user demoted (operator to viewer): the session ends',
        rule: 'session_revoked',
        run: async () => {
          const pw = await addUser('dem-1');
          const a = await login(url, 'dem-1', pw);
          await patch('dem-1', { role: 'viewer' });
          return { ended: a.accessToken };
        },
      },
      {
        what: 'user deleted',
        rule: 'unauthorized',
        run: async () => {
          const pw = await addUser('del-1');
          const a = await login(url, 'del-1', pw);
          assert.equal((await fetch(`${url}/api/v1/users/${users.get('del-1')}`, { method: 'DELETE', headers: bearer(admin) })).status, 204);
          return { ended: a.accessToken };
        },
      },
      {
        what: 'API key revoked',
        rule: 'unauthorized',
        run: async () => {
          const made = (await (await post('/api/v1/api-keys', { name: 'sweep', role: 'operator' }, admin)).json()) as { key: string; apiKey: { id: string } };
          assert.equal((await status(made.key)).status, 200);
          assert.equal((await fetch(`${url}/api/v1/api-keys/${made.apiKey.id}`, { method: 'DELETE', headers: bearer(admin) })).status, 200);
          return { ended: made.key };
        },
      },
      {
        what: 'device token reissued',
        rule: 'unauthorized',
        run: async () => {
          const old = await deviceToken(url, admin, 'sweep-dev');
          const send = (t: string) =>
            fetch(`${url}/api/v1/devices/sweep-dev/telemetry`, {
              method: 'POST',
              headers: { ...json, ...bearer(t) },
              body: JSON.stringify({ ts: Date.now(), v: 1 }),
            });
          assert.equal((await send(old)).status < 300, true);
          const fresh = await deviceToken(url, admin, 'sweep-dev');
          assert.equal((await send(old)).status, 401);
          assert.equal((await send(fresh)).status < 300, true);
          assert.equal((await fetch(`${url}/api/v1/devices/sweep-dev/credentials`, { method: 'DELETE', headers: bearer(admin) })).status, 204);
          return { ended: fresh };
        },
      },
    ];

    const problems: string[] = [];
    for (const c of cases) {
      const { ended, kept } = await c.run();
      if (c.what === 'device token reissued') {
        const res = await fetch(`${url}/api/v1/devices/sweep-dev/telemetry`, { method: 'POST', headers: { ...json, ...bearer(ended) }, body: '{"v":1}' });
        if (res.status !== 401) problems.push(`${c.what}: the deleted token still sends (${res.status})`);
        continue;
      }
      const s = await status(ended);
      if (s.status !== 401) problems.push(`${c.what}: the old token still works (${s.status})`);
      else if (s.rule !== c.rule) problems.push(`${c.what}: refused with rule ${s.rule}, expected ${c.rule}`);
      if (kept && (await status(kept)).status !== 200) problems.push(`${c.what}: another sign-in was ended too`);
    }
    assert.deepEqual(problems, []);
    // The admin's own session went through all of it untouched.
    assert.equal((await status(admin)).status, 200);
    const metrics = await (await fetch(`${url}/metrics`, { headers: bearer(admin) })).text();
    assert.match(metrics, /fieldscope_auth_denied_total\{transport="http",reason="session_revoked"\} [1-9]/);
  } finally {
    await remove();
  }
});

test('a revoked sign-in stays revoked across a restart (the check reads the store, not only memory)', async () => {
  const data = tempDir('fieldscope-sec-');
  const locked = { dataDir: data.dir, anonymousRole: 'none', insecureLocal: false } as const;
  try {
    const app = await startTestApp(locked);
    const password = app.initialAdminPassword!;
    const a = await login(app.httpUrl, 'admin', password);
    const b = await login(app.httpUrl, 'admin', password);
    assert.equal(
      (await fetch(`${app.httpUrl}/api/v1/auth/logout`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: a.refreshToken }) })).status,
      204,
    );
    await app.stop();
    const again = await startTestApp(locked);
    try {
      assert.equal((await fetch(`${again.httpUrl}/api/v1/devices`, { headers: bearer(a.accessToken) })).status, 401);
      assert.equal((await fetch(`${again.httpUrl}/api/v1/devices`, { headers: bearer(b.accessToken) })).status, 200);
    } finally {
      await again.stop();
    }
  } finally {
    data.remove();
  }
});

test('an open live WebSocket ends when its sign-in is revoked (signed out), or its API key', async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  try {
    const url = app.httpUrl;
    const session = await login(url, 'admin', adminPassword);
    const open = async (token: string) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live?access_token=${token}`);
      await new Promise<void>((r, j) => (ws.once('message', () => r()), ws.once('error', j)));
      return ws;
    };
    const closed = (ws: WebSocket, what: string) =>
      new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${what}: the live feed is still open`)), 5000);
        ws.once('close', (code) => (clearTimeout(t), resolve(code)));
      });
    const other = await login(url, 'admin', adminPassword);
    const a = await open(session.accessToken);
    const b = await open(other.accessToken);
    const aClosed = closed(a, 'signed out');
    assert.equal(
      (await fetch(`${url}/api/v1/auth/logout`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: session.refreshToken }) })).status,
      204,
    );
    assert.equal(await aClosed, 4001);
    assert.equal(b.readyState, WebSocket.OPEN, 'the other sign-in keeps its feed');

    const made = (await (
      await fetch(`${url}/api/v1/api-keys`, {
        method: 'POST',
        headers: { ...json, ...bearer(other.accessToken) },
        body: JSON.stringify({ name: 'wall', role: 'viewer' }),
      })
    ).json()) as { key: string; apiKey: { id: string } };
    const k = await open(made.key);
    const kClosed = closed(k, 'API key revoked');
    assert.equal((await fetch(`${url}/api/v1/api-keys/${made.apiKey.id}`, { method: 'DELETE', headers: bearer(other.accessToken) })).status, 200);
    assert.equal(await kClosed, 4001);
    b.terminate();
  } finally {
    await remove();
  }
});
