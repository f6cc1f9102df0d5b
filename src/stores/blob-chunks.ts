import { createHash, randomUUID } from 'node:crypto';
import type { BlobInfo, BlobStore } from './store.js';

/**
 * Bytes per stored chunk. Small enough that a reader or writer holds a few of them at most (not the
 * image), large enough that a 64 MiB image is 256 rows, not thousands.
 */
export const BLOB_CHUNK_BYTES = 256 * 1024;

/** Stored bytes that do not match their sha256: a damaged row, never served as if it were the file. */
export class BlobCorrupt extends Error {
  constructor(
    readonly key: string,
    what: string,
  ) {
    super(`stored file ${key}: ${what}`);
    this.name = 'BlobCorrupt';
  }
}

/** A committed file's row: its info and the upload whose chunks hold its bytes. */
export interface BlobRow extends BlobInfo {
  upload: string;
  chunkBytes: number;
}

/** What each engine implements with its own tables (blobs, blob_chunks); ChunkedBlobs does the rest. */
export interface BlobTables {
  insertChunk(upload: string, n: number, data: Buffer, sha256: Buffer, createdAt: number): Promise<void>;
  /** Makes the upload visible under row.key; false (nothing changed) when the key exists. */
  commit(row: BlobRow): Promise<boolean>;
  /** Deletes an upload's chunks. */
  dropUpload(upload: string): Promise<void>;
  row(key: string): Promise<BlobRow | undefined>;
  rows(prefix: string): Promise<BlobRow[]>;
  chunk(upload: string, n: number): Promise<{ data: Buffer; sha256: Buffer } | undefined>;
  /** Deletes the row and its chunks together; false when there was none. */
  deleteRow(key: string): Promise<boolean>;
  /** Deletes chunks of uploads no row refers to, written before `before`; how many. */
  sweepChunks(before: number): Promise<number>;
}

/** Cuts a stream of any-sized pieces into chunks of exactly `size` bytes (the last one shorter). */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const piece of source) {
    let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (held + buf.length >= size) {
      const take = size - held;
      parts.push(buf.subarray(0, take));
      yield Buffer.concat(parts, size);
      parts = [];
      held = 0;
      buf = buf.subarray(take);
    }
    if (buf.length) {
      // A copy: the source may reuse its buffer once this loop asks for the next piece.
      parts.push(Buffer.from(buf));
      held += buf.length;
    }
  }
  if (held) yield Buffer.concat(parts, held);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

/** The BlobStore of an engine: chunked writes that appear at once, and checked chunked reads. */
export class ChunkedBlobs implements BlobStore {
  constructor(
    private readonly tables: BlobTables,
    private readonly chunkBytes = BLOB_CHUNK_BYTES,
  ) {}

  async put(key: string, source: AsyncIterable<Uint8Array>): Promise<BlobInfo & { created: boolean }> {
    const existing = await this.tables.row(key);
    if (existing) return { ...info(existing), created: false };
    const upload = randomUUID();
    const whole = createHash('sha256');
    const createdAt = Date.now();
    let size = 0;
    let n = 0;
    try {
      for await (const chunk of rechunk(source, this.chunkBytes)) {
        whole.update(chunk);
        size += chunk.length;
        await this.tables.insertChunk(upload, n++, chunk, sha(chunk), createdAt);
      }
      const row: BlobRow = { key, upload, size, sha256: whole.digest('hex'), createdAt, chunkBytes: this.chunkBytes };
      if (await this.tables.commit(row)) return { ...info(row), created: true };
      // Another writer (another node importing the same file) committed first: its bytes stay.
      await this.tables.dropUpload(upload);
      const winner = await this.tables.row(key);
      if (!winner) throw new Error(`stored file ${key} vanished while it was written`);
      return { ...info(winner), created: false };
    } catch (err) {
      await this.tables.dropUpload(upload).catch(() => undefined);
      throw err;
    }
  }

  async info(key: string): Promise<BlobInfo | undefined> {
    const r = await this.tables.row(key);
    return r && info(r);
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    return (await this.tables.rows(prefix)).map(info);
  }

  async *read(key: string, range?: { start: number; end: number }): AsyncGenerator<Buffer> {
    const row = await this.tables.row(key);
    if (!row) throw new BlobCorrupt(key, 'not stored');
    const start = range?.start ?? 0;
    const end = range?.end ?? row.size - 1;
    if (row.size === 0 || end < start) return;
    if (start < 0 || end >= row.size) throw new RangeError(`bytes ${start}-${end} are outside ${key} (${row.size} bytes)`);
    const whole = !range || (start === 0 && end === row.size - 1) ? createHash('sha256') : null;
    const last = Math.floor(end / row.chunkBytes);
    for (let n = Math.floor(start / row.chunkBytes); n <= last; n++) {
      const c = await this.tables.chunk(row.upload, n);
      const expected = n === Math.floor((row.size - 1) / row.chunkBytes) ? row.size - n * row.chunkBytes : row.chunkBytes;
      if (!c) throw new BlobCorrupt(key, `chunk ${n} is missing`);
      if (c.data.length !== expected) throw new BlobCorrupt(key, `chunk ${n} holds ${c.data.length} bytes, not ${expected}`);
      if (!sha(c.data).equals(c.sha256)) throw new BlobCorrupt(key, `chunk ${n} does not match its sha256`);
      whole?.update(c.data);
      const from = n * row.chunkBytes;
      yield c.data.subarray(Math.max(0, start - from), Math.min(c.data.length, end - from + 1));
    }
    if (whole && whole.digest('hex') !== row.sha256) throw new BlobCorrupt(key, 'the whole file does not match its sha256');
  }

  delete(key: string): Promise<boolean> {
    return this.tables.deleteRow(key);
  }

  sweep(before: number): Promise<number> {
    return this.tables.sweepChunks(before);
  }
}

const info = (r: BlobRow): BlobInfo => ({ key: r.key, size: r.size, sha256: r.sha256, createdAt: r.createdAt });
