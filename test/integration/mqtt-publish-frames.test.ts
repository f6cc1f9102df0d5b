// PUBLISH frames read from the bytes (src/sources/mqtt-broker/mqtt-publish-frames.ts): the same
// answers as Aedes' own path (mqtt-packet + Aedes, the broker started with publishFrames: false on
// the same pipeline), byte streams split anywhere, other packets between publishes, a bad frame
// refused as before, PUBACK only once the reading is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTestApp, until } from '../helpers/app.js';
import { EmbeddedBroker } from '../../src/sources/mqtt-broker/mqtt-broker.js';
import type { PublishFrameCounts } from '../../src/sources/mqtt-broker/mqtt-publish-frames.js';
import type { RunningApp } from '../../src/app.js';
import { varint } from '../helpers/mqtt-bytes.js';

const str = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
const frame = (header: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([header, ...varint(body.length)]), body]);
const connectFrame = (clientId: string): Buffer => frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60]), str(clientId)]));
const publishFrame = (topic: string, payload: string, qos: 0 | 1, id = 0, flags = 0): Buffer =>
  frame(0x30 | (qos << 1) | flags, Buffer.concat([str(topic), ...(qos ? [Buffer.from([id >> 8, id & 0xff])] : []), Buffer.from(payload)]));
const PINGREQ = Buffer.from([0xc0, 0]);

/** A raw MQTT 3.1.1 connection: every packet the server sends, parsed. */
class RawClient {
  readonly got: { type: number; id?: number }[] = [];
  closed = false;
  /** Called the moment each PUBACK arrives (before anything else runs). */
  onAck?: (id: number) => void;
  private buf = Buffer.alloc(0);
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        if (this.buf.length < 2) return;
        let len = 0;
        let mul = 1;
        let i = 1;
        for (;;) {
          if (i >= this.buf.length) return;
          const b = this.buf[i++];
          len += (b & 0x7f) * mul;
          mul *= 128;
          if (!(b & 0x80)) break;
        }
        if (this.buf.length < i + len) return;
        const type = this.buf[0] >> 4;
        this.got.push(type === 4 ? { type, id: this.buf.readUInt16BE(i) } : { type });
        if (type === 4) this.onAck?.(this.buf.readUInt16BE(i));
        this.buf = this.buf.subarray(i + len);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }
  static async open(port: number, clientId: string): Promise<RawClient> {
    const socket = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.setNoDelay(true);
    const c = new RawClient(socket);
    socket.write(connectFrame(clientId));
    await until(() => c.got.some((p) => p.type === 2) || c.closed, { what: 'CONNACK' });
    assert.ok(!c.closed, 'connected');
    return c;
  }
  /** Writes the bytes in chunks cut at the given lengths (cycled), each its own socket write. */
  async send(bytes: Buffer, cuts: number[]): Promise<void> {
    let at = 0;
    for (let k = 0; at < bytes.length; k++) {
      const n = Math.max(1, cuts[k % cuts.length]);
      this.socket.write(bytes.subarray(at, at + n));
      at += n;
      // Let some chunks arrive apart, others coalesced.
      if (k % 7 === 0) await new Promise((r) => setImmediate(r));
    }
  }
  acks(): number[] {
    return this.got.filter((p) => p.type === 4).map((p) => p.id!);
  }
}

async function completeness(app: RunningApp, device: string): Promise<{ received: number; missing: number; duplicates: number }> {
  const res = await fetch(`${app.httpUrl}/api/v1/devices/${device}/completeness?from=${Date.now() - 3_600_000}&to=${Date.now() + 600_000}`);
  assert.equal(res.status, 200);
  return (await res.json()) as { received: number; missing: number; duplicates: number };
}

