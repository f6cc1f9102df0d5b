import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync, fstatSync, createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Profile } from '../model/device.js';
import type { Reading, Rejection } from '../model/reading.js';
import type { DeviceSeen, ImportCheckpoint, RejectedRecord, Store } from '../stores/store.js';
import { decodeMessage, decodeObject, parseTimestamp, type DecodeContext } from '../pipeline/decode.js';
import { ServerClock } from '../pipeline/server-clock.js';
import { microsToMs, msToMicros } from '../model/time.js';
import { validateMessage } from '../pipeline/validate.js';
import { CommitWriter } from '../pipeline/commit.js';
import { CsvParser } from './csv-reader.js';
import { NdjsonLines } from './ndjson-reader.js';
import { TextChunks } from './text-chunks.js';
import { ImportError, planColumns, rowDevice, type ColumnPlan } from './column-map.js';
import { DomainError } from '../model/errors.js';
import { RetentionGate, type RetentionGateOptions } from './retention-gate.js';
import type { ImportSummary } from '../model/retention.js';
import type { IMPORT_FORMATS } from '../model/schemas/retention.js';
import { RetentionRules } from '../stores/retention-rules.js';

export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportOptions {
  format: ImportFormat;
  /** Every row belongs to this device. */
  device?: string;
  /** Column -> metric overrides (CSV). */
  map?: Record<string, string>;
  /** The time column holds seconds since this instant (epoch ms), as the MES rig's `Time` does. */
  start?: number;
  /** Names the default device when the file has no device columns. */
  fileName?: string;
  /** Profiles by name, for validating rows as live data is validated. */
  profiles?: { get(name: string): Profile | undefined };
  /** Rows per transaction. */
  batchRows?: number;
  /** Rejected rows listed in the summary (all are counted). */
  maxListed?: number;
  /** Aborting stops before the next commit, leaving the import as a crash would. */
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  onCommit?: () => void;
  /** Largest line (CSV record or NDJSON line), in bytes; a longer one stops the import naming its line. Default 1 MiB. */
  maxLineBytes?: number;
  /** Stamps rows without a time (shared with live ingest when the server runs the import). */
  clock?: ServerClock;
  /** The running server's one commit path, so its followers (the device registry) hear of the import. */
  writer?: Pick<CommitWriter, 'write'>;
  /** Which raw retention applies to a device (default: the store's policy and API settings, with these profiles'). */
  retention?: RetentionGateOptions['rules'];
  /** Apply raw retention: readings already past it are left out (default: imported history is kept, held from retention). */
  applyRetention?: boolean;
  /** Told, before the write, of each device whose rows are older than its raw retention. */
  onWarning?: (text: string) => void;
}

export interface ImportProgress {
  bytes: number;
  totalBytes?: number;
  rowsRead: number;
  readingsStored: number;
}

export type { ImportSummary, RejectedLine } from '../model/retention.js';

const DEFAULT_BATCH_ROWS = 50_000;
const DEFAULT_MAX_LINE_BYTES = 1 << 20;
const HEAD_BYTES = 64 * 1024;
const CHUNK_BYTES = 1 << 20;

/** sha256 of the first 64 KiB and the size: the same file under another name resumes too. */
export function fileIdentity(path: string): { key: string; size: number; head: Buffer } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    let got = 0;
    while (got < head.length) {
      const n = readSync(fd, head, got, head.length - got, got);
      if (n === 0) break;
      got += n;
    }
    const key = 'sha256:' + createHash('sha256').update(head.subarray(0, got)).digest('hex') + ':' + size;
    return { key, size, head: head.subarray(0, got) };
  } finally {
    closeSync(fd);
  }
}

export function formatOf(path: string): ImportFormat | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(nd)?jsonl?$/i.test(path) || /\.ndjson$/i.test(path)) return 'ndjson';
  return undefined;
}

/** Imports a file, resuming a crashed import of the same file from its last commit. */
export async function importFile(store: Store, path: string, opts: Omit<ImportOptions, 'fileName'>): Promise<ImportSummary> {
  const { key, size, head } = fileIdentity(path);
  const cp = await store.catalog.getImportCheckpoint(key);
  const run = new ImportRun(store, { ...opts, fileName: basename(path) }, key);
  await run.init();
  let offset = 0;
  if (cp && !cp.done && cp.offset > 0 && cp.offset <= size) {
    offset = cp.offset;
    run.resumeAt(cp, head);
  }
  const stream = createReadStream(path, { start: offset, highWaterMark: CHUNK_BYTES });
  return run.consume(stream, offset, size);
}

