import { fstat, stat, type Stats } from 'node:fs';
import { SerialPort } from 'serialport';
import type { Pipeline } from '../../pipeline/ingest.js';
import type { Metrics } from '../../metrics.js';
import type { Logger } from '../../logger.js';
import type { Source } from '../source.js';
import type { CommandEnvelope, CommandReply, CommandTransport } from '../../model/device-admin.js';
import { checkFrame, encodeFrame, type SerialIntegrity } from './serial-frame.js';

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  /** The device on the other end of the cable: serial frames carry no device id of their own. */
  device: string;
  pipeline: Pipeline;
  metrics: Metrics;
  logger: Logger;
  /** A missing seq is asked for again after this long without it... */
  resendAfterMs?: number;
  /** ...at most this many times, then given up (the sequence accounting records the gap). */
  maxResends?: number;
  /** Most missing seqs chased at once; a larger gap chases its newest ones. */
  maxMissing?: number;
  reopenMinMs?: number;
  reopenMaxMs?: number;
  /** How often the open port's device path is looked at (default 1000 ms; see watchPath). */
  pathCheckMs?: number;
  maxLineBytes?: number;
  /** What the link asks of a frame's CRC (default optional: checked when present). */
  integrity?: SerialIntegrity;
  onCommandReply?: (device: string, reply: CommandReply) => void;
}

interface Missing {
  asked: number;
  at: number;
}

/** Parses `/dev/ttyUSB0:115200` (baud optional, default 115200). */
export function parseSerialSpec(spec: string): { path: string; baudRate: number } {
  const m = /^(.+?)(?::(\d+))?$/.exec(spec);
  if (!m || !m[1]) throw new Error(`serial port "${spec}": expected PATH or PATH:BAUD`);
  const baudRate = m[2] ? Number(m[2]) : 115200;
  if (!Number.isInteger(baudRate) || baudRate < 50 || baudRate > 4_000_000) throw new Error(`serial port "${spec}": baud must be 50..4000000`);
  return { path: m[1], baudRate };
}

/**
 * One device on a serial port, speaking docs/serial-protocol.md: CRC-checked NDJSON frames in,
 * `{"ack":seq}` once the frame's readings are committed, `{"nack":seq,"reason"}` for a damaged
 * frame, `{"resend":seq}` for a seq that never came. The port is reopened with backoff when it
 * goes away; reading is event driven, so a slow or silent port never holds anything else up.
 */
export class SerialLink implements Source, CommandTransport {
  readonly name = 'serial';
  readonly kind = 'serial' as const;
  private port: SerialPort | null = null;
  private partial = '';
  private discarding = false;
  private highest: number | null = null;
  private missing = new Map<number, Missing>();
  private chaseTimer: NodeJS.Timeout | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private pathTimer: NodeJS.Timeout | null = null;
  /** The device node the open port is open on (fstat of its descriptor). */
  private openedAs: { dev: number; ino: number; rdev: number } | null = null;
  private backoff: number;
  private stopped = false;
  private inFlight = new Set<Promise<void>>();
  private lastError: string | null = null;
  private counts = { frames: 0, acked: 0, nacked: 0, unverified: 0, resendRequests: 0, gaveUp: 0, reopens: 0 };

  constructor(private readonly opts: SerialLinkOptions) {
    this.backoff = opts.reopenMinMs ?? 250;
  }

  get device(): string {
    return this.opts.device;
  }

  get isOpen(): boolean {
    return !!this.port?.isOpen;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.open();
    const every = Math.max(20, Math.floor((this.opts.resendAfterMs ?? 500) / 2));
    this.chaseTimer = setInterval(() => this.chase(), every);
    this.chaseTimer.unref();
    this.pathTimer = setInterval(() => this.watchPath(), this.opts.pathCheckMs ?? 1000);
    this.pathTimer.unref();
  }