/** 40 QoS1 publishes, a PINGREQ among them, a QoS0 one, a DUP resend of #5; cut anywhere. */
function session(device: string): { bytes: Buffer; ids: number[] } {
  const t0 = Date.now() - 60_000;
  const topic = `devices/${device}/telemetry`;
  const parts: Buffer[] = [];
  const ids: number[] = [];
  for (let seq = 1; seq <= 40; seq++) {
    const id = 100 + seq;
    parts.push(publishFrame(topic, JSON.stringify({ seq, ts: t0 + seq, v: seq / 10 }), 1, id));
    ids.push(id);
    if (seq === 10) parts.push(PINGREQ);
  }
  parts.push(publishFrame(topic, JSON.stringify({ seq: 41, ts: t0 + 41, v: 4.1 }), 0));
  parts.push(publishFrame(topic, JSON.stringify({ seq: 5, ts: t0 + 5, v: 0.5 }), 1, 105, 0x08));
  ids.push(105);
  return { bytes: Buffer.concat(parts), ids };
}

test('publish frames: the same PUBACKs, PINGRESP and stored readings as Aedes’ own path, bytes cut anywhere', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const plain = new EmbeddedBroker({ host: '127.0.0.1', port: 0, pipeline: app.pipeline, metrics: app.metrics, logger: app.logger, publishFrames: false });
  await plain.start();
  t.after(() => plain.stop());
  const framed = app.broker!;
  assert.ok(framed.publishFrames, 'on by default');
  assert.equal(plain.publishFrames, undefined);

  const cutsList = [[1], [3, 1, 7], [64], [1000], [5, 13, 2, 40, 1, 1, 9]];
  for (const [n, cuts] of cutsList.entries()) {
    for (const [name, broker] of [
      ['framed', framed],
      ['plain', plain],
    ] as const) {
      const device = `pf-${name}-${n}`;
      const before: PublishFrameCounts = { ...framed.publishFrames! };
      const c = await RawClient.open(broker.port, device);
      const s = session(device);
      await c.send(s.bytes, cuts);
      await until(() => c.acks().length === s.ids.length, { what: `${name} ${cuts}: ${s.ids.length} PUBACKs (got ${c.acks().length})` });
      assert.deepEqual(c.acks(), s.ids, `${name}: PUBACKs in the order the publishes arrived`);
      assert.equal(c.got.filter((p) => p.type === 13).length, 1, `${name}: one PINGRESP`);
      assert.ok(!c.closed);
      const done = await completeness(app, device);
      assert.equal(done.received, 41, `${name}: every reading stored`);
      assert.equal(done.missing, 0);
      assert.equal(done.duplicates, 1, `${name}: the DUP resend counted as a duplicate`);
      if (name === 'framed') {
        assert.equal(framed.publishFrames!.taken - before.taken, 42, 'every publish read from the bytes');
        assert.equal(framed.publishFrames!.handedOver - before.handedOver, 1, 'the PINGREQ handed to mqtt-packet');
      } else assert.deepEqual(framed.publishFrames, before, 'the plain broker does not read frames');
      c.socket.destroy();
    }
  }
});

test('publish frames: a wildcard topic, a retained and a QoS 2 publish take Aedes’ path, with Aedes’ answers', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const framed = app.broker!;
  const counts = framed.publishFrames!;

  // A '+' in a publish topic: Aedes refuses it and closes the connection, after the good publish before it is acknowledged.
  const bad = await RawClient.open(framed.port, 'pf-bad');
  const handed = counts.handedOver;
  await bad.send(
    Buffer.concat([publishFrame('devices/pf-bad/telemetry', '{"seq":1,"v":1}', 1, 7), publishFrame('devices/+/telemetry', '{"v":1}', 1, 8)]),
    [1000],
  );
  await until(() => bad.closed, { what: 'the connection closed over a wildcard topic' });
  assert.equal(counts.handedOver, handed + 1);
  assert.ok(!bad.acks().includes(8));

  // Retained: handed over and kept (a later subscriber gets it); QoS 2: PUBREC from Aedes.
  const dev = await RawClient.open(framed.port, 'pf-ret');
  const before = { ...counts };
  await dev.send(
    Buffer.concat([
      publishFrame('devices/pf-ret/telemetry', '{"seq":1,"v":1}', 1, 1, 0x01),
      frame(0x34, Buffer.concat([str('devices/pf-ret/telemetry'), Buffer.from([0, 2]), Buffer.from('{"seq":2,"v":2}')])),
    ]),
    [1000],
  );
  await until(() => dev.acks().includes(1) && dev.got.some((p) => p.type === 5), { what: 'PUBACK for the retained publish and PUBREC for QoS 2' });
  assert.equal(counts.taken, before.taken);
  assert.equal(counts.handedOver, before.handedOver + 2);
  dev.socket.destroy();
});

