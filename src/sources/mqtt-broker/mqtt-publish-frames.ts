import type { Socket } from 'node:net';

/**
 * A connected client's PUBLISH frames (QoS 0 and 1, not retained) read straight from the socket's
 * bytes, without mqtt-packet's parser and Aedes' per-publish machinery.
 *
 * Per publish, Aedes and mqtt-packet build a buffer list entry, a Packet (a dozen fields), a PubAck
 * object, a bound `done` and a closure in `runSeries`, and write the PUBACK through mqtt-packet's
 * generic writer (several stream writes, a cork and a `nextTick` uncork per packet), then a
 * `setImmediate` before the publish is forwarded: a third of the main thread at full ingest. Here
 * a chunk is split into frames once; a publish frame becomes one small object handed to the very
 * same `authorizePublish` (the pipeline takes the telemetry there and answers after the commit),
 * and the PUBACKs a client earned in one tick leave in one 4-bytes-each write.
 *
 * What stays Aedes': every other packet (CONNECT, SUBSCRIBE, PINGREQ, PUBACK from the client,
 * DISCONNECT...), retained and QoS 2 publishes, MQTT 5 clients (which this Aedes refuses at CONNECT
 * anyway; their publishes would carry properties), any frame this does not fully
 * understand (a topic with bytes outside printable ASCII, `#` or `+`, too many levels, an empty
 * topic, a frame too short): that frame alone goes to mqtt-packet's parser, which then holds no
 * partial packet, so Aedes answers it, errors included, exactly as before. Frames are dispatched
 * in the order they arrive. Forwarding goes through `aedes.publish` (so the fast path for a topic
 * nobody subscribes to, mqtt-publish-fast-path.ts, applies, and a subscriber still gets it).
 *
 * Flow control is Aedes': it reads the socket's next chunk only once every packet of the last one
 * has called its `done` (`_parsingBatch`), which here is after the PUBACK was written (after the
 * commit), or after the socket drained if the write buffer was full.
 *
 * node_modules is not patched: the parser instance's `parse` is replaced by one shared function
 * (no closure per connection), which splits frames while the parser holds no partial packet.
 */

const FRAMING = Symbol('frames split here');
const REST = Symbol('partial frame');
const TOPIC = Symbol('last topic');
const ACKS = Symbol('pending PUBACKs');

type Done = (err?: Error | null) => void;

/** The packet handed to authorizePublish and, when forwarded, to aedes.publish: mqtt-packet's fields. */
export class FramePublish {
  readonly cmd = 'publish' as const;
  readonly retain = false;
  readonly length: number;
  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: 0 | 1,
    readonly dup: boolean,
    readonly messageId: number | undefined,
    length: number,
  ) {
    this.length = length;
  }
}

interface AckQueue {
  packets: FramePublish[];
}

interface ClientInternals {
  closed: boolean;
  connected: boolean;
  connecting: boolean;
  connackSent: boolean;
  errored: boolean;
  version: number | null;
  conn: Socket;
  _parsingBatch: number;
  _nextBatch: Done;
  _keepaliveInterval: number;
  _keepaliveTimer: { refresh(): void } | null;
  broker: BrokerInternals;
  waitForDrain(cb: (err: Error | null) => void): void;
  [ACKS]?: AckQueue;
}

interface BrokerInternals {
  maxTopicLevels: number;
  authorizePublish(client: ClientInternals, packet: FramePublish, done: Done): void;
  publish(packet: FramePublish, client: ClientInternals, done: Done): void;
  [COUNTS]?: PublishFrameCounts;
}

interface ParserInternals {
  client: ClientInternals;
  error: Error | null;
  _list: { length: number };
  _stateCounter: number;
  [FRAMING]?: boolean;
  [REST]?: Buffer;
  [TOPIC]?: string;
}

const COUNTS = Symbol('publish frame counts');

/** How many publishes took this path (read by tests and the bench). */
export interface PublishFrameCounts {
  taken: number;
  /** Frames handed to mqtt-packet while this path was splitting frames. */
  handedOver: number;
}

type Parse = (this: ParserInternals, buf: Buffer) => number;

/** Makes the broker's clients' publish frames take this path; returns the counts. */
export function enablePublishFrames(aedes: object): PublishFrameCounts {
  const counts: PublishFrameCounts = { taken: 0, handedOver: 0 };
  (aedes as BrokerInternals)[COUNTS] = counts;
  return counts;
}

/** For a client Aedes just made (`aedes.handle(socket)`): its parser splits frames here. */
export function readPublishFrames(client: object): void {
  const parser = (client as { _parser: ParserInternals & { parse: Parse } })._parser;
  protoParse ??= (Object.getPrototypeOf(parser) as { parse: Parse }).parse;
  parser.parse = framedParse;
}

let protoParse: Parse | undefined;