/** Imports a stream (an HTTP upload): not resumable, but duplicates are still recognized. */
export async function importStream(
  store: Pick<Store, 'telemetry' | 'catalog' | 'retention'>,
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  opts: ImportOptions,
): Promise<ImportSummary> {
  const run = new ImportRun(store, opts, null);
  await run.init();
  return run.consume(chunks, 0, undefined);
}

/** What an upload that names its file (`key`) may add: where to continue from. */
export interface UploadResume {
  /** sha256:<hex of the first 64 KiB>:<size>, as fileIdentity() makes it. */
  key: string;
  /** Continue from the checkpoint at this byte offset: the stream is then the file's head followed by the bytes from here on. */
  resumeAt?: number;
}

/** The size a key names, or null when it is not one. */
export function keySize(key: string): number | null {
  const m = /^sha256:[0-9a-f]{64}:([0-9]{1,15})$/.exec(key);
  return m ? Number(m[1]) : null;
}

/**
 * Imports an upload that names its file: every commit records a checkpoint under the key, so an
 * upload cut off (a reload, a dropped network) can be continued from the last commit by sending
 * the head (to check it is the same file, and to read a CSV's header again) and the rest.
 */
export async function importUpload(
  store: Pick<Store, 'telemetry' | 'catalog' | 'retention'>,
  chunks: AsyncIterable<Buffer | string>,
  opts: ImportOptions & UploadResume,
): Promise<ImportSummary> {
  const size = keySize(opts.key);
  if (size === null) throw new ImportError('key must be sha256:<64 hex digits>:<size>', 'key', 'pattern');
  const headLen = Math.min(HEAD_BYTES, size);
  const run = new ImportRun(store, opts, opts.key);
  await run.init();
  let cp: ImportCheckpoint | null = null;
  if (opts.resumeAt !== undefined) {
    cp = await store.catalog.getImportCheckpoint(opts.key);
    if (!cp || cp.done || cp.offset !== opts.resumeAt) {
      const where = !cp ? 'there is no checkpoint for this file' : cp.done ? 'its import is complete' : `its checkpoint is at byte ${cp.offset}`;
      // 409: the request is well formed, the server's state is not what it assumed (ask for the checkpoint again).
      throw new DomainError(409, `cannot continue at byte ${opts.resumeAt}: ${where}`, 'resumeAt', 'checkpoint', 'import');
    }
  }
  const start = cp?.offset ?? 0;
  return run.consume(
    checkedUpload(chunks, opts.key, headLen, size, start, cp !== null, (head) => {
      if (cp) run.resumeAt(cp, head);
    }),
    start,
    size,
  );
}

/**
 * The upload's bytes, checked against its key: the first `headLen` bytes must hash to it (before
 * any commit: a commit needs 50,000 rows, more than 64 KiB), and the bytes must end where the
 * key's size says. When resuming, the head is taken off (handed to `onHead`), not imported again.
 */
async function* checkedUpload(
  source: AsyncIterable<Buffer | string>,
  key: string,
  headLen: number,
  size: number,
  start: number,
  resume: boolean,
  onHead: (head: Buffer) => void,
): AsyncGenerator<Buffer> {
  const want = key.split(':')[1];
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  let got = 0;
  let checked = false;
  let body = 0;
  const check = () => {
    checked = true;
    if (got < headLen || hash.digest('hex') !== want)
      throw new ImportError('the file is not the one its key names (its first 64 KiB differ, or it is shorter)', 'key', 'file_identity');
    onHead(Buffer.concat(parts, got));
  };
  if (headLen === 0) check();
  for await (const chunk of source) {
    let b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!checked) {
      const piece = b.subarray(0, Math.min(headLen - got, b.length));
      hash.update(piece);
      parts.push(piece);
      got += piece.length;
      if (got >= headLen) check();
      if (resume) b = b.subarray(piece.length);
      if (!checked && !resume) {
        // Parsed as it comes; no commit can happen before the head is checked (see above).
        body += b.length;
        yield b;
        continue;
      }
      if (!b.length) continue;
    }
    body += b.length;
    if (start + body > size) throw new ImportError(`the upload is longer than the ${size} bytes its key names`, 'key', 'size');
    yield b;
  }
  if (!checked) check();
  if (start + body !== size) throw new ImportError(`the upload ended after ${start + body} of the ${size} bytes its key names`, 'key', 'size');
}

