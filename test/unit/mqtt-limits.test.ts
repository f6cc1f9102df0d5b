import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PacketSizeWatch } from '../../src/sources/mqtt-broker/mqtt-packet-size.js';
import { ConnectionGate, defaultMaxConnections, FD_HEADROOM } from '../../src/sources/mqtt-broker/mqtt-connection-gate.js';
import { clientIdAllowed, serviceClientIdPrefix } from '../../src/auth/client-id.js';
import { tempDir } from '../helpers/app.js';
import { varint } from '../helpers/mqtt-bytes.js';

const packet = (type: number, length: number) => Buffer.concat([Buffer.from([type << 4]), varint(length), Buffer.alloc(length)]);

test('packet size watch: the first packet must be CONNECT, within the small limit until accepted, then the normal one; bytes split anywhere', () => {
  let accepted = false;
  const watch = () =>
    new PacketSizeWatch(
      { beforeAccept: 100, afterAccept: 1000 },
      {
        get accepted() {
          return accepted;
        },
      },
    );
  assert.equal(watch().feed(packet(3, 10))?.reason, 'not_connect');
  assert.deepEqual(watch().feed(Buffer.concat([Buffer.from([0x10]), varint(250 * 1024 * 1024)])), {
    reason: 'connect_too_large',
    declared: 250 * 1024 * 1024,
    limit: 100,
  });
  assert.equal(watch().feed(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff]))?.reason, 'malformed');

  const w = watch();
  const stream = Buffer.concat([packet(1, 90), packet(3, 50)]);
  // One byte at a time: the framing is followed across chunk boundaries.
  for (const b of stream) assert.equal(w.feed(Buffer.from([b])), null);
  assert.equal(w.feed(packet(3, 500))?.reason, 'packet_too_large', 'before the CONNECT is accepted, 500 is too much');
  const w2 = watch();
  assert.equal(w2.feed(packet(1, 90)), null);
  accepted = true;
  assert.equal(w2.feed(Buffer.concat([packet(3, 900), packet(12, 0), packet(3, 999)])), null);
  assert.deepEqual(w2.feed(packet(3, 1001)), { reason: 'packet_too_large', declared: 1001, limit: 1000 });
});

test('connection gate: per address, pending and total caps; accepted connections leave the pending count; release frees the place', () => {
  const gate = new ConnectionGate({ maxConnections: 5, perIp: 3, pending: 4 });
  const a = [gate.admit('10.0.0.1'), gate.admit('10.0.0.1'), gate.admit('10.0.0.1')];
  assert.equal(gate.admit('10.0.0.1'), 'per_ip');
  const b = gate.admit('10.0.0.2');
  assert.equal(gate.admit('10.0.0.3'), 'pending');
  for (const t of [...a, b]) if (typeof t !== 'string') t.accept();
  const c = gate.admit('10.0.0.3');
  assert.equal(typeof c, 'object');
  assert.equal(gate.admit('10.0.0.4'), 'max_connections');
  assert.deepEqual(gate.counts(), { total: 5, pending: 1, addresses: 3 });
  for (const t of [...a, b, c]) {
    if (typeof t === 'string') continue;
    t.release();
    t.release(); // a second release is harmless
  }
  assert.deepEqual(gate.counts(), { total: 0, pending: 0, addresses: 0 });
  const off = new ConnectionGate({ maxConnections: 0, perIp: 0, pending: 0 });
  for (let i = 0; i < 100; i++) assert.equal(typeof off.admit('x'), 'object');
});

test('default connection cap: the open-file limit less the headroom kept for HTTP and the store', () => {
  const dir = tempDir();
  try {
    const file = join(dir.dir, 'limits');
    writeFileSync(
      file,
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n',
    );
    assert.equal(defaultMaxConnections(file), 20000 - FD_HEADROOM);
    writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
    assert.equal(defaultMaxConnections(file), 0);
    assert.equal(defaultMaxConnections(join(dir.dir, 'missing')), 0);
    writeFileSync(file, 'Max open files            1024                 4096                 files\n');
    assert.equal(defaultMaxConnections(file), 64, 'never below 64');
  } finally {
    dir.remove();
  }
});

test('client ids: each identity has its own namespace, and no prefix of one reaches into another', () => {
  const dev = { kind: 'device', device: 'pump-1' } as const;
  assert.ok(clientIdAllowed(dev, 'pump-1'));
  assert.ok(clientIdAllowed(dev, 'pump-1/diag'));
  assert.ok(!clientIdAllowed(dev, 'pump-1/'));
  assert.ok(!clientIdAllowed(dev, 'pump-10'));
  assert.ok(!clientIdAllowed(dev, 'pump-1-b'), 'another device id that merely starts the same');
  assert.ok(!clientIdAllowed(dev, '@pump-1'));
  const user = { kind: 'user', username: 'olga' } as const;
  assert.ok(clientIdAllowed(user, '@olga'));
  assert.ok(clientIdAllowed(user, '@olga/pump-1'));
  assert.ok(!clientIdAllowed(user, 'olga'));
  assert.ok(!clientIdAllowed(user, '@olgab'));
  const key = { kind: 'api_key', id: 'ab12' } as const;
  assert.ok(clientIdAllowed(key, '@key:ab12/x'));
  assert.ok(!clientIdAllowed({ kind: 'user', username: 'key' }, '@key:ab12'), 'a user named "key" cannot reach API key ids');
  assert.equal(serviceClientIdPrefix('gw', 'fsk_ab12.secret'), '@key:ab12/');
  assert.equal(serviceClientIdPrefix('olga', 'a password'), '@olga/');
  assert.equal(serviceClientIdPrefix(undefined, undefined), '');
});
