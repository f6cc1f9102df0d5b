/**
 * The bytes an Aedes connection's MQTT parser has received and not yet parsed, without a stream.
 *
 * mqtt-packet's parser keeps them in a `bl` BufferListStream: a Duplex (readable state, writable
 * state, an event table, their arrays) of which it uses only the list methods below. Per idle
 * connection that stream was ~0.7 KiB of the listener's heap (heap snapshots, BENCHMARKS.md "Stop
 * 19: many devices"): with 100,000 devices, ~70 MiB for nothing. `ParserBytes` keeps the same list
 * with the same results (a slice inside one chunk is a view of it, across chunks a copy; a read past
 * the end throws RangeError), and reads single bytes without making a slice for each.
 */
export class ParserBytes {
  length = 0;
  private bufs: Buffer[] = [];

  append(buf: Buffer | Uint8Array | null | undefined): this {
    if (buf == null) return this;
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.bufs.push(b);
    this.length += b.length;
    return this;
  }

  consume(bytes: number): this {
    bytes = Math.trunc(bytes);
    if (Number.isNaN(bytes) || bytes <= 0) return this;
    while (this.bufs.length) {
      const head = this.bufs[0];
      if (bytes >= head.length) {
        bytes -= head.length;
        this.length -= head.length;
        this.bufs.shift();
      } else {
        this.bufs[0] = head.subarray(bytes);
        this.length -= bytes;
        break;
      }
    }
    return this;
  }

  /** Bytes [start, end): the chunk itself or a view of it when they lie in one chunk, else a copy. */
  slice(start?: number, end?: number): Buffer {
    if (typeof start === 'number' && start < 0) start += this.length;
    if (typeof end === 'number' && end < 0) end += this.length;
    if (typeof start !== 'number' || start < 0) start = 0;
    if (typeof end !== 'number' || end > this.length) end = this.length;
    // end <= start: empty (bl's slice then gave bytes counted from the end; the parser never asks it).
    if (start >= this.length || end <= 0 || end <= start) return Buffer.alloc(0);
    if (start === 0 && end === this.length) return this.bufs.length === 1 ? this.bufs[0] : Buffer.concat(this.bufs, this.length);
    let i = 0;
    let at = start;
    while (i < this.bufs.length - 1 && at >= this.bufs[i].length) at -= this.bufs[i++].length;
    const len = end - start;
    if (len <= this.bufs[i].length - at) return this.bufs[i].subarray(at, at + len);
    const out = Buffer.allocUnsafe(len);
    let filled = 0;
    for (; i < this.bufs.length && filled < len; i++, at = 0) {
      const n = Math.min(this.bufs[i].length - at, len - filled);
      this.bufs[i].copy(out, filled, at, at + n);
      filled += n;
    }
    return filled < len ? out.subarray(0, filled) : out;
  }

  toString(encoding?: BufferEncoding, start?: number, end?: number): string {
    return this.slice(start, end).toString(encoding);
  }

  readUInt8(offset = 0): number {
    if (offset >= 0 && offset < this.length) {
      let i = 0;
      while (offset >= this.bufs[i].length) offset -= this.bufs[i++].length;
      return this.bufs[i][offset];
    }
    return this.slice(offset, offset + 1).readUInt8(0);
  }

  readUInt16BE(offset = 0): number {
    return this.slice(offset, offset + 2).readUInt16BE(0);
  }

  readUInt32BE(offset = 0): number {
    return this.slice(offset, offset + 4).readUInt32BE(0);
  }
}

interface ParserHolder {
  _parser?: { _list?: { length: number } };
}

/**
 * Gives a connection's parser a ParserBytes in place of its stream, before it has read a byte (right
 * after aedes.handle(): Aedes reads on the socket's 'readable' event, later). A parser that errs
 * makes itself a new stream (mqtt-packet's _resetState); its connection is closed then anyway.
 */
export function useParserBytes(client: unknown): void {
  const parser = (client as ParserHolder)._parser;
  if (parser?._list && parser._list.length === 0) parser._list = new ParserBytes();
}
