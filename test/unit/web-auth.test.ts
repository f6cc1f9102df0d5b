// The dashboard's token state machine against a scripted server: sign-in, one shared refresh,
// retry once on 401, rotation before expiry, refusal ends the session, sign-out revokes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, AuthSession, REFRESH_KEY, type TokenStorage } from '../../web/src/auth/session.js';
import { explainFailure } from '../../web/src/auth/messages.js';

const user = { id: 'u1', username: 'ada', role: 'operator' as const, disabled: false, createdAt: 1, updatedAt: 1 };

function memoryStorage(init: Record<string, string> = {}): TokenStorage & { map: Map<string, string> } {
  const map = new Map(Object.entries(init));
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

type Call = { url: string; method: string; auth: string | null; body: unknown };

/** A fake server: refresh tokens work once; access tokens "a<n>" are valid while n >= minValid. */
function server(now: () => number) {
  const calls: Call[] = [];
  let n = 0;
  const live = new Set<string>(['r0']);
  let minValid = 1;
  let refreshGate: Promise<void> | null = null;
  const grant = () => {
    n++;
    const refreshToken = `r${n}`;
    live.add(refreshToken);
    return { tokenType: 'Bearer', accessToken: `a${n}`, expiresAt: now() + 15 * 60_000, refreshToken, refreshExpiresAt: now() + 30 * 86_400_000, user };
  };
  const json = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  const fetchImpl = (async (input: string, init: RequestInit = {}) => {
    const auth = new Headers(init.headers).get('authorization');
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ url: input, method: init.method ?? 'GET', auth, body });
    if (input.endsWith('/auth/login')) {
      if (body.password === 'locked')
        return json(429, { error: 'too many failed sign-ins: locked; try again in 30 s', rule: 'login_locked' }, { 'retry-after': '30' });
      if (body.password !== 'right') return json(401, { error: 'wrong user name or password', rule: 'bad_credentials' });
      return json(200, grant());
    }
    if (input.endsWith('/auth/refresh')) {
      if (refreshGate) await refreshGate;
      if (!live.delete(body.refreshToken)) return json(401, { error: 'invalid refresh token', rule: 'refresh_reused' });
      return json(200, grant());
    }
    if (input.endsWith('/auth/logout')) {
      live.delete(body.refreshToken);
      return new Response(null, { status: 204 });
    }
    const m = /^Bearer a(\d+)$/.exec(auth ?? '');
    if (!m || Number(m[1]) < minValid) return json(401, { error: 'expired', rule: 'token_expired' });
    return json(200, { ok: true, token: `a${m[1]}` });
  }) as unknown as typeof fetch;
  return {
    fetch: fetchImpl,
    calls,
    live,
    expireAllBefore: (k: number) => (minValid = k),
    hold: () => {
      let release!: () => void;
      refreshGate = new Promise((r) => (release = r));
      return () => {
        refreshGate = null;
        release();
      };
    },
  };
}

function setup(storage = memoryStorage()) {
  let t = 1_000_000;
  const now = () => t;
  const srv = server(now);
  const timers: { fn: () => void; at: number }[] = [];
  const session = new AuthSession({
    fetch: srv.fetch,
    storage,
    now,
    setTimer: (fn, ms) => {
      const h = { fn, at: t + ms };
      timers.push(h);
      return h;
    },
    clearTimer: (h) => {
      const i = timers.indexOf(h as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
  });
  const advance = (ms: number) => {
    t += ms;
    for (const h of [...timers])
      if (h.at <= t) {
        timers.splice(timers.indexOf(h), 1);
        h.fn();
      }
  };
  return { session, srv, storage, timers, advance, now };
}

test('login keeps the access token in memory and only the refresh token in storage', async () => {
  const { session, storage } = setup();
  assert.equal(session.signedIn, false);
  const u = await session.login('ada', 'right');
  assert.equal(u.username, 'ada');
  assert.equal(session.accessToken(), 'a1');
  assert.deepEqual([...storage.map.entries()], [[REFRESH_KEY, 'r1']]);
});

test('a wrong password says so; a locked sign-in carries Retry-After', async () => {
  const { session } = setup();
  await assert.rejects(
    session.login('ada', 'wrong'),
    (e: unknown) => e instanceof AuthError && e.status === 401 && e.message === 'Wrong user name or password',
  );
  await assert.rejects(
    session.login('ada', 'locked'),
    (e: unknown) => e instanceof AuthError && e.status === 429 && e.rule === 'login_locked' && e.retryAfterSec === 30,
  );
  assert.equal(session.signedIn, false);
});

test('requests carry the bearer; a 401 refreshes once and retries with the new token', async () => {
  const { session, srv } = setup();
  await session.login('ada', 'right');
  let r = await session.fetch('/api/v1/x');
  assert.equal(((await r.json()) as { token: string }).token, 'a1');
  srv.expireAllBefore(2);
  r = await session.fetch('/api/v1/x', { method: 'POST', body: '{}' });
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { token: string }).token, 'a2');
  const tail = srv.calls.slice(-3).map((c) => `${c.method} ${c.url} ${c.auth ?? ''}`);
  assert.deepEqual(tail, ['POST /api/v1/x Bearer a1', 'POST /api/v1/auth/refresh ', 'POST /api/v1/x Bearer a2']);
});

