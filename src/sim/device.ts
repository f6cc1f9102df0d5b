// One simulated device: its own MQTT connection (client id = device id, last will "offline"),
// its sequence counter, its publish timer, its command handler and its faults.

import { createHash } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { DeviceFaults, FAULT_DEFAULTS, validateFault, type Fault } from './faults.js';
import { KINDS, createRng, roundValues, type KindName, type KindSpec, type Rng, type SignalModel } from './kinds.js';

export interface DeviceCounters {
  /** Telemetry messages handed to MQTT (duplicates count twice). */
  published: number;
  /** Of those, acknowledged by the broker (PUBACK). */
  acked: number;
  /** Connection and publish errors. */
  errors: number;
  /** Sequence numbers spent without being published: dropout, offline, no connection, full buffer. */
  dropped: number;
  /** Commands received. */
  commands: number;
}

export interface SimDeviceOptions {
  id: string;
  kind: KindName;
  brokerUrl: string;
  intervalMs: number;
  username?: string;
  password?: string;
  /** Put before the device id in the MQTT client id. */
  clientIdPrefix?: string;
  rng?: Rng;
  log?: (msg: string) => void;
  /** Messages kept while disconnected and sent on reconnect (store and forward). 0: lost. */
  bufferSize?: number;
  /** Time a reboot takes before the device reconnects. */
  bootDelayMs?: number;
  reconnectPeriodMs?: number;
}

export interface CommandAck {
  id: string | number | null;
  status: 'acked' | 'failed';
  reason?: string;
}

export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 3_600_000;
const RECENT_COMMANDS = 64;

export class SimDevice {
  readonly id: string;
  readonly kind: KindName;
  readonly counters: DeviceCounters = { published: 0, acked: 0, errors: 0, dropped: 0, commands: 0 };

  private readonly spec: KindSpec;
  private readonly rng: Rng;
  private readonly model: SignalModel;
  private readonly faults: DeviceFaults;
  private readonly log: (msg: string) => void;
  private readonly bufferSize: number;
  private readonly bootDelayMs: number;

  private client: MqttClient | null = null;
  private seqNo = 0;
  private interval: number;
  private ticking = false;
  private nextAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private offlineTimer: NodeJS.Timeout | undefined;
  private rebootTimer: NodeJS.Timeout | undefined;
  private offline = false;
  /** From a reboot command until the next connect: the device samples nothing. */
  private rebooting = false;
  private stopped = false;
  private everConnected = false;
  private linkUp = false;
  private held: string | null = null;
  private buffer: string[] = [];
  private readonly recent = new Map<string, CommandAck>();
  private lastErrorText = '';
  private lastError: Error | undefined;
  private waiter: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private firmware = '1.0.0';
  private corruptOta = false;
  private otaRunning = false;
  /** set_threshold commands received, by metric. */
  readonly thresholds: Record<string, { low?: number; high?: number; value?: number }> = {};

  constructor(private readonly opts: SimDeviceOptions) {
    this.id = opts.id;
    this.kind = opts.kind;
    this.spec = KINDS[opts.kind];
    this.rng = opts.rng ?? createRng();
    this.model = this.spec.create(this.rng);
    this.faults = new DeviceFaults(this.spec);
    this.log = opts.log ?? (() => {});
    this.interval = opts.intervalMs;
    this.bufferSize = Math.max(0, Math.floor(opts.bufferSize ?? 0));
    this.bootDelayMs = opts.bootDelayMs ?? 300;
  }

  get telemetryTopic(): string {
    return `devices/${this.id}/telemetry`;
  }
  get stateTopic(): string {
    return `devices/${this.id}/state`;
  }
  get commandTopic(): string {
    return `devices/${this.id}/commands`;
  }
  get ackTopic(): string {
    return `devices/${this.id}/commands/ack`;
  }
  /** The last sequence number used (0 before the first message). */
  get seq(): number {
    return this.seqNo;
  }
  get intervalMs(): number {
    return this.interval;
  }
  get connected(): boolean {
    return !this.offline && !!this.client?.connected;
  }
  /** The firmware version the device runs (changed by a successful OTA). */
  get firmwareVersion(): string {
    return this.firmware;
  }
  /** The next OTA download gets one byte flipped, as a bad link or flash would do: the sha256 check must catch it. */
  corruptNextDownload(): void {
    this.corruptOta = true;
  }
  activeFaults(): Fault[] {
    return this.faults.list(Date.now());
  }