function framedParse(this: ParserInternals, buf: Buffer): number {
  const client = this.client;
  if (!this[FRAMING]) {
    // Until CONNACK (and for MQTT 5, whose publishes carry properties) every byte is mqtt-packet's;
    // taking over only when its parser holds nothing means no frame is ever split between the two.
    if (!client.connackSent || !client.connected || client.version === 5 || this.error || this._list.length !== 0 || this._stateCounter !== 0)
      return protoParse!.call(this, buf);
    this[FRAMING] = true;
  }
  let data = buf;
  const rest = this[REST];
  if (rest) {
    data = Buffer.concat([rest, buf]);
    this[REST] = undefined;
  }
  const end = data.length;
  let pos = 0;
  let taken = false;
  while (pos < end) {
    if (client.closed) return 0;
    if (end - pos < 2) break;
    let len = 0;
    let mul = 1;
    let i = pos + 1;
    let complete = false;
    for (let k = 0; k < 4 && i < end; k++) {
      const b = data[i++];
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        complete = true;
        break;
      }
    }
    if (!complete) {
      if (i - pos - 1 < 4) break; // the length's bytes have not all arrived
      // A malformed length: mqtt-packet's parser says so, as before.
      return handOver(this, data.subarray(pos));
    }
    const frameEnd = i + len;
    if (frameEnd > end) break;
    if (takePublish(this, client, data, data[pos], i, frameEnd)) taken = true;
    else {
      const counts = client.broker[COUNTS];
      if (counts) counts.handedOver++;
      protoParse!.call(this, data.subarray(pos, frameEnd));
      // Whatever mqtt-packet did not finish (an error it met) stays its own, with every byte after it.
      if (this.error || this._list.length !== 0 || this._stateCounter !== 0) {
        if (frameEnd < end) return handOver(this, data.subarray(frameEnd));
        this[FRAMING] = false;
        return 0;
      }
    }
    pos = frameEnd;
  }
  if (taken && client._keepaliveInterval > 0) client._keepaliveTimer?.refresh();
  if (pos < end) this[REST] = Buffer.from(data.subarray(pos)); // a copy: the chunk it came from is let go
  return end - pos;
}

function handOver(parser: ParserInternals, bytes: Buffer): number {
  parser[FRAMING] = false;
  return protoParse!.call(parser, bytes);
}

/** Takes one PUBLISH frame if it is QoS 0/1, not retained, with a plain topic; false: mqtt-packet's. */
function takePublish(parser: ParserInternals, client: ClientInternals, data: Buffer, header: number, start: number, end: number): boolean {
  // 0x30 QoS 0, 0x32 QoS 1, 0x3a QoS 1 DUP; retained (bit 0), QoS 2 and anything else are Aedes'.
  if (header !== 0x32 && header !== 0x3a && header !== 0x30) return false;
  const qos = header === 0x30 ? 0 : 1;
  if (end - start < 2) return false;
  const topicLen = (data[start] << 8) | data[start + 1];
  const topicStart = start + 2;
  const topicEnd = topicStart + topicLen;
  if (topicLen === 0 || topicEnd + qos * 2 > end) return false;
  let levels = 1;
  for (let k = topicStart; k < topicEnd; k++) {
    const c = data[k];
    // Printable ASCII without the wildcards (which Aedes refuses in a publish, as mqtt-packet's error paths do).
    if (c < 0x20 || c > 0x7e || c === 0x23 || c === 0x2b) return false;
    if (c === 0x2f) levels++;
  }
  if (levels > client.broker.maxTopicLevels) return false;
  // A device publishes to the same topic every time: one string per connection, not per publish.
  let topic = parser[TOPIC];
  if (topic === undefined || topic.length !== topicLen || !sameAscii(data, topicStart, topic)) {
    topic = data.toString('latin1', topicStart, topicEnd);
    parser[TOPIC] = topic;
  }
  const messageId = qos ? (data[topicEnd] << 8) | data[topicEnd + 1] : undefined;
  const payload = data.subarray(topicEnd + qos * 2, end);
  const packet = new FramePublish(topic, payload, qos, header === 0x3a, messageId, end - start);
  const counts = client.broker[COUNTS];
  if (counts) counts.taken++;
  client._parsingBatch++;
  client.broker.authorizePublish(client, packet, (err) => {
    if (err) return client._nextBatch(err);
    if (packet.qos === 0) return client.broker.publish(packet, client, client._nextBatch);
    queueAck(client, packet);
  });
  return true;
}

function sameAscii(data: Buffer, at: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if (data[at + k] !== s.charCodeAt(k)) return false;
  return true;
}

/** PUBACKs earned in one tick leave together, in the order their publishes arrived. */
function queueAck(client: ClientInternals, packet: FramePublish): void {
  let q = client[ACKS];
  if (!q) q = client[ACKS] = { packets: [] };
  q.packets.push(packet);
  if (q.packets.length === 1) process.nextTick(flushAcks, client);
}

function flushAcks(client: ClientInternals): void {
  const q = client[ACKS]!;
  const packets = q.packets;
  q.packets = [];
  if (!(client.connecting || client.connected)) return finish(client, packets, new Error('connection closed'));
  const out = Buffer.allocUnsafe(4 * packets.length);
  for (let i = 0; i < packets.length; i++) {
    const at = 4 * i;
    out[at] = 0x40; // PUBACK
    out[at + 1] = 2;
    out[at + 2] = packets[i].messageId! >> 8;
    out[at + 3] = packets[i].messageId! & 0xff;
  }
  // As Aedes' write: a full socket buffer holds the next read until it drains.
  if (!client.conn.write(out) && !client.errored) client.waitForDrain((err) => finish(client, packets, err));
  else finish(client, packets, null);
}

function finish(client: ClientInternals, packets: FramePublish[], err: Error | null): void {
  for (let i = 0; i < packets.length; i++) {
    if (err) client._nextBatch(i === 0 ? err : null);
    else client.broker.publish(packets[i], client, client._nextBatch);
  }
}