test('retry happens once: a request still refused after a refresh answers 401', async () => {
  const { session, srv } = setup();
  await session.login('ada', 'right');
  srv.expireAllBefore(99);
  const r = await session.fetch('/api/v1/x');
  assert.equal(r.status, 401);
  assert.equal(srv.calls.filter((c) => c.url === '/api/v1/x').length, 2);
  assert.equal(srv.calls.filter((c) => c.url.endsWith('/refresh')).length, 1);
});

test('concurrent 401s share one refresh (a refresh token works once)', async () => {
  const { session, srv } = setup();
  await session.login('ada', 'right');
  srv.expireAllBefore(2);
  const release = srv.hold();
  const all = Promise.all([session.fetch('/api/v1/a'), session.fetch('/api/v1/b'), session.fetch('/api/v1/c'), session.refresh()]);
  await new Promise((r) => setTimeout(r, 10));
  release();
  const [a, b, c, refreshed] = await all;
  assert.deepEqual([a.status, b.status, c.status, refreshed], [200, 200, 200, true]);
  assert.equal(srv.calls.filter((x) => x.url.endsWith('/refresh')).length, 1);
  assert.equal(session.signedIn, true);
});

test('the access token is rotated a minute before it expires', async () => {
  const { session, srv, advance, timers } = setup();
  await session.login('ada', 'right');
  assert.equal(timers.length, 1);
  advance(13 * 60_000);
  assert.equal(srv.calls.filter((x) => x.url.endsWith('/refresh')).length, 0);
  advance(60_000 + 1);
  // The timer's refresh is in flight: asking for a fresh token joins it instead of spending another.
  assert.equal(await session.ensureFresh(), true);
  assert.equal(session.accessToken(), 'a2');
  assert.equal(srv.calls.filter((x) => x.url.endsWith('/refresh')).length, 1);
  assert.equal(await session.ensureFresh(), true);
  assert.equal(srv.calls.filter((x) => x.url.endsWith('/refresh')).length, 1, 'a fresh token is not rotated again');
});

test('a refused refresh ends the session, clears storage and says why', async () => {
  const { session, srv, storage } = setup();
  await session.login('ada', 'right');
  const ends: (string | undefined)[] = [];
  session.onChange((e) => ends.push(e));
  srv.live.clear(); // e.g. revoked because the token was reused elsewhere
  assert.equal(await session.refresh(), false);
  assert.equal(session.signedIn, false);
  assert.equal(storage.map.size, 0);
  assert.deepEqual(ends, ['expired']);
});

test('a reload resumes from the stored refresh token', async () => {
  const storage = memoryStorage({ [REFRESH_KEY]: 'r0' });
  const { session } = setup(storage);
  assert.equal(session.canResume, true);
  assert.equal(await session.resume(), true);
  assert.equal(session.accessToken(), 'a1');
  assert.equal(storage.map.get(REFRESH_KEY), 'r1');
});

test('sign-out revokes the refresh token on the server and forgets both tokens', async () => {
  const { session, srv, storage } = setup();
  await session.login('ada', 'right');
  await session.logout();
  assert.equal(session.signedIn, false);
  assert.equal(session.accessToken(), null);
  assert.equal(storage.map.size, 0);
  assert.equal(srv.live.has('r1'), false);
  const r = await session.fetch('/api/v1/x');
  assert.equal(r.status, 401);
  assert.equal(srv.calls.at(-1)!.auth, null, 'no token sent after sign-out');
});

test('refusals read as words: role too low, rate limited', () => {
  assert.match(
    explainFailure({ status: 403, rule: 'forbidden', message: '403 this needs the operator role; you have viewer (POST /api/v1/alarms/1/ack)' }, 'viewer'),
    /^Your role \(viewer\) cannot do this\. \(this needs the operator role; you have viewer\)$/,
  );
  assert.equal(explainFailure({ status: 429, rule: 'rate_limit', message: 'x', retryAfterSec: 7 }, 'admin'), 'Too many requests. Try again in 7 s.');
  assert.equal(explainFailure({ status: 500, message: 'boom' }, null), 'boom');
});
