import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { batchTransferList, decodeReadings, encodeWriteBatch, type EncodedBatch } from '../../src/stores/sqlite/write-batch-codec.js';
import type { WriteBatch } from '../../src/stores/store.js';
import type { Message } from '../../src/model/reading.js';

const batch: WriteBatch = {
  readings: [
    { device: 'pump-1', metric: 'rms', ts: 1_700_000_000_000.123, value: 1.5, seq: 7 },
    { device: 'pump-1', metric: 'temp', ts: 1_700_000_000_000.123, value: -40.25, seq: 7 },
    { device: '압축기-２', metric: 'rms', ts: 1_700_000_000_001, value: 0 },
    { device: 'pump-1', metric: 'rms', ts: 1_700_000_000_002, value: Number.MAX_VALUE, seq: 2 ** 40 },
    { device: '압축기-２', metric: 'température', ts: 1, value: 3, seq: 0 },
  ],
  devices: [
    { id: 'pump-1', seen: 5, profile: 'pump' },
    { id: '압축기-２', seen: 6 },
  ],
  rejected: [{ at: 1, source: 'mqtt', device: 'x', field: 'values.a', rule: 'number', error: 'not a number', payload: '{}' }],
  sequence: { devices: [], buckets: [] },
  checkpoint: { key: 'f', offset: 10, line: 2, stored: 5, duplicates: 0, rejected: 1, done: false },
};

test('a batch comes back the same after encoding: names (any script), micro-second times, seq or none, the per-device parts', () => {
  const e = encodeWriteBatch(batch);
  assert.equal(e.count, 5);
  assert.deepEqual(decodeReadings(e), batch.readings);
  assert.deepEqual(e.rest, { devices: batch.devices, rejected: batch.rejected, sequence: batch.sequence, checkpoint: batch.checkpoint });
  // Each distinct (device, metric) once, each name once.
  assert.equal(e.seriesDevice.length, 4);
  assert.equal(e.stringEnds.length, 5);
});

test('names all in ASCII (one table, one encode) and names of one to three bytes a character come back the same', () => {
  const ascii: WriteBatch = {
    readings: ['rack-1', 'rack-22', 'r~\x7f', 'rack-1'].map((device, i) => ({ device, metric: i % 2 ? 'v' : 'temp_c', ts: i, value: i })),
    devices: [],
    rejected: [],
  };
  const e = encodeWriteBatch(ascii);
  assert.deepEqual(decodeReadings(e), ascii.readings);
  assert.equal(e.strings.length, 'rack-1temp_crack-22vr~\x7f'.length);
  // One name past ASCII (the last): the byte ends count its two bytes.
  const mixed: WriteBatch = { ...ascii, readings: [...ascii.readings, { device: 'é', metric: 'v', ts: 9, value: 9 }] };
  const m = encodeWriteBatch(mixed);
  assert.deepEqual(decodeReadings(m), mixed.readings);
  assert.equal(m.stringEnds.at(-1), e.strings.length + 2);
});

test('the readings cross a port as moved buffers, not as per-reading objects', () => {
  const e = encodeWriteBatch(batch);
  const list = batchTransferList(e);
  assert.equal(new Set(list).size, list.length, 'each column has an ArrayBuffer of its own');
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(e, list);
  // Moved: the sender's columns are detached.
  assert.equal(e.ts.length, 0);
  assert.equal(e.strings.byteLength, 0);
  const got = receiveMessageOnPort(port2)!.message as EncodedBatch;
  port1.close();
  assert.ok(got.ts instanceof Float64Array && got.series instanceof Uint32Array);
  assert.deepEqual(decodeReadings(got), batch.readings);
});

test('an empty batch encodes to empty columns', () => {
  const e = encodeWriteBatch({ readings: [], devices: [], rejected: [] });
  assert.equal(e.count, 0);
  assert.deepEqual(decodeReadings(e), []);
  assert.deepEqual(e.rest, { devices: [], rejected: [] });
});

test("a batcher's batch (readings carried as messages) encodes to the same columns as its readings would, and builds no readings doing so", async () => {
  const { toWriteBatch } = await import('../../src/pipeline/batcher.js');
  const messages: Message[] = [
    { device: 'pump-1', seq: 7, ts: 1_700_000_000_000.123, values: { rms: 1.5, temp: -40.25 }, source: 'mqtt', receivedAt: 5 },
    { device: '압축기-２', ts: 1_700_000_000_001, values: { rms: 0 }, source: 'mqtt', receivedAt: 6, profile: 'pump' },
    { device: 'pump-1', seq: 2 ** 40, ts: 1_700_000_000_002, values: {}, source: 'http', receivedAt: 4 },
    { device: 'pump-1', seq: 0, ts: 1, values: { rms: Number.MAX_VALUE, température: 3 }, source: 'mqtt', receivedAt: 7 },
  ];
  const wb = toWriteBatch(messages, [], { devices: [], buckets: [] });
  let built = false;
  const readingsOf = Object.getOwnPropertyDescriptor(wb, 'readings')!.get!;
  Object.defineProperty(wb, 'readings', { enumerable: true, get: () => ((built = true), readingsOf()) });
  const fromMessages = encodeWriteBatch(wb);
  assert.equal(built, false, 'the columns came from the messages');
  const plain: WriteBatch = { readings: wb.readings, devices: wb.devices, rejected: wb.rejected, sequence: wb.sequence };
  assert.equal(built, true);
  const fromReadings = encodeWriteBatch(plain);
  assert.equal(fromMessages.count, 5);
  assert.deepEqual(fromMessages, fromReadings);
  assert.deepEqual(decodeReadings(fromMessages), [
    { device: 'pump-1', metric: 'rms', ts: 1_700_000_000_000.123, value: 1.5, seq: 7 },
    { device: 'pump-1', metric: 'temp', ts: 1_700_000_000_000.123, value: -40.25, seq: 7 },
    { device: '압축기-２', metric: 'rms', ts: 1_700_000_000_001, value: 0 },
    { device: 'pump-1', metric: 'rms', ts: 1, value: Number.MAX_VALUE, seq: 0 },
    { device: 'pump-1', metric: 'température', ts: 1, value: 3, seq: 0 },
  ]);
  assert.deepEqual(wb.devices, [
    { id: 'pump-1', seen: 7, profile: undefined },
    { id: '압축기-２', seen: 6, profile: 'pump' },
  ]);
});

test("a batcher's batch whose readings are replaced no longer claims to be its messages", async () => {
  const { toWriteBatch } = await import('../../src/pipeline/batcher.js');
  const wb = toWriteBatch([{ device: 'd', ts: 1, values: { a: 1 }, source: 'mqtt', receivedAt: 1 }], []);
  wb.readings = [{ device: 'e', metric: 'b', ts: 2, value: 2 }];
  assert.equal(wb.messages, undefined);
  assert.deepEqual(decodeReadings(encodeWriteBatch(wb)), [{ device: 'e', metric: 'b', ts: 2, value: 2 }]);
});
