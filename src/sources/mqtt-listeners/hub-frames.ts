import type { Socket } from 'node:net';

/**
 * The channel between the main process and its MQTT listener processes: a Unix socket carrying
 * length-prefixed frames (u32 length of what follows, u8 kind, body). Control frames carry JSON;
 * publishes travel in binary batches, so a batch of hundreds of messages costs one write, one
 * read and no JSON.
 */
export const enum Frame {
  /** listener -> main: {index, token}. */
  Hello = 1,
  /** main -> listener: ListenerSettings. */
  Settings = 2,
  /** listener -> main: {port}. */
  Ready = 3,
  /** listener -> main: AuthRequest. */
  Auth = 4,
  /** main -> listener: {req, ok, returnCode?, reason?}. */
  AuthResult = 5,
  /** listener -> main: {session}: the connection has gone. */
  Gone = 6,
  /** listener -> main: a publish batch (encodeBatch). */
  Batch = 7,
  /** main -> listener: the batch's outcome per message, after commit or spool (encodeResults). */
  BatchResult = 8,
  /** listener -> main: {req, session, topic}. */
  Subscribe = 9,
  /** main -> listener: {req, allowed}. */
  SubscribeResult = 10,
  /** main -> listener: {session}: close it (credential revoked, or its client id signed in elsewhere). */
  Close = 11,
  /** main -> listener: {req, topic, payload (base64), qos, retain}: the server's own publish. */
  Publish = 12,
  /** listener -> main: {req, error?}. */
  PublishDone = 13,
  /** listener -> main: {reason}: a connection refused before sign-in (counted by the main process). */
  Refused = 14,
}

export interface AuthRequest {
  req: number;
  session: number;
  clientId: string;
  assignedId: boolean;
  ip: string;
  username?: string;
  /** base64; absent when none was sent. */
  password?: string;
}

export function frame(kind: Frame, body: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(body.length + 1, 0);
  head.writeUInt8(kind, 4);
  return Buffer.concat([head, body]);
}

export function sendJson(socket: Socket, kind: Frame, value: unknown): void {
  socket.write(frame(kind, Buffer.from(JSON.stringify(value))));
}

/** Calls back once per whole frame, however the stream is cut into chunks. */
export function readFrames(socket: Socket, onFrame: (kind: Frame, body: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 5) {
      const len = buf.readUInt32BE(at);
      if (buf.length - at - 4 < len) break;
      const kind = buf.readUInt8(at + 4) as Frame;
      onFrame(kind, buf.subarray(at + 5, at + 4 + len));
      at += 4 + len;
    }
    buf = at === buf.length ? Buffer.alloc(0) : buf.subarray(at);
  });
}

export function json<T>(body: Buffer): T {
  return JSON.parse(body.toString('utf8')) as T;
}

export interface BatchMessage {
  session: number;
  topic: string;
  payload: Buffer;
}

/** u32 batch id, u32 count, then per message: u32 session, u16 topic length, topic, u32 payload length, payload. */
export function encodeBatch(id: number, messages: readonly BatchMessage[]): Buffer {
  let size = 8;
  for (const m of messages) size += 10 + Buffer.byteLength(m.topic) + m.payload.length;
  const out = Buffer.allocUnsafe(size + 5);
  out.writeUInt32BE(size + 1, 0);
  out.writeUInt8(Frame.Batch, 4);
  let at = 5;
  out.writeUInt32BE(id, at);
  out.writeUInt32BE(messages.length, at + 4);
  at += 8;
  for (const m of messages) {
    out.writeUInt32BE(m.session, at);
    const t = out.write(m.topic, at + 6, 'utf8');
    out.writeUInt16BE(t, at + 4);
    at += 6 + t;
    out.writeUInt32BE(m.payload.length, at);
    m.payload.copy(out, at + 4);
    at += 4 + m.payload.length;
  }
  return out;
}

export function decodeBatch(body: Buffer): { id: number; messages: BatchMessage[] } {
  const id = body.readUInt32BE(0);
  const n = body.readUInt32BE(4);
  const messages: BatchMessage[] = new Array(n);
  let at = 8;
  for (let i = 0; i < n; i++) {
    const session = body.readUInt32BE(at);
    const tl = body.readUInt16BE(at + 4);
    const topic = body.toString('utf8', at + 6, at + 6 + tl);
    at += 6 + tl;
    const pl = body.readUInt32BE(at);
    // A copy: the pipeline may keep the payload (spool, dead letters) after the read buffer is reused.
    const payload = Buffer.from(body.subarray(at + 4, at + 4 + pl));
    at += 4 + pl;
    messages[i] = { session, topic, payload };
  }
  return { id, messages };
}

/** Per message null (taken: committed or spooled) or the reason it was not (the listener refuses that publish). */
export function encodeResults(id: number, results: readonly (string | null)[]): Buffer {
  const reasons = results.map((r) => (r === null ? null : Buffer.from(r.slice(0, 1000))));
  let size = 8;
  for (const r of reasons) size += 1 + (r ? 2 + r.length : 0);
  const out = Buffer.allocUnsafe(size + 5);
  out.writeUInt32BE(size + 1, 0);
  out.writeUInt8(Frame.BatchResult, 4);
  out.writeUInt32BE(id, 5);
  out.writeUInt32BE(results.length, 9);
  let at = 13;
  for (const r of reasons) {
    out.writeUInt8(r ? 1 : 0, at++);
    if (!r) continue;
    out.writeUInt16BE(r.length, at);
    r.copy(out, at + 2);
    at += 2 + r.length;
  }
  return out;
}

export function decodeResults(body: Buffer): { id: number; results: (string | null)[] } {
  const id = body.readUInt32BE(0);
  const n = body.readUInt32BE(4);
  const results: (string | null)[] = new Array(n);
  let at = 8;
  for (let i = 0; i < n; i++) {
    const refused = body.readUInt8(at++);
    if (!refused) {
      results[i] = null;
      continue;
    }
    const len = body.readUInt16BE(at);
    results[i] = body.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
  }
  return { id, results };
}