  /** Connects; resolves on the first CONNACK, rejects after `timeoutMs` or when the broker refuses. */
  start(timeoutMs = 10_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const why = this.lastError ? ` (${this.lastError.message})` : '';
        reject(new Error(`${this.id}: could not connect to ${this.opts.brokerUrl} within ${timeoutMs} ms${why}`));
      }, timeoutMs);
      this.waiter = {
        resolve: () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(err);
        },
      };
      this.connect();
    });
  }

  /** Ends the connection cleanly: `offline` retained, then DISCONNECT (so the will does not fire). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ticking = false;
    for (const t of [this.timer, this.offlineTimer, this.rebootTimer]) clearTimeout(t);
    this.waiter?.reject(new Error(`${this.id}: stopped before it connected`));
    this.held = null;
    this.buffer = [];
    const c = this.client;
    this.client = null;
    if (!c) return;
    if (c.connected) {
      await within(2000, (done) => c.publish(this.stateTopic, 'offline', { qos: 1, retain: true }, () => done()));
      const closed = await within(2000, (done) => c.end(false, {}, () => done()));
      if (!closed) c.stream?.destroy();
    } else {
      c.end(true);
    }
  }

  /** Starts a fault now. Throws on an invalid fault (naming the field). */
  inject(fault: Fault): void {
    const f = validateFault(fault, this.spec);
    this.log(`sim: ${this.id}: fault ${JSON.stringify(f)}`);
    if (f.type === 'offline') this.goOffline(f.durationMs ?? FAULT_DEFAULTS.offline.durationMs!);
    else this.faults.add(f, Date.now());
  }

  /** Changes the publish interval; the next message comes `ms` from now. */
  setIntervalMs(ms: number): void {
    if (!Number.isFinite(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
      throw new Error(`interval must be ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS} ms, got ${ms}`);
    }
    this.interval = ms;
    if (this.ticking) {
      clearTimeout(this.timer);
      this.nextAt = Date.now();
      this.schedule();
    }
  }

  // --- connection ---

  private connect(): void {
    if (this.client || this.stopped) return;
    const options: IClientOptions = {
      clientId: `${this.opts.clientIdPrefix ?? ''}${this.id}`,
      clean: true,
      resubscribe: false, // subscribed again on every connect below
      reconnectPeriod: this.opts.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      will: { topic: this.stateTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    if (this.opts.username !== undefined) options.username = this.opts.username;
    if (this.opts.password !== undefined) options.password = this.opts.password;
    const client = connect(this.opts.brokerUrl, options);
    this.client = client;
    client.on('connect', () => {
      if (client === this.client) this.onConnect(client);
    });
    client.on('message', (topic, payload) => {
      if (client === this.client && topic === this.commandTopic) this.onCommand(client, payload);
    });
    client.on('error', (err) => this.onError(client, err));
    client.on('close', () => {
      if (client !== this.client || !this.linkUp) return;
      this.linkUp = false;
      this.log(`sim: ${this.id}: connection lost, reconnecting`);
    });
  }

  /** Drops the connection without DISCONNECT, as a power cut or a dead link would: the will fires. */
  private dropClient(): void {
    const c = this.client;
    this.client = null;
    this.linkUp = false;
    c?.end(true);
  }

  private onConnect(client: MqttClient): void {
    const first = !this.everConnected;
    this.everConnected = true;
    this.linkUp = true;
    this.rebooting = false;
    this.lastErrorText = '';
    this.log(`sim: ${this.id}: ${first ? 'connected' : 'reconnected'} to ${this.opts.brokerUrl}`);
    client.publish(this.stateTopic, 'online', { qos: 1, retain: true }, (err) => err && this.countError());
    client.subscribe(this.commandTopic, { qos: 1 }, (err) => {
      if (!err) return;
      this.countError();
      this.log(`sim: ${this.id}: subscribe to ${this.commandTopic} failed: ${err.message}`);
    });
    const backlog = this.buffer;
    this.buffer = [];
    for (const msg of backlog) this.send(msg);
    if (!this.ticking) {
      this.ticking = true;
      // Spread a fleet's devices over the interval instead of publishing in lockstep.
      this.nextAt = Date.now() + Math.floor(this.rng() * this.interval);
      this.timer = setTimeout(this.tick, this.nextAt - Date.now());
    }
    this.waiter?.resolve();
  }

  private onError(client: MqttClient, err: Error): void {
    if (client !== this.client || this.stopped) return;
    this.lastError = err;
    this.countError();
    if (err.message !== this.lastErrorText) {
      this.lastErrorText = err.message; // one line per distinct error, not one per retry
      this.log(`sim: ${this.id}: mqtt error: ${err.message}`);
    }
    // A CONNACK refusal (bad credentials, ...) carries a numeric code: retrying will not help.
    const code = (err as { code?: unknown }).code;
    if (this.waiter && typeof code === 'number') {
      this.waiter.reject(new Error(`${this.id}: broker ${this.opts.brokerUrl} refused the connection: ${err.message}`));
    }
  }

  private goOffline(durationMs: number): void {
    if (this.stopped) return;
    this.offline = true;
    clearTimeout(this.offlineTimer);
    this.dropClient();
    this.offlineTimer = setTimeout(() => {
      this.offlineTimer = undefined;
      this.offline = false;
      if (!this.rebootTimer) this.connect();
    }, durationMs);
  }

  private reboot(): void {
    if (this.stopped) return;
    this.log(`sim: ${this.id}: rebooting`);
    this.rebooting = true;
    this.seqNo = 0;
    this.held = null;
    this.buffer = [];
    this.dropClient();
    clearTimeout(this.rebootTimer);
    this.rebootTimer = setTimeout(() => {
      this.rebootTimer = undefined;
      if (!this.offline) this.connect();
    }, this.bootDelayMs);
  }

  private countError(): void {
    if (!this.stopped) this.counters.errors++;
  }

  // --- publishing ---

  private tick = (): void => {
    this.timer = undefined;
    if (!this.ticking || this.stopped) return;
    this.schedule();
    if (this.rebooting) return;
    try {
      this.sample(Date.now());
    } catch (err) {
      this.countError();
      this.log(`sim: ${this.id}: sample failed: ${(err as Error).message}`);
    }
  };

  private schedule(): void {
    const now = Date.now();
    this.nextAt += this.interval;
    // After a stall (a busy event loop, a suspended laptop) resume the cadence instead of bursting.
    if (this.nextAt < now - this.interval) this.nextAt = now;
    this.timer = setTimeout(this.tick, Math.max(0, this.nextAt - now));
  }

  private sample(now: number): void {
    const seq = ++this.seqNo;
    const values = roundValues(this.spec, this.model.next(now));
    const d = this.faults.delivery(now, this.held !== null);
    if (d.drop) {
      this.counters.dropped++;
      return;
    }
    this.faults.applyValues(values, now);
    const msg = JSON.stringify({ profile: this.spec.name, seq, ts: now, ...values, status: 'ok' });
    if (d.hold) {
      this.held = msg;
      return;
    }
    this.send(msg);
    if (d.duplicate) this.send(msg);
    if (this.held !== null) {
      const late = this.held;
      this.held = null;
      this.send(late);
    }
  }

  private send(msg: string): void {
    const c = this.client;
    if (!c || !c.connected || this.offline || this.rebooting) {
      // Never hand mqtt.js a message while disconnected: its offline queue has no bound.
      if (this.bufferSize > 0) {
        this.buffer.push(msg);
        if (this.buffer.length > this.bufferSize) {
          this.buffer.shift();
          this.counters.dropped++;
        }
      } else {
        this.counters.dropped++;
      }
      return;
    }
    this.counters.published++;
    c.publish(this.telemetryTopic, msg, { qos: 1 }, (err) => {
      if (err) this.countError();
      else this.counters.acked++;
    });
  }

  // --- commands ---

  private onCommand(client: MqttClient, payload: Buffer): void {
    this.counters.commands++;
    let cmd: unknown;
    try {
      cmd = JSON.parse(payload.toString('utf8'));
    } catch {
      this.ack(client, { id: null, status: 'failed', reason: 'command is not valid JSON' });
      return;
    }
    if (cmd === null || typeof cmd !== 'object' || Array.isArray(cmd)) {
      this.ack(client, { id: null, status: 'failed', reason: 'command must be a JSON object' });
      return;
    }
    const c = cmd as { id?: unknown; name?: unknown; params?: unknown };
    if ((typeof c.id !== 'string' && typeof c.id !== 'number') || c.id === '') {
      this.ack(client, { id: null, status: 'failed', reason: 'command.id must be a non-empty string' });
      return;
    }
    const id = c.id;
    const key = String(id);
    const seen = this.recent.get(key);
    if (seen) {
      // A QoS 1 redelivery: answer again, do not run it twice.
      this.ack(client, seen);
      return;
    }
    let result: CommandAck;
    let then: (() => void) | undefined;
    const params = (c.params ?? {}) as Record<string, unknown>;
    if (c.name === 'set_interval') {
      const ms = typeof params === 'object' && params !== null ? params.ms : undefined;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
        result = { id, status: 'failed', reason: `params.ms must be a number of milliseconds in [${MIN_INTERVAL_MS}, ${MAX_INTERVAL_MS}]` };
      } else {
        this.setIntervalMs(ms);
        result = { id, status: 'acked' };
        this.log(`sim: ${this.id}: interval set to ${ms} ms`);
      }
    } else if (c.name === 'reboot') {
      result = { id, status: 'acked' };
      then = () => this.reboot();
    } else if (c.name === 'set_threshold') {
      if (typeof params.metric !== 'string' || !(params.metric in this.spec.metrics)) {
        result = { id, status: 'failed', reason: `params.metric must be one of ${Object.keys(this.spec.metrics).join(', ')}` };
      } else {
        this.thresholds[params.metric] = { low: params.low as number, high: params.high as number, value: params.value as number };
        result = { id, status: 'acked' };
      }
    } else if (c.name === 'ota') {
      const p = params as { url?: unknown; size?: unknown; sha256?: unknown; version?: unknown; rollout?: unknown };
      if (typeof p.url !== 'string' || typeof p.size !== 'number' || typeof p.sha256 !== 'string' || typeof p.version !== 'string') {
        result = { id, status: 'failed', reason: 'ota needs params.url, size, sha256 and version' };
      } else if (this.otaRunning) {
        result = { id, status: 'failed', reason: 'an update is already running' };
      } else {
        result = { id, status: 'acked' };
        const job = { url: p.url, size: p.size, sha256: p.sha256, version: p.version, rollout: typeof p.rollout === 'string' ? p.rollout : undefined };
        then = () => void this.performOta(job);
      }
    } else if (typeof c.name !== 'string') {
      result = { id, status: 'failed', reason: 'command.name must be a string' };
    } else {
      result = { id, status: 'failed', reason: `unknown command "${c.name.slice(0, 64)}" (known: set_interval, set_threshold, reboot, ota)` };
    }
    this.recent.set(key, result);
    if (this.recent.size > RECENT_COMMANDS) this.recent.delete(this.recent.keys().next().value!);
    this.ack(client, result, then);
  }

  /**
   * The device side of OTA (docs/commands-and-ota.md): fetch the image in Range pieces, hash as it
   * arrives, report progress on devices/{id}/ota, and take the new version only if the sha256 fits.
   */
  private async performOta(job: { url: string; size: number; sha256: string; version: string; rollout?: string }): Promise<void> {
    this.otaRunning = true;
    const report = (o: Record<string, unknown>) =>
      new Promise<void>((resolve) => {
        const c = this.client;
        if (!c?.connected) return resolve();
        c.publish(`devices/${this.id}/ota`, JSON.stringify({ ...o, ...(job.rollout ? { rollout: job.rollout } : {}) }), { qos: 1 }, () => resolve());
      });
    const CHUNK = 256 * 1024;
    try {
      const hash = createHash('sha256');
      let got = 0;
      await report({ status: 'downloading', progress: 0 });
      while (got < job.size) {
        const end = Math.min(job.size, got + CHUNK) - 1;
        let piece: Buffer | null = null;
        for (let attempt = 1; !piece; attempt++) {
          try {
            const res = await fetch(job.url, { headers: { range: `bytes=${got}-${end}` } });
            if (res.status !== 206) throw new Error(`HTTP ${res.status} for bytes ${got}-${end}`);
            const buf = Buffer.from(await res.arrayBuffer());
            if (buf.length !== end - got + 1) throw new Error(`got ${buf.length} bytes for ${got}-${end}`);
            piece = buf;
          } catch (err) {
            if (attempt >= 3 || this.stopped) throw err;
          }
        }
        if (this.corruptOta) {
          this.corruptOta = false;
          piece[piece.length >> 1] ^= 0xff;
        }
        hash.update(piece);
        got += piece.length;
        await report({ status: 'downloading', progress: got / job.size });
      }
      await report({ status: 'verifying', progress: 1 });
      const sha = hash.digest('hex');
      if (sha !== job.sha256.toLowerCase()) {
        await report({ status: 'failed', reason: `sha256 mismatch: image is ${sha}, expected ${job.sha256}` });
        return;
      }
      this.firmware = job.version;
      this.log(`sim: ${this.id}: firmware ${job.version} installed`);
      await report({ status: 'success', version: job.version });
    } catch (err) {
      await report({ status: 'failed', reason: `download failed: ${(err as Error).message}` });
    } finally {
      this.otaRunning = false;
    }
  }

  /** Publishes the ack; `then` runs once the broker has it (or after 1 s at most). */
  private ack(client: MqttClient, a: CommandAck, then?: () => void): void {
    let ran = false;
    const run = () => {
      if (ran) return;
      ran = true;
      clearTimeout(fallback);
      then?.();
    };
    const fallback = then ? setTimeout(run, 1000).unref() : undefined;
    client.publish(this.ackTopic, JSON.stringify(a), { qos: 1 }, (err) => {
      if (err) this.countError();
      if (then) run();
    });
  }
}

/** Runs `start(done)`; resolves true when done() is called within `ms`, false on timeout. */
function within(ms: number, start: (done: () => void) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    start(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