  /**
   * A port whose device path is gone, or names another device node now (an adapter unplugged; a
   * pty pair made again), is closed and reopened, whether or not its reads have failed: a driver
   * may leave a vanished device's descriptor readable and silent, and the link would then look
   * open while it hears nothing (and never see the device back). The reopen fails until the path
   * is back, so the port is reported down meanwhile.
   */
  private watchPath(): void {
    const port = this.port;
    const was = this.openedAs;
    if (!port?.isOpen || !was) return;
    stat(this.opts.path, (err, st) => {
      if (port !== this.port || this.stopped) return;
      if (!err && st.dev === was.dev && st.ino === was.ino && st.rdev === was.rdev) return;
      this.noteError(err ? `device path gone (${err.code ?? err.message})` : 'device path names another device now');
      this.scheduleReopen();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.chaseTimer) clearInterval(this.chaseTimer);
    if (this.pathTimer) clearInterval(this.pathTimer);
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.chaseTimer = this.pathTimer = this.reopenTimer = null;
    // Frames taken are finished (stored and acked) before the port closes.
    await Promise.allSettled([...this.inFlight]);
    const p = this.port;
    this.port = null;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
  }

  describe() {
    return {
      status: (this.isOpen ? 'up' : 'down') as 'up' | 'down',
      detail: {
        path: this.opts.path,
        baudRate: this.opts.baudRate,
        device: this.opts.device,
        integrity: this.opts.integrity ?? 'optional',
        missing: this.missing.size,
        ...this.counts,
        lastError: this.lastError,
      },
    };
  }

  reaches(device: string): boolean {
    return device === this.opts.device;
  }

  /** Sends a command line `{"cmd":name,"id":...,"params":{...}}`; the device answers `{"ack_cmd":id,...}`. */
  async send(device: string, cmd: CommandEnvelope): Promise<void> {
    if (device !== this.opts.device) throw new Error(`serial link ${this.opts.path} carries ${this.opts.device}, not ${device}`);
    await this.write({ cmd: cmd.name, id: cmd.id, params: cmd.params });
  }

  private open(): void {
    if (this.stopped) return;
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate, autoOpen: false });
    this.port = port;
    port.open((err) => {
      if (port !== this.port) return;
      if (err) {
        this.noteError(err.message);
        this.scheduleReopen();
        return;
      }
      this.opts.logger.info({ path: this.opts.path, device: this.opts.device }, 'serial port open');
      this.openedAs = null;
      // The node the descriptor is open on, not what the path names by the time a stat of it
      // returns: a path gone between the open and that stat would leave nothing to watch.
      const fd = (port.port as { fd?: number | null } | undefined)?.fd;
      const noted = (e: NodeJS.ErrnoException | null, st: Stats) => {
        if (!e && port === this.port) this.openedAs = { dev: st.dev, ino: st.ino, rdev: st.rdev };
      };
      if (typeof fd === 'number') fstat(fd, noted);
      else stat(this.opts.path, noted);
      this.backoff = this.opts.reopenMinMs ?? 250;
      this.lastError = null;
      this.partial = '';
      this.discarding = false;
    });
    port.on('data', (chunk: Buffer) => {
      if (port === this.port) this.onData(chunk);
    });
    port.on('error', (err: Error) => {
      if (port === this.port) this.noteError(err.message);
    });
    port.on('close', () => {
      if (port !== this.port || this.stopped) return;
      this.opts.logger.warn({ path: this.opts.path, device: this.opts.device }, 'serial port closed; reopening');
      this.scheduleReopen();
    });
  }

  private noteError(message: string): void {
    if (message !== this.lastError) this.opts.logger.warn({ path: this.opts.path, err: message }, 'serial port error');
    this.lastError = message;
  }

  private scheduleReopen(): void {
    if (this.stopped || this.reopenTimer) return;
    const old = this.port;
    this.port = null;
    if (old?.isOpen) old.close(() => {});
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.reopenMaxMs ?? 5000);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      this.counts.reopens++;
      this.opts.metrics.serialReopens.inc();
      this.open();
    }, wait);
    this.reopenTimer.unref();
  }

  private onData(chunk: Buffer): void {
    const max = this.opts.maxLineBytes ?? 4096;
    let text = this.partial + chunk.toString('utf8');
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (this.discarding) {
        // The tail of an over-long line: its head was already refused.
        this.discarding = false;
        continue;
      }
      this.onLine(line);
    }
    if (text.length > max) {
      // No newline in sight: refuse the line now instead of buffering without bound.
      this.onLine(text.slice(0, max + 1));
      text = '';
      this.discarding = true;
    }
    this.partial = text;
  }

  private onLine(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const { metrics } = this.opts;
    this.counts.frames++;
    const f = checkFrame(line, this.opts.maxLineBytes ?? 4096, this.opts.integrity ?? 'optional');
    if (!f.ok) {
      metrics.serialFrames.inc({ result: f.reason });
      this.counts.nacked++;
      this.opts.logger.debug({ device: this.opts.device, reason: f.reason, seq: f.seq }, `serial frame refused: ${f.message}`);
      void this.write({ nack: f.seq, reason: f.reason });
      return;
    }
    const v = f.value;
    if (v.ack_cmd !== undefined) {
      metrics.serialFrames.inc({ result: 'ok' });
      const status = v.status === 'failed' ? 'failed' : 'acked';
      this.opts.onCommandReply?.(this.opts.device, {
        id: String(v.ack_cmd),
        status,
        reason: typeof v.reason === 'string' ? v.reason.slice(0, 500) : undefined,
      });
      return;
    }
    const seq = v.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      metrics.serialFrames.inc({ result: 'seq' });
      this.counts.nacked++;
      void this.write({ nack: null, reason: 'seq' });
      return;
    }
    this.track(seq);
    const verified = f.verified;
    const work = this.opts.pipeline.acceptOne({ source: 'serial', device: this.opts.device, payload: v }).then(
      (outcome) => {
        if (outcome.ok) {
          // Stored all the same: a frame without a CRC is what some devices send, counted so a noisy cable shows.
          if (!verified) this.counts.unverified++;
          metrics.serialFrames.inc({ result: verified ? 'ok' : 'unverified' });
          this.counts.acked++;
          return this.write({ ack: seq });
        }
        // Stored as a dead letter with its reason: sending it again would not make it valid.
        metrics.serialFrames.inc({ result: 'invalid' });
        this.counts.nacked++;
        return this.write({ nack: seq, reason: 'invalid', field: outcome.rejection.field, rule: outcome.rejection.rule });
      },
      (err: Error) => {
        // Not stored, not acknowledged: the device sends it again when its ack does not come.
        this.opts.logger.error({ device: this.opts.device, seq, err: err.message }, 'could not store serial frame; not acknowledged');
      },
    );
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Sequence bookkeeping of the link itself: which seqs to ask for again. */
  private track(seq: number): void {
    this.missing.delete(seq);
    const hi = this.highest;
    if (hi === null || (seq <= 1 && hi > 1)) {
      // First frame seen, or the device restarted (seq begins again at 0 or 1): nothing to chase.
      if (hi !== null) this.missing.clear();
      this.highest = seq;
      return;
    }
    if (seq <= hi) return;
    const maxMissing = this.opts.maxMissing ?? 256;
    const now = Date.now();
    for (let s = Math.max(hi + 1, seq - maxMissing); s < seq; s++) {
      this.missing.set(s, { asked: 1, at: now });
      this.requestResend(s);
    }
    this.highest = seq;
    while (this.missing.size > maxMissing) {
      this.missing.delete(this.missing.keys().next().value!);
      this.giveUp();
    }
  }

  private chase(): void {
    if (!this.missing.size || !this.isOpen) return;
    const now = Date.now();
    const after = this.opts.resendAfterMs ?? 500;
    const max = this.opts.maxResends ?? 3;
    for (const [s, m] of this.missing) {
      if (now - m.at < after) continue;
      if (m.asked >= max) {
        this.missing.delete(s);
        this.giveUp();
        continue;
      }
      m.asked++;
      m.at = now;
      this.requestResend(s);
    }
  }

  private requestResend(seq: number): void {
    this.counts.resendRequests++;
    this.opts.metrics.serialResends.inc();
    void this.write({ resend: seq });
  }

  private giveUp(): void {
    this.counts.gaveUp++;
    this.opts.metrics.serialGaveUp.inc();
  }

  private write(obj: Record<string, unknown>): Promise<void> {
    // Only a command's sender needs to know a write failed; a lost ack or resend request is
    // recovered by the device's own retransmission.
    const isCommand = obj.cmd !== undefined;
    const port = this.port;
    if (!port?.isOpen) return isCommand ? Promise.reject(new Error(`serial port ${this.opts.path} is not open`)) : Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      port.write(encodeFrame(obj) + '\n', (err) => (err && isCommand ? reject(err) : resolve()));
    });
  }
}