class ImportRun {
  private readonly started = performance.now();
  private readonly now = Date.now();
  private readonly batchRows: number;
  private readonly maxListed: number;
  private readonly maxLineBytes: number;
  private readonly ctx: DecodeContext;
  private bound = new Map<string, string | null>();
  private profileCache = new Map<string, Profile | undefined>();
  private plan: ColumnPlan | null = null;
  private header: string[] | null = null;
  private csv: CsvParser;
  private nd: NdjsonLines;
  private readings: Reading[] = [];
  private deadLetters: RejectedRecord[] = [];
  private devices = new Map<string, string | undefined>();
  private pendingRows = 0;
  private summary: ImportSummary = {
    rowsRead: 0,
    readingsStored: 0,
    duplicates: 0,
    alreadyStored: 0,
    sameTimeInFile: 0,
    rejected: 0,
    rejectedLines: [],
    seconds: 0,
    retention: [],
    warnings: [],
    droppedByRetention: 0,
  };
  private readonly gate: RetentionGate;
  /** Per device: its previous row's time key and the time keys of this batch's rows (see sameTimeInFile). */
  private rowTimes = new Map<string, { last: number; batch: Set<number> }>();
  private prior = { stored: 0, duplicates: 0, rejected: 0 };
  private readonly writer: Pick<CommitWriter, 'write'>;

  constructor(
    private readonly store: Pick<Store, 'telemetry' | 'catalog' | 'retention'>,
    private readonly opts: ImportOptions,
    private readonly key: string | null,
  ) {
    this.writer = opts.writer ?? new CommitWriter(store.telemetry);
    this.batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
    this.maxListed = opts.maxListed ?? 1000;
    const clock = opts.clock ?? new ServerClock();
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const profiles = opts.profiles;
    this.ctx = {
      source: 'import',
      receivedAt: this.now,
      maxBytes: this.maxLineBytes,
      stamp: (d, at) => clock.stamp(d, at),
      ...(profiles ? { knownProfile: (name: string) => profiles.get(name) !== undefined } : {}),
    };
    this.csv = new CsvParser();
    this.nd = new NdjsonLines();
    const listed = profiles && 'list' in profiles ? (profiles as { list(): Profile[] }) : { list: () => [] };
    this.gate = new RetentionGate({
      rules: opts.retention ?? new RetentionRules({ base: store.telemetry.retention, profiles: listed, store: store.retention }),
      store: store.retention,
      applyRetention: opts.applyRetention ?? false,
      reason: key ? `import ${opts.fileName ?? key}` : `import upload ${new Date(this.now).toISOString()}`,
      now: this.now,
      onWarning: opts.onWarning,
    });
  }

  async init(): Promise<void> {
    for (const d of await this.store.telemetry.listDevices()) this.bound.set(d.id, d.profile);
  }

  /** Picks up after the last commit: the header and plan come from the file's head. */
  resumeAt(cp: ImportCheckpoint, head: Buffer): void {
    this.summary.resumedFromLine = cp.line;
    this.prior = { stored: cp.stored, duplicates: cp.duplicates, rejected: cp.rejected };
    if (this.opts.format === 'csv') {
      const rows: string[][] = [];
      new CsvParser().parse(head.toString('utf8'), false, (f) => {
        if (rows.length < 2) rows.push(f.slice());
      });
      if (rows.length < 2) throw new ImportError('cannot resume: the header and first row are not in the first 64 KiB');
      this.header = rows[0];
      this.plan = this.makePlan(rows[0], rows[1]);
    }
    this.csv = new CsvParser({ firstLine: cp.line });
    this.nd = new NdjsonLines(cp.line);
  }

