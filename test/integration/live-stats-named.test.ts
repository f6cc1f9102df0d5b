// ?stats=named on the live upgrade: live analytics only for devices subscribed to by id. A fleet view
// on "*" still gets every reading but not every device's stats (about 0.5 KB per device per second,
// which it never shows); the default ('all') is unchanged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, until } from '../helpers/app.js';
import { liveFeed } from '../helpers/live-feed.js';

const app = await startTestApp();
after(() => app.stop());

const feed = (query: string, devices: string[] | '*') => liveFeed(app.httpUrl, query, devices);

test('stats=named: a "*" client gets readings of every device but stats only of the devices it named', async () => {
  const everything = await feed('?frames=batch', '*');
  const fleet = await feed('?frames=batch&stats=named', '*');
  const one = await feed('?frames=batch&stats=named', ['sn-b']);
  const single = await feed('?stats=named', '*');
  const t0 = Date.now() - 10_000;
  for (let i = 0; i < 5; i++) {
    const body = ['sn-a', 'sn-b'].map((d) => ({ device_id: d, ts: t0 + i * 1000, seq: i + 1, x: i }));
    const res = await fetch(`${app.httpUrl}/api/v1/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.text());
  }
  // Stats are throttled to one a second per device: wait until the default client has them for both.
  await until(() => everything.of('stats', 'sn-a') > 0 && everything.of('stats', 'sn-b') > 0 && one.of('stats', 'sn-b') > 0, {
    what: 'stats on the default feed and the named one',
  });
  await until(() => fleet.of('readings', 'sn-a') >= 5 && fleet.of('readings', 'sn-b') >= 5 && single.of('readings', 'sn-b') >= 5, {
    what: 'every reading on the stats=named "*" feeds',
  });
  // A moment for any stats still on their way.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(fleet.of('stats', 'sn-a') + fleet.of('stats', 'sn-b'), 0, 'no stats for devices not named (batch frames)');
  assert.equal(single.of('stats', 'sn-a') + single.of('stats', 'sn-b'), 0, 'no stats for devices not named (single frames)');
  assert.equal(one.of('stats', 'sn-a'), 0);
  assert.equal(one.of('readings', 'sn-a'), 0, 'a client gets only the devices it subscribed to');
  assert.ok(everything.of('stats', 'sn-a') > 0, 'the default is every device');
  // A turn that had only stats in it sends a stats=named "*" client nothing, not an empty batch.
  assert.deepEqual(
    fleet.frames.filter((f) => f.type === 'batch' && f.messages.length === 0),
    [],
    'no empty batch',
  );
  for (const f of [everything, fleet, one, single]) f.close();
});
