import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { startLockedApp } from '../helpers/auth.js';

// The sign-in throttle counts an attempt before its password is checked: guesses sent all at once
// meet the counts of the ones before them, so no more passwords are checked than one after another.

const json = { 'content-type': 'application/json' };
const guess = () => `guess-${randomBytes(8).toString('hex')}`;
const SLOW_AFTER = 3;

async function counter(app: { metrics: { registry: { getSingleMetricAsString(n: string): Promise<string> } } }, name: string, labels: string): Promise<number> {
  const text = await app.metrics.registry.getSingleMetricAsString(name);
  const m = new RegExp(`\\{${labels}\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

test('HTTP: 199 wrong passwords and then the right one, all at once: only the first few are checked, the right one is refused', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ loginSlowAfter: SLOW_AFTER, loginSlowMs: 3600_000, loginLockAfter: 10, loginLockMs: 3600_000 });
  try {
    const attempt = async (password: string) => {
      const res = await fetch(`${app.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'admin', password }) });
      await res.arrayBuffer();
      return res.status;
    };
    const wrong = Array.from({ length: 199 }, () => attempt(guess()));
    const right = attempt(adminPassword);
    const statuses = [...(await Promise.all(wrong)), await right];

    const ok = await counter(app, 'fieldscope_auth_logins_total', 'result="ok"');
    const checked = (await counter(app, 'fieldscope_auth_logins_total', 'result="bad_credentials"')) + ok;
    // The throttle lets SLOW_AFTER attempts through; a right one among them hands its count back, which
    // may let one more through. Without the reservation every one of the 200 is checked.
    assert.ok(checked >= SLOW_AFTER && checked <= SLOW_AFTER + ok, `passwords checked: ${checked} of 200 (the throttle allows ${SLOW_AFTER} before slowing)`);
    assert.equal(statuses.filter((s) => s === 429).length, 200 - checked, 'every other attempt was refused unchecked (429)');
    // The right password got in only if it was among the ones checked (it was sent last, so it rarely is).
    assert.equal(statuses[199], ok === 1 ? 200 : 429);
  } finally {
    await remove();
  }
});

test('MQTT: 150 CONNECTs with a user password at once: only the first few passwords are checked', async () => {
  const { app, adminPassword, remove } = await startLockedApp({ loginSlowAfter: SLOW_AFTER, loginSlowMs: 3600_000, loginLockAfter: 10, loginLockMs: 3600_000 });
  try {
    const tryConnect = async (password: string): Promise<number> => {
      try {
        const c = await mqtt.connectAsync(app.mqttUrl, { username: 'admin', password, clientId: '', reconnectPeriod: 0, connectTimeout: 30_000 });
        await c.endAsync(true);
        return 0;
      } catch (err) {
        return (err as { code?: number }).code ?? -1;
      }
    };
    const wrong = Array.from({ length: 149 }, () => tryConnect(guess()));
    const right = tryConnect(adminPassword);
    const codes = [...(await Promise.all(wrong)), await right];

    const checkedWrong = await counter(app, 'fieldscope_auth_denied_total', 'transport="mqtt",reason="bad_credentials"');
    const throttled = await counter(app, 'fieldscope_auth_denied_total', 'transport="mqtt",reason="login_throttled"');
    const accepted = codes.filter((c) => c === 0).length;
    const checked = checkedWrong + accepted;
    assert.ok(checked >= SLOW_AFTER && checked <= SLOW_AFTER + accepted, `passwords checked: ${checked} of 150`);
    assert.equal(throttled, 150 - checked);
    assert.equal(codes.filter((c) => c === 5).length, 150 - checked, 'refused unchecked: CONNACK 5 (not authorized)');
    assert.equal(codes[149], accepted === 1 ? 0 : 5);
  } finally {
    await remove();
  }
});
