import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, deviceToken, login, startLockedApp, userToken } from '../helpers/auth.js';

type Op = { 'x-fieldscope-role'?: string; 'x-fieldscope-device-scope'?: string; requestBody?: unknown };
type Doc = { paths: Record<string, Record<string, Op>> };

const DEVICE = 'sec-dev-1';
const OTHER = 'sec-dev-2';

/** A URL for the operation: every path parameter filled with a harmless value (the device's id where a device is meant). */
function fill(path: string, device: string): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
    name === 'id' && path.startsWith('/api/v1/devices/') ? device : name === 'id' ? 'no-such-id-1' : 'x1',
  );
}

async function apiKeyOf(url: string, admin: string, role: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/api-keys`, {
    method: 'POST',
    headers: { ...bearer(admin), 'content-type': 'application/json' },
    body: JSON.stringify({ name: `sweep-${role}`, role }),
  });
  if (res.status !== 201) throw new Error(`API key ${role}: ${res.status}`);
  return ((await res.json()) as { key: string }).key;
}

test('every route in the OpenAPI document, for every identity (user, API key, device token): no token 401, the wrong role 403, the right one let in', async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const tokens: Record<string, string> = {
      admin,
      operator: await userToken(url, admin, 'olga', 'operator'),
      viewer: await userToken(url, admin, 'victor', 'viewer'),
      device: await deviceToken(url, admin, DEVICE),
      otherDevice: await deviceToken(url, admin, OTHER),
    };
    // The same roles held by API keys: a key is checked against a route exactly as a user of its role.
    for (const role of ['admin', 'operator', 'viewer']) tokens[`${role}Key`] = await apiKeyOf(url, admin, role);
    // The role just below each: what must be refused.
    const below: Record<string, string> = { admin: 'operator', operator: 'viewer', viewer: 'device' };

    const docRes = await fetch(`${url}/docs/json`);
    assert.equal(docRes.status, 200, '/docs/json is public');
    const doc = (await docRes.json()) as Doc;
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    assert.ok(ops.length > 30, `the document lists the API (${ops.length} operations)`);

    const call = async (method: string, path: string, token: string | null, hasBody: boolean) => {
      const headers: Record<string, string> = token ? bearer(token) : {};
      if (hasBody) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, body: hasBody ? '{}' : undefined, redirect: 'manual' });
      await res.arrayBuffer();
      return res.status;
    };

    const problems: string[] = [];
    const seen = new Set<string>();
    for (const { path, method, op } of ops) {
      const role = op['x-fieldscope-role'];
      if (!role) {
        problems.push(`${method} ${path}: no x-fieldscope-role`);
        continue;
      }
      seen.add(role);
      const hasBody = !!op.requestBody || ['POST', 'PUT', 'PATCH'].includes(method);
      // Issuing or revoking credentials as "the right role" must not touch the devices whose tokens this test uses.
      const own = fill(path, path.endsWith('/credentials') ? 'sec-dev-3' : DEVICE);
      const expect = async (token: string | null, ok: (s: number) => boolean, what: string, target = own) => {
        const status = await call(method, target, token, hasBody);
        if (!ok(status)) problems.push(`${method} ${path} ${what}: got ${status}`);
      };
      const allowed = (s: number) => s !== 401 && s !== 403 && s < 500;
      if (role === 'public') {
        await expect(null, allowed, 'without a token (public)');
        continue;
      }
      await expect(null, (s) => s === 401, 'without a token');
      await expect('not-a-token', (s) => s === 401, 'with a garbage token');
      if (role === 'device') {
        const any = op['x-fieldscope-device-scope'] === 'any';
        if (any) {
          await expect(tokens.viewer, allowed, 'as viewer (any device or a viewer)');
          await expect(tokens.otherDevice, allowed, "with another device's token (any device)");
        } else {
          await expect(tokens.viewer, (s) => s === 403, 'as viewer (needs the device or an operator)');
          await expect(tokens.viewerKey, (s) => s === 403, 'with a viewer API key (needs the device or an operator)');
          await expect(tokens.otherDevice, (s) => s === 403, "with another device's token");
          await expect(tokens.operator, allowed, 'as operator');
          await expect(tokens.operatorKey, allowed, 'with an operator API key');
        }
        await expect(tokens.device, allowed, "with the device's own token");
        continue;
      }
      await expect(tokens[below[role]], (s) => s === 403, `as ${below[role]} (needs ${role})`);
      if (role !== 'viewer') await expect(tokens[`${below[role]}Key`], (s) => s === 403, `with a ${below[role]} API key (needs ${role})`);
      if (role !== 'viewer') await expect(tokens.device, (s) => s === 403, `with a device token (needs ${role})`);
      await expect(tokens[role], allowed, `as ${role}`);
      await expect(tokens[`${role}Key`], allowed, `with a ${role} API key`);
      if (role !== 'admin') await expect(tokens.admin, allowed, 'as admin (admin may do everything)');
    }
    assert.deepEqual(problems, []);
    for (const r of ['public', 'viewer', 'operator', 'admin', 'device']) assert.ok(seen.has(r), `some route needs ${r}`);
    // The guard counted what it refused.
    const metrics = await (await fetch(`${url}/metrics`, { headers: bearer(admin) })).text();
    assert.match(metrics, /fieldscope_auth_denied_total\{transport="http",reason="no_credentials"\} [1-9]/);
    assert.match(metrics, /fieldscope_auth_denied_total\{transport="http",reason="forbidden"\} [1-9]/);
  } finally {
    await remove();
  }
});

test('secrets are shown once and never come back: user, API key and device token listings hold no hash or token', async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const made = await fetch(`${url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'scraper', role: 'viewer' }),
    });
    assert.equal(made.status, 201);
    const { key, apiKey } = (await made.json()) as { key: string; apiKey: { id: string } };
    assert.match(key, /^fsk_/);
    const dev = await deviceToken(url, admin, DEVICE);
    for (const path of ['/api/v1/users', '/api/v1/api-keys', '/api/v1/device-credentials']) {
      const text = await (await fetch(`${url}${path}`, { headers: bearer(admin) })).text();
      assert.ok(!/hash|scrypt\$|fsk_|fsd_/i.test(text), `${path} shows no secret: ${text}`);
      assert.ok(!text.includes(adminPassword) && !text.includes(key.split('.')[1]) && !text.includes(dev));
    }
    // The key works with its role, and stops working once revoked.
    assert.equal((await fetch(`${url}/api/v1/devices`, { headers: bearer(key) })).status, 200);
    assert.equal(
      (await fetch(`${url}/api/v1/rules`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: '{}' })).status,
      403,
    );
    assert.equal((await fetch(`${url}/api/v1/api-keys/${apiKey.id}`, { method: 'DELETE', headers: bearer(admin) })).status, 200);
    assert.equal((await fetch(`${url}/api/v1/devices`, { headers: bearer(key) })).status, 401);
    // A demoted user loses the role at once.
    const users = (await (await fetch(`${url}/api/v1/users`, { headers: bearer(admin) })).json()) as { users: { id: string; username: string }[] };
    const op = await userToken(url, admin, 'otto', 'operator');
    const otto = ((await (await fetch(`${url}/api/v1/users`, { headers: bearer(admin) })).json()) as { users: { id: string; username: string }[] }).users.find(
      (u) => u.username === 'otto',
    )!;
    assert.ok(users.users.length >= 1);
    assert.equal(
      (
        await fetch(`${url}/api/v1/users/${otto.id}`, {
          method: 'PATCH',
          headers: { ...bearer(admin), 'content-type': 'application/json' },
          body: JSON.stringify({ role: 'viewer' }),
        })
      ).status,
      200,
    );
    // The demotion ends the sign-in (whatever the token in hand says); signed in again, otto is a viewer.
    assert.equal(
      (await fetch(`${url}/api/v1/rules`, { method: 'POST', headers: { ...bearer(op), 'content-type': 'application/json' }, body: '{}' })).status,
      401,
    );
    const again = (await login(url, 'otto', 'pw-otto-0123456789')).accessToken;
    assert.equal(
      (await fetch(`${url}/api/v1/rules`, { method: 'POST', headers: { ...bearer(again), 'content-type': 'application/json' }, body: '{}' })).status,
      403,
    );
    // The last admin cannot be removed or demoted.
    const adminId = users.users.find((u) => u.username === 'admin')!.id;
    const demote = await fetch(`${url}/api/v1/users/${adminId}`, {
      method: 'PATCH',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'viewer' }),
    });
    assert.equal(demote.status, 409);
    assert.equal(((await demote.json()) as { rule: string }).rule, 'last_admin');
  } finally {
    await remove();
  }
});

