// A simulated device on a serial port, speaking docs/serial-protocol.md from the device's side:
// CRC-framed NDJSON readings, a retransmit buffer driven by ack / nack / resend and its own ack
// timeout, commands, and damage on demand (corrupted frames, dropped lines).

import { SerialPort } from 'serialport';
import { checkFrame, encodeFrame } from '../sources/serial/serial-frame.js';
import { KINDS, createRng, roundValues, type KindName, type KindSpec, type Rng, type SignalModel } from './kinds.js';
import { MIN_INTERVAL_MS, MAX_INTERVAL_MS } from './device.js';

export interface SerialSimOptions {
  path: string;
  baudRate?: number;
  kind?: KindName;
  intervalMs?: number;
  /** Seqs whose first transmission is damaged (one digit changed, so the crc fails)... */
  corruptSeqs?: number[];
  /** ...or never written. Retransmissions always go out intact. */
  dropSeqs?: number[];
  /** Chance per first transmission of the same, for runs without a script. */
  corruptRate?: number;
  dropRate?: number;
  /** An unacknowledged frame is sent again after this long. */
  ackTimeoutMs?: number;
  /** Unacknowledged frames kept; the oldest is lost past it. */
  bufferSize?: number;
  /** Stop sampling after this many frames (tests count on an exact total). */
  maxFrames?: number;
  reopenMs?: number;
  /** false: plain JSON lines without a crc member, as seed 001's meter writes them (default true). */
  crc?: boolean;
  rng?: Rng;
  log?: (msg: string) => void;
}

export interface SerialSimCounters {
  frames: number;
  written: number;
  retransmitted: number;
  acked: number;
  nacked: number;
  resendRequests: number;
  corrupted: number;
  dropped: number;
  /** Frames that left the buffer without an ack (buffer full, or refused as invalid). */
  lost: number;
  commands: number;
}

interface Pending {
  line: string;
  sentAt: number;
}

export class SerialSimDevice {
  readonly counters: SerialSimCounters = {
    frames: 0,
    written: 0,
    retransmitted: 0,
    acked: 0,
    nacked: 0,
    resendRequests: 0,
    corrupted: 0,
    dropped: 0,
    lost: 0,
    commands: 0,
  };
  readonly kind: KindName;
  private readonly spec: KindSpec;
  private readonly model: SignalModel;
  private readonly rng: Rng;
  private readonly log: (msg: string) => void;
  private port: SerialPort | null = null;
  private partial = '';
  private seqNo = 0;
  private interval: number;
  private unacked = new Map<number, Pending>();
  private corrupt: Set<number>;
  private drop: Set<number>;
  private recent = new Map<string, { status: 'acked' | 'failed'; reason?: string }>();
  private tickTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly thresholds: Record<string, { low?: number; high?: number; value?: number }> = {};

  constructor(private readonly opts: SerialSimOptions) {
    this.kind = opts.kind ?? 'ina219';
    this.spec = KINDS[this.kind];
    this.rng = opts.rng ?? createRng();
    this.model = this.spec.create(this.rng);
    this.log = opts.log ?? (() => {});
    this.interval = opts.intervalMs ?? 1000;
    this.corrupt = new Set(opts.corruptSeqs ?? []);
    this.drop = new Set(opts.dropSeqs ?? []);
  }

  get seq(): number {
    return this.seqNo;
  }
  get intervalMs(): number {
    return this.interval;
  }
  get pending(): number {
    return this.unacked.size;
  }
  get isOpen(): boolean {
    return !!this.port?.isOpen;
  }

