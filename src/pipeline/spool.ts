import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Message } from '../model/reading.js';
import type { RejectedRecord } from '../stores/store.js';
import type { SequenceUpdate } from './sequence.js';

/** One batch the store could not take, as accepted from its senders. */
export interface SpoolRecord {
  messages: Message[];
  rejected: RejectedRecord[];
  sequence?: SequenceUpdate;
  /** The WriteBatch id of the failed commit: its replay is skipped if that commit did happen. */
  batch?: string;
}

export class SpoolFullError extends Error {}

/** Neither the store nor the spool could take a batch: its senders must send again later. */
export class StoreUnavailableError extends Error {
  constructor(override readonly cause: Error) {
    super(`store unavailable and spool refused the batch: ${cause.message}`);
  }
}

/**
 * An append-only file of batches, one JSON line each, fsync'd before the senders are answered.
 * The first line names the spool's generation; the replayer records how far it got in the store
 * (in the same transaction as the replayed rows) under that name, so a crash mid-replay never
 * writes a batch twice. Emptied (and given a new generation) once everything is replayed.
 */
export class Spool {
  private fd = -1;
  private size = 0;
  /** [start, end) of each record not yet replayed, oldest first. */
  private records: [number, number][] = [];
  generation = '';

  constructor(
    private readonly path: string,
    private readonly opts: { maxBytes: number },
  ) {}

  open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const existed = existsSync(this.path);
    this.fd = openSync(this.path, existed ? 'r+' : 'w+');
    this.size = fstatSync(this.fd).size;
    if (!existed || this.size === 0) return this.reset();
    const text = this.readRange(0, this.size).toString('utf8');
    let pos = 0;
    let lineNo = 0;
    let good = 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break; // torn tail: its senders were never answered
      const line = text.slice(pos, nl);
      const start = Buffer.byteLength(text.slice(0, pos));
      const end = start + Buffer.byteLength(line) + 1;
      try {
        const parsed = JSON.parse(line) as { gen?: string };
        if (lineNo === 0) this.generation = String(parsed.gen ?? '');
        else this.records.push([start, end]);
      } catch {
        break;
      }
      good = end;
      lineNo++;
      pos = nl + 1;
    }
    if (!this.generation) return this.reset();
    if (good < this.size) {
      ftruncateSync(this.fd, good);
      fsyncSync(this.fd);
      this.size = good;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Records waiting for the store. */
  get pending(): number {
    return this.records.length;
  }

  /** Bytes waiting for the store. */
  get depthBytes(): number {
    return this.records.length ? this.size - this.records[0][0] : 0;
  }

  /** Appends a batch durably; throws when the disk refuses or the spool is full. */
  append(rec: SpoolRecord): void {
    const buf = Buffer.from(JSON.stringify(rec) + '\n');
    if (this.depthBytes + buf.length > this.opts.maxBytes) throw new SpoolFullError(`spool is full (${this.opts.maxBytes} bytes)`);
    const start = this.size;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, start + off);
      fsyncSync(this.fd);
    } catch (err) {
      // Leave no half record behind for the next append to follow.
      try {
        ftruncateSync(this.fd, start);
      } catch {
        /* the next open() drops a torn tail anyway */
      }
      throw err;
    }
    this.size = start + buf.length;
    this.records.push([start, this.size]);
  }

  /** The oldest record not yet replayed, with its end offset (the replay checkpoint). */
  peek(): { record: SpoolRecord; end: number } | null {
    const r = this.records[0];
    if (!r) return null;
    return { record: JSON.parse(this.readRange(r[0], r[1] - r[0]).toString('utf8')) as SpoolRecord, end: r[1] };
  }

  /** Every record not yet replayed, oldest first. */
  *all(): Generator<SpoolRecord> {
    for (const r of [...this.records]) yield JSON.parse(this.readRange(r[0], r[1] - r[0]).toString('utf8')) as SpoolRecord;
  }

  /** The oldest record is in the store. */
  shift(): void {
    this.records.shift();
    if (!this.records.length) this.reset();
  }

  /** Drops records the store already holds (a replay that committed before a crash). */
  skipThrough(offset: number): void {
    while (this.records.length && this.records[0][1] <= offset) this.records.shift();
    if (!this.records.length) this.reset();
  }

  private reset(): void {
    this.generation = randomUUID();
    const header = Buffer.from(JSON.stringify({ spool: 1, gen: this.generation }) + '\n');
    ftruncateSync(this.fd, 0);
    writeSync(this.fd, header, 0, header.length, 0);
    fsyncSync(this.fd);
    this.size = header.length;
    this.records = [];
  }

  private readRange(start: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    let off = 0;
    while (off < length) {
      const n = readSync(this.fd, buf, off, length - off, start + off);
      if (n === 0) break;
      off += n;
    }
    return buf;
  }
}