test('firmware and rollouts belong to operators, as the README says: an operator uploads, rolls out and cancels; a viewer may not; users and credentials stay with admins', async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  try {
    const url = app.httpUrl;
    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    const operator = await userToken(url, admin, 'fw-op', 'operator');
    const viewer = await userToken(url, admin, 'fw-view', 'viewer');
    const doc = (await (await fetch(`${url}/docs/json`)).json()) as Doc;
    const roleOf = (method: string, path: string) => doc.paths[path]?.[method]?.['x-fieldscope-role'];
    assert.equal(roleOf('post', '/api/v1/firmware'), 'operator');
    assert.equal(roleOf('delete', '/api/v1/firmware/{id}'), 'operator');
    assert.equal(roleOf('post', '/api/v1/firmware/{id}/rollouts'), 'operator');
    assert.equal(roleOf('post', '/api/v1/rollouts/{id}/cancel'), 'operator');
    for (const p of ['/api/v1/users', '/api/v1/api-keys', '/api/v1/devices/{id}/credentials']) assert.equal(roleOf('post', p), 'admin', p);

    const image = Buffer.alloc(4096, 7);
    const upload = (token: string) =>
      fetch(`${url}/api/v1/firmware?version=9.9.${token === viewer ? 1 : 0}`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/octet-stream' },
        body: image,
      });
    assert.equal((await upload(viewer)).status, 403);
    const up = await upload(operator);
    assert.equal(up.status, 201, await up.clone().text());
    const fw = (await up.json()) as { id: string };
    // A device with a profile to roll out to.
    const dev = await deviceToken(url, admin, DEVICE);
    const sent = await fetch(`${url}/api/v1/devices/${DEVICE}/telemetry`, {
      method: 'POST',
      headers: { ...bearer(dev), 'content-type': 'application/json' },
      body: JSON.stringify({ ts: Date.now(), v: 1 }),
    });
    assert.ok(sent.status < 300);
    const rollout = await fetch(`${url}/api/v1/firmware/${fw.id}/rollouts`, {
      method: 'POST',
      headers: { ...bearer(operator), 'content-type': 'application/json' },
      body: JSON.stringify({ device: DEVICE }),
    });
    assert.equal(rollout.status, 201, await rollout.clone().text());
    const r = (await rollout.json()) as { rollout: { id: string } };
    assert.equal((await fetch(`${url}/api/v1/rollouts/${r.rollout.id}/cancel`, { method: 'POST', headers: bearer(viewer) })).status, 403);
    const cancel = await fetch(`${url}/api/v1/rollouts/${r.rollout.id}/cancel`, { method: 'POST', headers: bearer(operator) });
    assert.ok(cancel.status === 200 || cancel.status === 409, `cancel as operator: ${cancel.status}`);
  } finally {
    await remove();
  }
});