test('publish frames: a PUBACK is sent only once the reading is durable (committed, or spooled while the store is busy)', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const c = await RawClient.open(app.broker!.port, 'pf-commit');
  const from = Date.now() - 60_000;
  // Where each acknowledged reading was at the moment its PUBACK arrived.
  const seen: { id: number; spooled: number }[] = [];
  c.onAck = (id) => seen.push({ id, spooled: app.spool.pending });
  // Another connection holds SQLite's write lock: the commit fails busy and the batch goes to the
  // spool, durably, and only then may the PUBACK leave (a PUBACK sent before that finds nothing spooled).
  const lock = new Database(join(app.config.dataDir, 'fieldscope.db'), { fileMustExist: true });
  t.after(() => lock.close());
  lock.exec('BEGIN IMMEDIATE');
  c.socket.write(publishFrame('devices/pf-commit/telemetry', JSON.stringify({ seq: 1, ts: from + 1, v: 1 }), 1, 1));
  await until(() => seen.length === 1, { what: 'PUBACK 1', timeoutMs: 30_000 });
  lock.exec('COMMIT');
  assert.ok(seen[0].spooled >= 1, `PUBACK 1 arrived with ${seen[0].spooled} batches spooled: before its batch was durable`);
  // The store free again: committed (spool replayed first), then acknowledged, then readable.
  c.socket.write(publishFrame('devices/pf-commit/telemetry', JSON.stringify({ seq: 2, ts: from + 2, v: 2 }), 1, 2));
  await until(() => seen.length === 2, { what: 'PUBACK 2', timeoutMs: 30_000 });
  await until(
    async () => {
      const res = await fetch(`${app.httpUrl}/api/v1/devices/pf-commit/telemetry?metric=v&from=${from}&to=${from + 100}&limit=100`);
      const body = (await res.json()) as { series: Record<string, { value: number[] }> };
      return body.series.v?.value.length === 2;
    },
    { what: 'both readings stored' },
  );
  c.socket.destroy();
});

test('publish frames: the socket chunk a publish was read from may be overwritten once parsed: every acknowledged reading is stored as sent', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const device = 'pf-reused-chunk';
  const c = await RawClient.open(app.broker!.port, device);
  // The payload handed on is a view of the chunk: whatever needs it after the parse (the pipeline's
  // batch, the spool, a dead letter) must have taken what it needs by then. Here each chunk is wiped
  // the moment the parser returns, as a stream that reused its read buffer would.
  const clients = (app.broker as unknown as { aedes: { clients: Record<string, { _parser: { parse(b: Buffer): number } }> } }).aedes.clients;
  const parser = clients[device]._parser;
  const parse = parser.parse;
  let wiped = 0;
  parser.parse = function (this: unknown, buf: Buffer) {
    const r = parse.call(this, buf);
    buf.fill(0x20);
    wiped++;
    return r;
  };
  const s = session(device);
  // Whole frames in one chunk: their payloads are views of the chunk itself (a frame cut across
  // chunks is read from a copy joined from both).
  c.socket.write(s.bytes);
  await until(() => c.acks().length === s.ids.length, { what: `${s.ids.length} PUBACKs (got ${c.acks().length})` });
  assert.ok(wiped >= 1, 'the chunk was wiped after the parse');
  const t0 = Date.now() - 120_000;
  const res = await fetch(`${app.httpUrl}/api/v1/devices/${device}/telemetry?metric=v&from=${t0}&to=${Date.now()}&limit=100`);
  const body = (await res.json()) as { series: Record<string, { value: number[] }> };
  const values = body.series.v?.value ?? [];
  assert.deepEqual(
    [...values].sort((a, b) => a - b),
    Array.from({ length: 41 }, (_, i) => (i + 1) / 10).sort((a, b) => a - b),
    'each acknowledged reading stored with the value it was sent with',
  );
  const done = await completeness(app, device);
  assert.equal(done.received, 41);
  c.socket.destroy();
});
