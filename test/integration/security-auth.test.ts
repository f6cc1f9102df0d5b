import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import { bearer, login, startLockedApp } from '../helpers/auth.js';
import { startTestApp, tempDir, until } from '../helpers/app.js';
import { defaults } from '../../src/config.js';
import { startApp } from '../../src/app.js';
import { silentLogger } from '../../src/logger.js';
import { TokenService } from '../../src/auth/tokens.js';
import { isLoopback } from '../../src/auth/policy.js';

const json = { 'content-type': 'application/json' };

test('first start: a random admin password, printed once and kept in a file only the owner can read; no default password', async () => {
  const data = tempDir('fieldscope-sec-');
  try {
    const locked = { dataDir: data.dir, anonymousRole: 'none', insecureLocal: false, loginSlowAfter: 10 } as const;
    const app = await startTestApp(locked);
    const pw = app.initialAdminPassword;
    assert.ok(pw && pw.length >= 20);
    const file = join(data.dir, 'auth', 'initial-admin-password');
    assert.equal(readFileSync(file, 'utf8').trim(), pw);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(data.dir, 'auth', 'jwt.key')).mode & 0o777, 0o600);
    for (const guess of ['admin', 'password', 'changeme']) {
      const res = await fetch(`${app.httpUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'admin', password: guess }),
      });
      assert.equal(res.status, 401, `no default password "${guess}"`);
    }
    await app.stop();
    // The second start creates nobody and prints nothing.
    const again = await startTestApp(locked);
    assert.equal(again.initialAdminPassword, null);
    await login(again.httpUrl, 'admin', pw);
    await again.stop();
  } finally {
    data.remove();
  }
});

test('first start with a supplied admin password (a secrets file): no password printed or written; a short one stops the start', async () => {
  const data = tempDir('fieldscope-sec-');
  try {
    const secret = join(data.dir, 'admin-secret');
    const password = randomBytes(18).toString('base64url');
    writeFileSync(secret, password + '\n', { mode: 0o600 });
    const locked = { dataDir: join(data.dir, 'data'), anonymousRole: 'none', insecureLocal: false, adminPasswordFile: secret } as const;
    const app = await startTestApp(locked);
    try {
      assert.equal(app.initialAdminPassword, null, 'nothing to print');
      assert.equal(existsSync(join(locked.dataDir, 'auth', 'initial-admin-password')), false, 'nothing written');
      await login(app.httpUrl, 'admin', password);
    } finally {
      await app.stop();
    }

    writeFileSync(secret, 'short\n');
    await assert.rejects(startTestApp({ ...locked, dataDir: join(data.dir, 'other') }), /password must be at least \d+ characters/);
  } finally {
    data.remove();
  }
});

test('a replayed expired JWT, a tampered one and an unsigned one are refused; refresh tokens rotate and a reused one revokes the sign-in', async () => {
  const { app, adminPassword, remove } = await startLockedApp();
  try {
    const url = app.httpUrl;
    const session = await login(url, 'admin', adminPassword);
    assert.equal((await fetch(`${url}/api/v1/auth/me`, { headers: bearer(session.accessToken) })).status, 200);

    // A token signed with the real key an hour ago, expired after 15 minutes.
    const key = Buffer.from(readFileSync(join(app.config.dataDir, 'auth', 'jwt.key'), 'utf8').trim(), 'base64url');
    const adminId = app.auth.users.byName('admin')!.id;
    const old = new TokenService(key, app.store.auth, { now: () => Date.now() - 3600_000 }).issueAccess(adminId, 'admin', 'an-old-sign-in').token;
    const expired = await fetch(`${url}/api/v1/devices`, { headers: bearer(old) });
    assert.equal(expired.status, 401);
    assert.equal(((await expired.json()) as { rule: string }).rule, 'token_expired');
    assert.match(expired.headers.get('www-authenticate') ?? '', /invalid_token/);

    // Same signature, a longer life written into the claims: the signature no longer matches.
    const [h, p, s] = old.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { exp: number };
    const stretched = `${h}.${Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 7200 })).toString('base64url')}.${s}`;
    assert.equal((await fetch(`${url}/api/v1/devices`, { headers: bearer(stretched) })).status, 401);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 7200 })).toString('base64url')}.`;
    assert.equal((await fetch(`${url}/api/v1/devices`, { headers: bearer(none) })).status, 401);

    // Refresh: a new pair; the old refresh token is spent.
    const r1 = await fetch(`${url}/api/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: session.refreshToken }) });
    assert.equal(r1.status, 200);
    const next = (await r1.json()) as { accessToken: string; refreshToken: string };
    assert.notEqual(next.refreshToken, session.refreshToken);
    // Replaying the spent one is theft: refused, and the whole sign-in (the new token too) is revoked.
    const replay = await fetch(`${url}/api/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: session.refreshToken }) });
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { rule: string }).rule, 'refresh_reused');
    const after = await fetch(`${url}/api/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: next.refreshToken }) });
    assert.equal(after.status, 401);
  } finally {
    await remove();
  }
});

test('brute-force sign-in is slowed, then locked (even the right password), with Retry-After and counters', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ loginSlowAfter: 3, loginSlowMs: 2000, loginLockAfter: 4, loginLockMs: 3600_000 });
  try {
    const url = app.httpUrl;
    const attempt = (password: string, username = 'admin') =>
      fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });
    for (let i = 0; i < 3; i++) assert.equal((await attempt(`guess-${i}`)).status, 401);
    const slowed = await attempt('guess-3');
    assert.equal(slowed.status, 429);
    assert.equal(((await slowed.json()) as { rule: string }).rule, 'login_slowed');
    assert.ok(Number(slowed.headers.get('retry-after')) >= 1);
    // Once the wait is over the next guess is checked (and fails), which locks the account and the address.
    const fourth = await until(
      async () => {
        const r = await attempt('guess-4');
        return r.status === 429 ? false : r;
      },
      { what: 'the slow-down to pass', timeoutMs: 15_000 },
    );
    assert.equal(fourth.status, 401);
    const locked = await attempt(adminPassword);
    assert.equal(locked.status, 429, 'locked: even the right password is not checked');
    assert.equal(((await locked.json()) as { rule: string }).rule, 'login_locked');
    assert.ok(Number(locked.headers.get('retry-after')) > 3000);
    // The address is locked too: another user name from it gets nowhere.
    assert.equal((await attempt('whatever', 'someone-else')).status, 429);
    // MQTT with the user's password is throttled the same way.
    await assert.rejects(mqtt.connectAsync(app.mqttUrl, { username: 'admin', password: adminPassword, reconnectPeriod: 0 }));
    const metrics = await app.metrics.registry.getSingleMetricAsString('fieldscope_auth_logins_total');
    assert.match(metrics, /result="bad_credentials"} 4/);
    assert.match(metrics, /result="slowed"} [1-9]/);
    assert.match(metrics, /result="locked"} [1-9]/);
  } finally {
    await remove();
  }
});

test('anonymous access: insecure-local lets anonymous callers read only, and anything but loopback refuses to start', async () => {
  const data = tempDir('fieldscope-sec-');
  try {
    const app = await startTestApp({ dataDir: data.dir, anonymousRole: 'none', insecureLocal: true });
    assert.equal((await fetch(`${app.httpUrl}/api/v1/devices`)).status, 200, 'anonymous may read');
    assert.equal((await fetch(`${app.httpUrl}/api/v1/rules`, { method: 'POST', headers: json, body: '{}' })).status, 401, 'anonymous may not change anything');
    assert.equal((await fetch(`${app.httpUrl}/api/v1/users`)).status, 401);
    const c = await mqtt.connectAsync(app.mqttUrl, { reconnectPeriod: 0 });
    await c.endAsync();
    await app.stop();
  } finally {
    data.remove();
  }
  const base = { ...defaults, httpPort: 0, mqttPort: 0, simulator: false, dataDir: '/nonexistent/never-created' };
  await assert.rejects(startApp({ ...base, host: '0.0.0.0' }, { logger: silentLogger() }), /only allowed on 127\.0\.0\.1.*--no-insecure-local/s);
  await assert.rejects(
    startApp({ ...base, host: '0.0.0.0', insecureLocal: false, anonymousRole: 'viewer' }, { logger: silentLogger() }),
    /anonymousRole "viewer".*only allowed on 127\.0\.0\.1/,
  );
  await assert.rejects(
    startApp({ ...base, host: '192.168.1.20', insecureLocal: false, anonymousRole: 'admin' }, { logger: silentLogger() }),
    /refusing to start/,
  );
  await assert.rejects(startApp({ ...base, anonymousRole: 'root' as never }, { logger: silentLogger() }), /anonymousRole must be/);
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(h), h);
});

test('security headers on every answer, CORS closed unless an origin is listed, API rate limit per IP with 429 and Retry-After', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ corsOrigin: 'https://ops.example.com', apiRatePerSec: 0.001, apiRateBurst: 25 });
  try {
    const url = app.httpUrl;
    for (const res of [await fetch(`${url}/`), await fetch(`${url}/api/v1/devices`), await fetch(`${url}/health`)]) {
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/, 'scripts from this origin only: no CDN, no inline');
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    }
    const evil = await fetch(`${url}/api/v1/devices`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const ok = await fetch(`${url}/api/v1/devices`, {
      method: 'OPTIONS',
      headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://ops.example.com');
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Authorization/);

    const admin = (await login(url, 'admin', adminPassword)).accessToken;
    // The live WebSocket takes the token as ?access_token= (browsers cannot set its headers).
    const refused = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live`);
    const status = await new Promise<number>((r) => refused.once('unexpected-response', (req, res) => (r(res.statusCode ?? 0), req.destroy())));
    assert.equal(status, 401);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live?access_token=${admin}`);
    const hello = await new Promise<string>((r, j) => (ws.once('message', (d) => r(d.toString())), ws.once('error', j)));
    assert.match(hello, /"type":"hello"/);
    ws.terminate();

    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await fetch(`${url}/api/v1/devices`, { headers: bearer(admin) });
      if (res.status === 429) limited = res;
      else await res.arrayBuffer();
    }
    assert.ok(limited, 'the limit answered 429');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(((await limited.json()) as { rule: string }).rule, 'rate_limit');
    assert.match(await app.metrics.registry.getSingleMetricAsString('fieldscope_rate_limited_total'), /scope="ip",transport="http"} [1-9]/);
  } finally {
    await remove();
  }
});

test('TLS: HTTPS and MQTTS with a certificate and key', async (t) => {
  const which = (() => {
    try {
      return execFileSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  })();
  if (!which) {
    if (process.env.FIELDSCOPE_REQUIRE_SERVICES === '1') assert.fail('openssl is required to make a test certificate');
    t.skip('SKIPPED: openssl is not installed, so no test certificate can be made');
    return;
  }
  const dir = tempDir('fieldscope-tls-');
  const cert = join(dir.dir, 'cert.pem');
  const key = join(dir.dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(join(dir.dir, 'marker'), '');
  const { app, adminPassword, remove } = await startLockedApp({ tlsCert: cert, tlsKey: key });
  try {
    assert.match(app.httpUrl, /^https:/);
    assert.match(app.mqttUrl, /^mqtts:/);
    const ca = readFileSync(cert);
    const body = JSON.stringify({ username: 'admin', password: adminPassword });
    const res = await new Promise<{ status: number; hsts: string | undefined; text: string }>((resolve, reject) => {
      const req = request(`${app.httpUrl}/api/v1/auth/login`, { method: 'POST', ca, headers: { ...json, 'content-length': Buffer.byteLength(body) } }, (r) => {
        let text = '';
        r.on('data', (d) => (text += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'] as string | undefined, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.hsts);
    // Plain MQTT to the MQTTS port gets nowhere; MQTTS with the CA works.
    const plain = mqtt.connect(app.mqttUrl.replace('mqtts', 'mqtt'), { reconnectPeriod: 0, connectTimeout: 2000 });
    const plainConnected = await new Promise<boolean>(
      (r) => (plain.once('connect', () => r(true)), plain.once('close', () => r(false)), plain.once('error', () => r(false))),
    );
    plain.end(true);
    assert.equal(plainConnected, false);
    const token = (JSON.parse(res.text) as { accessToken: string }).accessToken;
    const issued = await new Promise<string>((resolve, reject) => {
      const req = request(`${app.httpUrl}/api/v1/devices/tls-dev/credentials`, { method: 'POST', ca, headers: bearer(token) }, (r) => {
        let text = '';
        r.on('data', (d) => (text += d));
        r.on('end', () => resolve((JSON.parse(text) as { token: string }).token));
      });
      req.on('error', reject);
      req.end();
    });
    const c = await mqtt.connectAsync(app.mqttUrl, { ca, username: 'tls-dev', password: issued, clientId: 'tls-dev', reconnectPeriod: 0 });
    await c.publishAsync('devices/tls-dev/telemetry', JSON.stringify({ ts: Date.now(), v: 1 }), { qos: 1 });
    await c.endAsync();
    assert.equal(app.devices.get('tls-dev')?.id, 'tls-dev');
  } finally {
    await remove();
    dir.remove();
  }
});
