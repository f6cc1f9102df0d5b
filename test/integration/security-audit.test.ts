import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLockedApp, login, bearer, userToken } from '../helpers/auth.js';
import { until } from '../helpers/app.js';

test('a signed-in operator acks under their own name, whatever the body claims', async (t) => {
  const { app, adminPassword, remove } = await startLockedApp();
  t.after(remove);
  const url = app.httpUrl;
  const admin = (await login(url, 'admin', adminPassword)).accessToken;
  const op = await userToken(url, admin, 'olga', 'operator');
  const json = { 'content-type': 'application/json' };

  const rule = await fetch(`${url}/api/v1/rules`, {
    method: 'POST',
    headers: { ...bearer(op), ...json },
    body: JSON.stringify({ name: 'hot', severity: 'major', scope: 'device', target: 'audit-1', kind: 'threshold', metric: 't', op: '>', value: 50 }),
  });
  assert.equal(rule.status, 201, await rule.clone().text());
  const post = await fetch(`${url}/api/v1/devices/audit-1/telemetry`, { method: 'POST', headers: { ...bearer(op), ...json }, body: JSON.stringify({ t: 80 }) });
  assert.equal(post.status, 200);
  const alarm = await until(
    async () => {
      const r = (await (await fetch(`${url}/api/v1/alarms?device=audit-1`, { headers: bearer(op) })).json()) as { alarms: { id: number }[] };
      return r.alarms[0];
    },
    { what: 'alarm' },
  );

  const ack = await fetch(`${url}/api/v1/alarms/${alarm.id}/ack`, {
    method: 'POST',
    headers: { ...bearer(op), ...json },
    body: JSON.stringify({ by: 'the-boss', comment: 'checked' }),
  });
  assert.equal(ack.status, 200);
  const acked = (await ack.json()) as { ackedBy: string; ackComment?: string };
  assert.equal(acked.ackedBy, 'olga');
  // The claimed name is not lost: it is kept as a note with the comment.
  const detail = (await (await fetch(`${url}/api/v1/alarms/${alarm.id}`, { headers: bearer(op) })).json()) as {
    events: { type: string; by: string; comment: string | null }[];
  };
  const ackEvent = detail.events.find((e) => e.type === 'acked');
  assert.deepEqual({ by: ackEvent?.by, comment: ackEvent?.comment }, { by: 'olga', comment: 'by: the-boss | checked' });
});