  start(): void {
    this.stopped = false;
    this.open();
    this.tickTimer = setTimeout(this.tick, this.interval);
    const ackTimeout = this.opts.ackTimeoutMs ?? 1000;
    this.retryTimer = setInterval(() => this.retransmitStale(), Math.max(20, ackTimeout / 4));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.tickTimer, this.reopenTimer]) if (t) clearTimeout(t);
    if (this.retryTimer) clearInterval(this.retryTimer);
    const p = this.port;
    this.port = null;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
  }

  setIntervalMs(ms: number): void {
    if (!Number.isFinite(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) throw new Error(`interval must be ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS} ms`);
    this.interval = ms;
    if (this.tickTimer && !this.stopped) {
      clearTimeout(this.tickTimer);
      this.tickTimer = setTimeout(this.tick, ms);
    }
  }

  private open(): void {
    if (this.stopped) return;
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate ?? 115200, autoOpen: false });
    this.port = port;
    port.open((err) => {
      if (port !== this.port) return;
      if (err) return this.reopenLater();
      this.log(`sim-serial: ${this.opts.path} open`);
      this.partial = '';
      // Whatever waited for the link goes out now, oldest first.
      for (const [seq, p] of [...this.unacked].sort((a, b) => a[0] - b[0])) this.write(p.line, seq, true);
    });
    port.on('data', (chunk: Buffer) => port === this.port && this.onData(chunk));
    port.on('error', () => {});
    port.on('close', () => port === this.port && this.reopenLater());
  }

  private reopenLater(): void {
    if (this.stopped || this.reopenTimer) return;
    const old = this.port;
    this.port = null;
    if (old?.isOpen) old.close(() => {});
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      this.open();
    }, this.opts.reopenMs ?? 200);
  }

  private tick = (): void => {
    this.tickTimer = null;
    if (this.stopped) return;
    if (this.opts.maxFrames === undefined || this.counters.frames < this.opts.maxFrames) this.sample(Date.now());
    this.tickTimer = setTimeout(this.tick, this.interval);
  };

  private sample(now: number): void {
    const seq = ++this.seqNo;
    this.counters.frames++;
    const values = roundValues(this.spec, this.model.next(now));
    // Derived metrics (INA219: w = v x a) from the values as rounded for the wire.
    this.spec.derive?.(values, NOTHING_FIXED);
    const frame = { ...values, ts: now, seq, status: 'ok' };
    const line = this.opts.crc === false ? JSON.stringify(frame) : encodeFrame(frame);
    this.unacked.set(seq, { line, sentAt: now });
    while (this.unacked.size > (this.opts.bufferSize ?? 256)) {
      this.unacked.delete(this.unacked.keys().next().value!);
      this.counters.lost++;
    }
    if (this.drop.delete(seq) || (this.opts.dropRate && this.rng() < this.opts.dropRate)) {
      this.counters.dropped++;
      return;
    }
    if (this.corrupt.delete(seq) || (this.opts.corruptRate && this.rng() < this.opts.corruptRate)) {
      this.counters.corrupted++;
      this.writeRaw(damage(line));
      return;
    }
    this.write(line, seq, false);
  }

  private retransmitStale(): void {
    if (!this.isOpen) return;
    const now = Date.now();
    const timeout = this.opts.ackTimeoutMs ?? 1000;
    for (const [seq, p] of this.unacked) if (now - p.sentAt >= timeout) this.write(p.line, seq, true);
  }

  private write(line: string, seq: number, again: boolean): void {
    const p = this.unacked.get(seq);
    if (p) p.sentAt = Date.now();
    if (again) this.counters.retransmitted++;
    this.writeRaw(line);
  }

  private writeRaw(line: string): void {
    const port = this.port;
    if (!port?.isOpen) return;
    this.counters.written++;
    port.write(line + '\n', () => {});
  }

  private onData(chunk: Buffer): void {
    let text = this.partial + chunk.toString('utf8');
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      this.onLine(text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    this.partial = text.length > 4096 ? '' : text;
  }

  private onLine(line: string): void {
    const f = checkFrame(line);
    if (!f.ok) return; // a damaged answer is as good as none: the ack timeout covers it
    const v = f.value;
    if (typeof v.ack === 'number') {
      if (this.unacked.delete(v.ack)) this.counters.acked++;
    } else if ('nack' in v) {
      this.counters.nacked++;
      if (typeof v.nack !== 'number') return;
      if (v.reason === 'invalid') {
        if (this.unacked.delete(v.nack)) this.counters.lost++;
        return;
      }
      const p = this.unacked.get(v.nack);
      if (p) this.write(p.line, v.nack, true);
    } else if (typeof v.resend === 'number') {
      this.counters.resendRequests++;
      const p = this.unacked.get(v.resend);
      if (p) this.write(p.line, v.resend, true);
    } else if (typeof v.cmd === 'string') {
      this.onCommand(v.cmd, v.id, v.params);
    }
  }

  private onCommand(name: string, rawId: unknown, rawParams: unknown): void {
    this.counters.commands++;
    if (typeof rawId !== 'string' && typeof rawId !== 'number') return;
    const id = String(rawId);
    const seen = this.recent.get(id);
    if (seen) return this.reply(id, seen); // sent again because our answer was lost: answer, do not run twice
    const params = (rawParams && typeof rawParams === 'object' ? rawParams : {}) as Record<string, unknown>;
    let result: { status: 'acked' | 'failed'; reason?: string };
    let then: (() => void) | undefined;
    if (name === 'set_interval') {
      const ms = params.ms;
      if (typeof ms === 'number' && ms >= MIN_INTERVAL_MS && ms <= MAX_INTERVAL_MS) {
        this.setIntervalMs(ms);
        result = { status: 'acked' };
      } else result = { status: 'failed', reason: `params.ms must be ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS}` };
    } else if (name === 'set_threshold' && typeof params.metric === 'string') {
      this.thresholds[params.metric] = { low: params.low as number, high: params.high as number, value: params.value as number };
      result = { status: 'acked' };
    } else if (name === 'reboot') {
      result = { status: 'acked' };
      // A reboot forgets RAM: the retransmit buffer and the seq counter start again.
      then = () => {
        this.seqNo = 0;
        this.counters.lost += this.unacked.size;
        this.unacked.clear();
      };
    } else {
      result = { status: 'failed', reason: `unknown command "${name.slice(0, 64)}" (serial sim knows set_interval, set_threshold, reboot)` };
    }
    this.recent.set(id, result);
    if (this.recent.size > 64) this.recent.delete(this.recent.keys().next().value!);
    this.reply(id, result);
    then?.();
  }

  private reply(id: string, r: { status: 'acked' | 'failed'; reason?: string }): void {
    this.writeRaw(encodeFrame({ ack_cmd: id, status: r.status, ...(r.reason ? { reason: r.reason } : {}) }));
  }
}

/** Changes the first digit of the line, which is inside the first reading, so the crc no longer fits. */
const NOTHING_FIXED: ReadonlySet<string> = new Set();

function damage(line: string): string {
  const i = line.search(/\d/);
  if (i < 0) return line.slice(1);
  const d = Number(line[i]);
  return line.slice(0, i) + String((d + 1) % 10) + line.slice(i + 1);
}
