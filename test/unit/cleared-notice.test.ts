// The "cleared" notification quotes the value that cleared the alarm, not the one that raised it
// (issue 16): a real engine over a real SQLite store, its changes handed to the real dispatcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { AlarmEngine, type DeviceDirectory } from '../../src/alarms/engine.js';
import { Analytics } from '../../src/analytics/live-stats.js';
import { Dispatcher, defaultPolicy } from '../../src/notify/dispatcher.js';
import { noticeLine, type Channel, type Notice } from '../../src/notify/channel.js';
import { silentLogger } from '../../src/logger.js';
import type { Message } from '../../src/model/reading.js';

const T0 = Date.UTC(2025, 0, 1);
const msg = (seq: number, temperature: number): Message => ({
  device: 'oven',
  seq,
  ts: T0 + seq * 1000,
  values: { temperature },
  source: 'mqtt',
  receivedAt: T0 + seq * 1000,
});

test('a cleared notification quotes the clearing value, the raised one the raising value', async (t) => {
  const db = new SqliteStore({ path: ':memory:' });
  await db.open();
  const devices: DeviceDirectory = { get: () => ({ profile: null, lastSeen: T0 }), list: () => [] };
  const engine = new AlarmEngine({
    store: db.alarms,
    analytics: new Analytics({ vectors: {}, zWindowMs: 60_000 }),
    devices,
    logger: silentLogger(),
    now: () => T0,
    sweepMs: 3_600_000,
  });
  await engine.start();
  const sent: Notice[] = [];
  const channel: Channel = { name: 'capture', type: 'webhook', send: async (ns) => void sent.push(...ns) };
  const dispatcher = new Dispatcher([{ channel, policy: { ...defaultPolicy('webhook'), groupWindowMs: 0 } }], db.alarms, silentLogger());
  engine.onChange((c) => dispatcher.handle(c));
  t.after(async () => {
    engine.stop();
    await dispatcher.stop();
    await db.close();
  });
  await engine.createRule({ name: 'hot', severity: 'major', scope: 'device', target: 'oven', kind: 'threshold', metric: 'temperature', op: '>', value: 40 });
  engine.observe([msg(1, 30), msg(2, 87), msg(3, 12.5)]);
  await engine.idle();
  // Delivery is asynchronous (no grouping window here): wait for the two sends, not for a time.
  for (let i = 0; i < 1000 && sent.length < 2; i++) await new Promise((r) => setImmediate(r));
  const lines = sent.map(noticeLine);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], /RAISED: .*\(87\)/);
  assert.match(lines[1], /CLEARED: hot: oven back to normal, temperature 12\.5 /, lines[1]);
  assert.doesNotMatch(lines[1], /87/, 'the clear does not quote the raising value');
});
