// The notification dispatcher on its own, over a real SQLite store: policies (severity, events,
// minimum interval), grouping, retries with backoff, follow-ups only for what was announced,
// and stop() sending what waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { Dispatcher, defaultPolicy } from '../../src/notify/dispatcher.js';
import type { Channel, ChannelPolicy, Notice } from '../../src/notify/channel.js';
import type { Alarm, AlarmEventType } from '../../src/model/alarm.js';
import { silentLogger } from '../../src/logger.js';

/** A channel that records what it was given and refuses the first `failures` sends. */
class Recording implements Channel {
  readonly type = 'webhook' as const;
  sent: Notice[][] = [];
  constructor(
    readonly name: string,
    public failures = 0,
  ) {}
  async send(notices: Notice[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('HTTP 503');
    }
    this.sent.push(notices);
  }
}

let nextId = 1;
const alarm = (device: string, severity: Alarm['severity'] = 'major', ruleId = 'r1'): Alarm =>
  ({
    id: nextId++,
    ruleId,
    ruleName: 'hot',
    device,
    severity,
    status: 'active_unacked',
    message: `${device} hot`,
    count: 1,
    raisedAt: Date.now(),
  }) as unknown as Alarm;

async function rig(t: { after(fn: () => unknown): void }, channels: { channel: Channel; policy: Partial<ChannelPolicy> }[]) {
  const db = new SqliteStore({ path: ':memory:' });
  await db.open();
  const d = new Dispatcher(
    channels.map(({ channel, policy }) => ({ channel, policy: { ...defaultPolicy(channel.type), backoffMs: 1, ...policy } })),
    db.alarms,
    silentLogger(),
  );
  t.after(async () => {
    await d.stop();
    await db.close();
  });
  const change = (type: AlarmEventType, a: Alarm) => d.handle({ type, alarm: a });
  return { d, db, change };
}

test('dispatcher: severities and events filter per channel; a repeat raise within minIntervalMs is quiet', async (t) => {
  const all = new Recording('all');
  const critical = new Recording('critical');
  const r = await rig(t, [
    { channel: all, policy: { groupWindowMs: 0, minIntervalMs: 60_000 } },
    { channel: critical, policy: { groupWindowMs: 0, severities: ['critical'] } },
  ]);
  const a = alarm('oven');
  r.change('raised', a);
  r.change('raised', { ...alarm('oven'), ruleId: 'r1' });
  r.change('acked', a);
  await r.d.stop();
  assert.deepEqual(
    all.sent.map((b) => b.map((n) => n.type)),
    [['raised']],
    'the second raise of (oven, r1) is suppressed; acked is not in the default events',
  );
  assert.equal(critical.sent.length, 0);
});

test('dispatcher: follow-ups go only where the raise went; notices within the window go out as one', async (t) => {
  const ch = new Recording('grouped');
  const r = await rig(t, [{ channel: ch, policy: { groupWindowMs: 60_000, minIntervalMs: 0 } }]);
  const a = alarm('a');
  r.change('cleared', a);
  r.change('raised', a);
  r.change('raised', alarm('b'));
  r.change('cleared', a);
  // stop() flushes the group at once instead of waiting out the window.
  await r.d.stop();
  assert.deepEqual(
    ch.sent.map((b) => b.map((n) => `${n.type} ${n.alarm?.device}`)),
    [['raised a', 'raised b', 'cleared a']],
  );
});

test('dispatcher: a failed send is retried with backoff and logged with its attempts; past its retries it is failed', async (t) => {
  const flaky = new Recording('flaky', 2);
  const broken = new Recording('broken', 100);
  const r = await rig(t, [
    { channel: flaky, policy: { retries: 4 } },
    { channel: broken, policy: { retries: 1 } },
  ]);
  const ok = await r.d.test('flaky');
  assert.equal(ok?.status, 'sent');
  assert.equal(ok?.attempts, 3);
  const bad = await r.d.test('broken');
  assert.equal(bad?.status, 'failed');
  assert.equal(bad?.attempts, 2);
  assert.equal(bad?.error, 'HTTP 503');
  const log = await r.db.alarms.listNotifications({ limit: 10 });
  assert.deepEqual(log.map((n) => [n.channel, n.status, n.attempts]).sort(), [
    ['broken', 'failed', 2],
    ['flaky', 'sent', 3],
  ]);
  assert.equal(await r.d.test('nope'), undefined);
});
