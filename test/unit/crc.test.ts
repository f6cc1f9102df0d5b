import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, crcHex, checkFrame, encodeFrame } from '../../src/sources/serial/serial-frame.js';
import { parseSerialSpec } from '../../src/sources/serial/serial.js';

test('crc32 is the IEEE CRC-32 (zlib, Ethernet): the standard check value and an empty input', () => {
  assert.equal(crcHex('123456789'), 'cbf43926');
  assert.equal(crc32(''), 0);
  assert.equal(crcHex(Buffer.from([0xff, 0x00, 0x80])), crcHex(new Uint8Array([0xff, 0x00, 0x80])));
});

test('the worked example of docs/serial-protocol.md', () => {
  const covered = '{"v":5.02,"a":0.245,"w":1.23,"ts":1700000000000,"seq":123,"status":"ok"}';
  assert.equal(crcHex(covered), '7766bb1a');
  const line = '{"v":5.02,"a":0.245,"w":1.23,"ts":1700000000000,"seq":123,"status":"ok","crc":"7766bb1a"}';
  assert.equal(encodeFrame({ v: 5.02, a: 0.245, w: 1.23, ts: 1700000000000, seq: 123, status: 'ok' }), line);
  const f = checkFrame(line);
  assert.ok(f.ok);
  assert.deepEqual(f.value, { v: 5.02, a: 0.245, w: 1.23, ts: 1700000000000, seq: 123, status: 'ok' });
  // Upper-case hex and a CR before the newline are accepted.
  assert.ok(checkFrame(line.replace('7766bb1a', '7766BB1A') + '\r').ok);
});

test('damaged, unsealed and over-long lines are refused with a reason, and the seq when it can still be read', () => {
  const line = encodeFrame({ v: 5.02, seq: 41, status: 'ok' });
  const flipped = line.replace('5.02', '5.03');
  assert.deepEqual(pick(checkFrame(flipped)), { reason: 'crc', seq: 41 });
  assert.deepEqual(pick(checkFrame('{"v":5.02,"seq":7}')), { reason: 'no_crc', seq: 7 });
  assert.deepEqual(pick(checkFrame('garbage')), { reason: 'no_crc', seq: null });
  // Valid crc over text that is not JSON: the sender's bug, not the line's.
  const notJson = '{"v":,"seq":9}';
  assert.deepEqual(pick(checkFrame(`${notJson.slice(0, -1)},"crc":"${crcHex(notJson)}"}`)), { reason: 'json', seq: 9 });
  assert.deepEqual(pick(checkFrame(encodeFrame({ pad: 'x'.repeat(5000), seq: 3 }))), { reason: 'too_long', seq: 3 });
  // A crc field that is not last is not a frame seal.
  assert.equal(pick(checkFrame(`{"crc":"${crcHex('{}')}","seq":1}`)).reason, 'no_crc');
});

test('serial port specs', () => {
  assert.deepEqual(parseSerialSpec('/dev/ttyUSB0'), { path: '/dev/ttyUSB0', baudRate: 115200 });
  assert.deepEqual(parseSerialSpec('/dev/ttyACM1:9600'), { path: '/dev/ttyACM1', baudRate: 9600 });
  assert.throws(() => parseSerialSpec('/dev/ttyS0:12'), /baud/);
});

function pick(f: ReturnType<typeof checkFrame>): { reason?: string; seq?: number | null } {
  return f.ok ? {} : { reason: f.reason, seq: f.seq };
}
