// The MQTT parser's byte list without a stream (src/sources/mqtt-broker/mqtt-parser-bytes.ts): the
// same packets as mqtt-packet's own BufferListStream for byte streams cut anywhere, the same slices,
// and every connection the broker serves uses it (per-connection memory, docs/many-devices.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { connect as tcpConnect } from 'node:net';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import { startTestApp, until } from '../helpers/app.js';
import { ParserBytes } from '../../src/sources/mqtt-broker/mqtt-parser-bytes.js';
import { varint } from '../helpers/mqtt-bytes.js';

interface MqttParser {
  _list: unknown;
  parse(buf: Buffer): number;
  on(event: 'packet' | 'error', f: (x: unknown) => void): void;
}

/** mqtt-packet's Parser class, taken from a connection Aedes makes (it is not a dependency of ours). */
async function parserFactory(): Promise<{ make: () => MqttParser; close: () => Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const client = aedes.handle(new PassThrough() as never) as unknown as { _parser: { constructor: { parser: () => MqttParser } } };
  const Parser = client._parser.constructor;
  return { make: () => Parser.parser(), close: () => new Promise<void>((r) => aedes.close(() => r())) };
}

const str = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
const frame = (header: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([header, ...varint(body.length)]), body]);

/** A random byte stream of MQTT 3.1.1 packets: CONNECT (with credentials), PUBLISH of every size class, SUBSCRIBE, PINGREQ. */
function stream(rand: () => number): Buffer {
  const parts = [frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str('dev-1'), str('user'), str(Buffer.from([0, 1, 2, 255]))]))];
  for (let k = 0; k < 60; k++) {
    const r = rand();
    if (r < 0.1) parts.push(Buffer.from([0xc0, 0]));
    else if (r < 0.2) parts.push(frame(0x82, Buffer.concat([Buffer.from([0, k + 1]), str(`devices/d${k}/commands`), Buffer.from([1])])));
    else {
      const size = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000][Math.floor(rand() * 8)];
      const payload = Buffer.alloc(size, k);
      const qos = k % 2;
      parts.push(frame(0x30 | (qos << 1), Buffer.concat([str(`devices/d${k}/telemetry`), ...(qos ? [Buffer.from([k >> 8, k & 0xff])] : []), payload])));
    }
  }
  return Buffer.concat(parts);
}

function parseAll(p: MqttParser, bytes: Buffer, cuts: number[]): unknown[] {
  const out: unknown[] = [];
  p.on('packet', (x) => out.push(x));
  p.on('error', (e) => out.push({ error: (e as Error).message }));
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = Math.max(1, cuts[k % cuts.length]);
    p.parse(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

test('the parser gives the same packets with ParserBytes as with its BufferListStream, bytes cut anywhere', async (t) => {
  const f = await parserFactory();
  t.after(() => f.close());
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (const cuts of [[1], [2, 5, 3], [64], [1000], [100_000], [7, 1, 4096, 3, 129, 1, 1, 2]]) {
    const bytes = stream(rand);
    const own = f.make();
    const ours = f.make();
    ours._list = new ParserBytes();
    const a = parseAll(own, bytes, cuts);
    const b = parseAll(ours, bytes, cuts);
    assert.ok(a.length > 60, `${a.length} packets`);
    assert.deepEqual(b, a, `cuts ${cuts}`);
  }
  // A bad frame errs the same way (reserved packet type 0).
  const bad = Buffer.from([0x00, 0x00]);
  const own = f.make();
  const ours = f.make();
  ours._list = new ParserBytes();
  assert.deepEqual(parseAll(ours, bad, [1]), parseAll(own, bad, [1]));
});

test('ParserBytes slices as a concatenation would: views inside one chunk, copies across, past the end empty or thrown', () => {
  let seed = 3;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let round = 0; round < 200; round++) {
    const list = new ParserBytes();
    const chunks = Array.from({ length: 1 + Math.floor(rand() * 5) }, () =>
      Buffer.from(Array.from({ length: Math.floor(rand() * 9) }, () => Math.floor(rand() * 256))),
    );
    for (const c of chunks) list.append(c);
    let flat = Buffer.concat(chunks);
    const eaten = Math.floor(rand() * 4);
    list.consume(eaten);
    flat = flat.subarray(Math.min(eaten, flat.length));
    assert.equal(list.length, flat.length);
    for (let k = 0; k < 20; k++) {
      const s = Math.floor(rand() * (flat.length + 3)) - 1;
      const e = Math.floor(rand() * (flat.length + 3)) - 1;
      const want = flat.subarray(s < 0 ? Math.max(0, flat.length + s) : s, e < 0 ? Math.max(0, flat.length + e) : e);
      assert.deepEqual([...list.slice(s, e)], [...want], `slice(${s}, ${e}) of ${flat.length}`);
      if (s >= 0 && s < flat.length) assert.equal(list.readUInt8(s), flat[s]);
      if (s >= 0 && s + 2 <= flat.length) assert.equal(list.readUInt16BE(s), flat.readUInt16BE(s));
      if (s >= 0 && s + 4 <= flat.length) assert.equal(list.readUInt32BE(s), flat.readUInt32BE(s));
    }
    assert.throws(() => list.readUInt8(flat.length), RangeError);
    assert.throws(() => list.readUInt16BE(Math.max(0, flat.length - 1)), RangeError);
  }
  const one = Buffer.from('abcdef');
  const list = new ParserBytes().append(one).append(Buffer.from('gh'));
  assert.equal(list.slice(1, 4).buffer, one.buffer, 'inside one chunk: a view of it');
  assert.equal(list.toString('utf8', 4, 8), 'efgh');
});

test('every connection the broker serves parses through ParserBytes, not a stream', async (t) => {
  const app = await startTestApp();
  t.after(() => app.stop());
  const broker = app.broker as unknown as { aedes: { clients: Record<string, { _parser: { _list: unknown } }> }; port: number };
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'pb-1', reconnectPeriod: 0 });
  t.after(() => c.end(true));
  await c.publishAsync('devices/pb-1/telemetry', JSON.stringify({ seq: 1, v: 1 }), { qos: 1 });
  const client = await until(() => broker.aedes.clients['pb-1'], { what: 'the connection in Aedes' });
  assert.ok(client._parser._list instanceof ParserBytes, `parser list is ${(client._parser._list as object).constructor.name}`);
  // A raw socket that has sent nothing yet: already replaced (before the first byte is read).
  const raw = tcpConnect(broker.port, '127.0.0.1');
  t.after(() => raw.destroy());
  await new Promise((r) => raw.once('connect', r));
  await new Promise((r) => setTimeout(r, 50));
  raw.write(frame(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60]), str('pb-2')])));
  const second = await until(() => broker.aedes.clients['pb-2'], { what: 'the raw connection in Aedes' });
  assert.ok(second._parser._list instanceof ParserBytes);
});