  async consume(
    chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
    startOffset: number,
    totalBytes: number | undefined,
  ): Promise<ImportSummary> {
    const text = new TextChunks();
    let offset = startOffset;
    for await (const chunk of chunks) {
      const t = text.take(chunk);
      if (t !== null) offset += text.used(t, this.parse(t, false));
      // Checked as the line grows, so a file without line breaks is refused early, not held whole.
      if (text.held > this.maxLineBytes) {
        const line = this.opts.format === 'csv' ? this.csv.line : this.nd.line;
        throw new ImportError(
          `line ${line} is longer than ${this.maxLineBytes} bytes, the limit for one line (is the file ${this.opts.format} with line breaks?)`,
          'line',
          'max_length',
        );
      }
      if (t === null) continue;
      if (this.pendingRows >= this.batchRows) await this.flush(offset, false);
      this.opts.onProgress?.({ bytes: offset, totalBytes, rowsRead: this.summary.rowsRead, readingsStored: this.summary.readingsStored });
    }
    offset += text.held;
    this.parse(text.rest(), true);
    if (this.opts.format === 'csv' && !this.header) throw new ImportError('the file is empty: no header row', 'file', 'empty');
    await this.flush(offset, true);
    this.opts.onProgress?.({ bytes: offset, totalBytes, rowsRead: this.summary.rowsRead, readingsStored: this.summary.readingsStored });
    this.summary.seconds = (performance.now() - this.started) / 1000;
    this.summary.retention = this.gate.notes();
    this.summary.warnings = this.gate.warnings;
    this.summary.droppedByRetention = this.gate.dropped;
    if (this.plan?.ignored.length) this.summary.ignoredColumns = this.plan.ignored;
    return this.summary;
  }

  private parse(text: string, final: boolean): number {
    return this.opts.format === 'csv' ? this.csv.parse(text, final, this.onCsvRecord) : this.nd.parse(text, final, this.onNdjsonLine);
  }

  private makePlan(header: string[], first: string[]): ColumnPlan {
    const plan = planColumns(header, first, { device: this.opts.device, map: this.opts.map, fileName: this.opts.fileName });
    if (this.opts.start === undefined) {
      const raw = first[plan.timeIndex]?.trim() ?? '';
      const t = raw === '' ? null : Number(raw);
      // Small numbers are offsets, not dates: refusing once beats rejecting every row as "before 1990".
      if (t !== null && Number.isFinite(t) && t >= 0 && (parseTimestamp(raw) ?? 0) < Date.UTC(1990, 0, 1)) {
        throw new ImportError(
          `column ${plan.timeColumn} holds ${first[plan.timeIndex]}: seconds since the start of a measurement, not a date; pass --start (ISO time or epoch ms, start= over HTTP) to place it`,
          plan.timeColumn,
          'relative_time',
        );
      }
    }
    return plan;
  }

