import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandError, CommandService, checkCommand, type CommandTransport } from '../../src/devices/commands.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { silentLogger } from '../../src/logger.js';
import { until } from '../helpers/app.js';

const field = (fn: () => void) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CommandError);
    return `${err.field}/${err.rule}`;
  }
  return 'accepted';
};

test('command names and parameters are checked before anything is sent', () => {
  assert.equal(
    field(() => checkCommand('set_interval', { ms: 500 }, undefined)),
    'accepted',
  );
  assert.equal(
    field(() => checkCommand('set_interval', { ms: 5 }, undefined)),
    'params.ms/range',
  );
  assert.equal(
    field(() => checkCommand('set_interval', {}, undefined)),
    'params.ms/range',
  );
  assert.equal(
    field(() => checkCommand('set_threshold', { metric: 'v', high: 5.5 }, undefined)),
    'accepted',
  );
  assert.equal(
    field(() => checkCommand('set_threshold', { metric: 'v' }, undefined)),
    'params/required',
  );
  assert.equal(
    field(() => checkCommand('set_threshold', { metric: 'v', low: 'x' }, undefined)),
    'params.low/number',
  );
  assert.equal(
    field(() => checkCommand('reboot', {}, undefined)),
    'accepted',
  );
  assert.equal(
    field(() => checkCommand('calibrate', {}, undefined)),
    'name/known_command',
  );
  const profile = { name: 'p', metrics: {}, commands: { calibrate: { description: 'zero it' } } };
  assert.equal(
    field(() => checkCommand('calibrate', {}, profile)),
    'accepted',
  );
  assert.equal(
    field(() => checkCommand('toString', {}, profile)),
    'name/known_command',
  );
});

test('a command goes to the first transport that reaches the device, is retried with the same id, and a late answer still lands', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  t.after(() => store.close());
  const svc = new CommandService({ store: store.devices, profileOf: () => undefined, logger: silentLogger(), ackTimeoutMs: 30, maxAttempts: 3 });
  t.after(() => svc.stop());
  const sent: Array<[string, string, string]> = [];
  const transport = (kind: 'mqtt' | 'serial', reach: string | null, fail = false): CommandTransport => ({
    kind,
    reaches: (d) => reach === null || d === reach,
    send: async (d, c) => {
      if (fail) throw new Error('port closed');
      sent.push([kind, d, c.id]);
    },
  });
  svc.addTransport(transport('mqtt', null));
  svc.addTransport(transport('serial', 'meter'), true);

  const a = await svc.create('meter', 'reboot');
  assert.equal(a.status, 'delivered');
  assert.equal(a.transport, 'serial');
  const b = await svc.create('other', 'reboot');
  assert.equal(b.transport, 'mqtt');
  await until(() => sent.filter((s) => s[2] === a.id).length === 2, { what: 'retry' });
  assert.equal(await svc.reply('meter', { id: a.id, status: 'acked' }), true);
  assert.equal(await svc.reply('meter', { id: a.id, status: 'acked' }), false, 'a second answer changes nothing');
  assert.equal(await svc.replyFromPayload('wrong-device', JSON.stringify({ id: b.id, status: 'acked' })), false);
  const final = await until(async () => (await svc.list('other')).find((c) => c.status === 'timed_out'), { what: 'timeout' });
  assert.equal(final.attempts, 3);
  const acked = (await svc.list('meter'))[0];
  assert.equal(acked.status, 'acked');
  assert.equal(acked.attempts, 2);
  assert.deepEqual(await store.devices.openCommands(), []);
});

test('a transport that cannot send leaves the command pending with the reason, until it times out', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  t.after(() => store.close());
  const svc = new CommandService({ store: store.devices, profileOf: () => undefined, logger: silentLogger(), ackTimeoutMs: 20, maxAttempts: 2 });
  t.after(() => svc.stop());
  svc.addTransport({ kind: 'serial', reaches: () => true, send: async () => Promise.reject(new Error('port closed')) });
  const c = await svc.create('meter', 'set_interval', { ms: 100 });
  assert.equal(c.status, 'pending');
  assert.match(c.reason ?? '', /port closed/);
  const done = await until(async () => (await svc.list('meter')).find((x) => x.status === 'timed_out'), { what: 'timeout' });
  assert.equal(done.deliveredAt, null);
});