  private readonly onCsvRecord = (fields: string[], line: number): void => {
    if (!this.header) {
      this.header = fields;
      return;
    }
    if (!this.plan) this.plan = this.makePlan(this.header, fields);
    const plan = this.plan;
    this.summary.rowsRead++;
    this.pendingRows++;
    const device = rowDevice(plan, fields);
    const rawTs = fields[plan.timeIndex];
    const obj: Record<string, unknown> = {};
    if (rawTs === undefined || rawTs.trim() === '')
      return this.refuse(line, device, { field: plan.timeColumn, rule: 'required', message: `${plan.timeColumn} is empty` }, fields);
    if (this.opts.start !== undefined) {
      const s = Number(rawTs);
      if (!Number.isFinite(s))
        return this.refuse(
          line,
          device,
          { field: plan.timeColumn, rule: 'number', message: `${plan.timeColumn} must be seconds since --start, got ${JSON.stringify(rawTs.slice(0, 40))}` },
          fields,
        );
      // To the microsecond: a 2 kHz file's rows are 0.0005 s apart.
      obj.ts = microsToMs(msToMicros(this.opts.start) + Math.round(s * 1e6));
    } else obj.ts = rawTs;
    const metrics = plan.metrics;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i];
      const s = fields[m.index];
      if (s === undefined || s === '') continue;
      const n = Number(s);
      if (Number.isNaN(n) || s.trim() === '') {
        return this.refuse(
          line,
          device,
          { field: m.column, rule: 'number', message: `${m.column} must be a number, got ${JSON.stringify(s.slice(0, 40))}` },
          fields,
        );
      }
      obj[m.metric] = n;
    }
    const d = decodeObject(obj, { ...this.ctx, device });
    if (!d.ok) return this.refuse(line, device, d.rejection, fields);
    this.accept(d.message, line, plan.profile, fields);
  };

  private readonly onNdjsonLine = (text: string, line: number): void => {
    this.summary.rowsRead++;
    this.pendingRows++;
    const d = decodeMessage(text, { ...this.ctx, device: this.opts.device });
    if (!d.ok) return this.refuse(line, d.device ?? this.opts.device ?? null, d.rejection, text);
    this.accept(d.message, line, d.message.profile, text);
  };

  private profileOf(device: string, fallback: string | undefined): Profile | undefined {
    if (this.profileCache.has(device)) return this.profileCache.get(device);
    const name = this.bound.get(device) ?? fallback;
    const p = name ? this.opts.profiles?.get(name) : undefined;
    this.profileCache.set(device, p);
    return p;
  }

  private accept(m: import('../model/reading.js').Message, line: number, profile: string | undefined, raw: string[] | string): void {
    if (!this.devices.has(m.device)) this.devices.set(m.device, this.bound.get(m.device) ? undefined : profile);
    const v = validateMessage(m, this.profileOf(m.device, profile));
    if (v.rejections.length) this.refuse(line, m.device, v.rejections[0], raw);
    const kept = v.message;
    if (!kept) return;
    const { device, ts } = kept;
    const values = kept.values;
    if (this.repeatsTime(device, ts)) {
      this.summary.sameTimeInFile += Object.keys(values).length;
      return;
    }
    for (const metric in values) this.readings.push({ device, metric, ts, value: values[metric] });
  }

  /** Whether a row of this device with this time came earlier in the file (imported readings carry no seq); notes it if not. */
  private repeatsTime(device: string, key: number): boolean {
    const seen = this.rowTimes.get(device);
    if (!seen) {
      this.rowTimes.set(device, { last: key, batch: new Set([key]) });
      return false;
    }
    if (seen.last === key || seen.batch.has(key)) return true;
    seen.last = key;
    seen.batch.add(key);
    return false;
  }

  private refuse(line: number, device: string | null, r: Rejection, raw: string[] | string): void {
    this.summary.rejected++;
    if (this.summary.rejectedLines.length >= this.maxListed) return;
    this.summary.rejectedLines.push({ line, field: r.field, rule: r.rule, error: r.message });
    const payload = (typeof raw === 'string' ? raw : raw.join(',')).slice(0, 16 * 1024);
    this.deadLetters.push({ at: this.now, source: 'import', device, field: r.field, rule: r.rule, error: `line ${line}: ${r.message}`, payload });
  }

  private async flush(offset: number, done: boolean): Promise<void> {
    if (this.opts.signal?.aborted) throw this.opts.signal.reason ?? new Error('import aborted');
    const devices: DeviceSeen[] = [];
    for (const [id, profile] of this.devices) devices.push(profile ? { id, seen: this.now, profile } : { id, seen: this.now });
    const line = this.opts.format === 'csv' ? this.csv.line : this.nd.line;
    // Counts as of the previous commit: this batch's split into stored and duplicate is known only after it.
    const checkpoint: ImportCheckpoint | undefined = this.key
      ? {
          key: this.key,
          offset,
          line,
          done,
          stored: this.prior.stored + this.summary.readingsStored,
          duplicates: this.prior.duplicates + this.summary.duplicates,
          rejected: this.prior.rejected + this.summary.rejected,
        }
      : undefined;
    const readings = await this.gate.check(this.readings, (d) => this.bound.get(d) ?? this.devices.get(d) ?? null);
    const res = await this.writer.write({ readings, devices, rejected: this.deadLetters, checkpoint }, { historical: true });
    this.summary.readingsStored += res.inserted;
    this.summary.alreadyStored += res.duplicates;
    this.summary.duplicates = this.summary.alreadyStored + this.summary.sameTimeInFile;
    for (const t of this.rowTimes.values()) t.batch.clear();
    for (const [id, profile] of this.devices) if (profile && !this.bound.get(id)) this.bound.set(id, profile);
    this.readings = [];
    this.deadLetters = [];
    this.devices.clear();
    this.pendingRows = 0;
    this.opts.onCommit?.();
  }
}
