import { randomUUID } from 'node:crypto';
import type { CommandReply, CommandTransport, DeviceCommand } from '../model/device-admin.js';
import type { Profile } from '../model/device.js';
import type { DeviceAdminStore } from '../stores/store.js';
import type { Logger } from '../logger.js';
import { DomainError } from '../model/errors.js';

export type { CommandEnvelope, CommandReply, CommandTransport } from '../model/device-admin.js';

export class CommandError extends DomainError {
  constructor(message: string, field: string, rule: string) {
    super(400, message, field, rule);
  }
}

export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 3_600_000;
/** Commands every device understands; a profile may declare more under `commands`. */
export const BUILTIN_COMMANDS = ['set_interval', 'set_threshold', 'reboot', 'ota'] as const;

export interface CommandServiceOptions {
  store: DeviceAdminStore;
  profileOf: (device: string) => Profile | undefined;
  logger: Logger;
  /** A delivered command not answered within this long is sent again... */
  ackTimeoutMs?: number;
  /** ...until it has been sent this many times; then it is timed_out. */
  maxAttempts?: number;
  now?: () => number;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Checks a command's name and parameters before anything is sent (throws CommandError). */
export function checkCommand(name: string, params: Record<string, unknown>, profile: Profile | undefined): void {
  if (name === 'set_interval') {
    if (!isNum(params.ms) || params.ms < MIN_INTERVAL_MS || params.ms > MAX_INTERVAL_MS) {
      throw new CommandError(`set_interval needs params.ms, milliseconds in [${MIN_INTERVAL_MS}, ${MAX_INTERVAL_MS}]`, 'params.ms', 'range');
    }
  } else if (name === 'set_threshold') {
    if (typeof params.metric !== 'string' || params.metric === '') throw new CommandError('set_threshold needs params.metric', 'params.metric', 'required');
    const bounds = ['low', 'high', 'value'].filter((k) => params[k] !== undefined);
    if (!bounds.length) throw new CommandError('set_threshold needs params.low, params.high or params.value', 'params', 'required');
    for (const k of bounds) if (!isNum(params[k])) throw new CommandError(`params.${k} must be a number`, `params.${k}`, 'number');
  } else if (name === 'reboot') {
    // no parameters
  } else if (name === 'ota') {
    for (const k of ['url', 'sha256', 'version']) if (typeof params[k] !== 'string') throw new CommandError(`ota needs params.${k}`, `params.${k}`, 'required');
    if (!isNum(params.size)) throw new CommandError('ota needs params.size', 'params.size', 'required');
  } else if (!profile?.commands || !Object.prototype.hasOwnProperty.call(profile.commands, name)) {
    const declared = profile?.commands ? Object.keys(profile.commands) : [];
    throw new CommandError(
      `unknown command "${name}": known are ${[...BUILTIN_COMMANDS.filter((c) => c !== 'ota'), ...declared].join(', ')}${profile ? '' : ' (the device has no profile to declare more)'}`,
      'name',
      'known_command',
    );
  }
}

type Listener = (cmd: DeviceCommand) => void;

/**
 * Commands to devices: pending -> delivered -> acked | failed | timed_out. A command is sent by
 * the first transport that reaches its device and sent again (same id, so the device runs it once)
 * when no answer comes, a bounded number of times.
 */
export class CommandService {
  private transports: CommandTransport[] = [];
  private open = new Map<string, DeviceCommand>();
  private timers = new Map<string, NodeJS.Timeout>();
  private listeners = new Set<Listener>();
  private readonly ackTimeoutMs: number;
  private readonly maxAttempts: number;
  private stopped = false;

  constructor(private readonly opts: CommandServiceOptions) {
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
    this.maxAttempts = opts.maxAttempts ?? 3;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** A serial link is asked first for its device, so add it with `first`. */
  addTransport(t: CommandTransport, first = false): void {
    if (first) this.transports.unshift(t);
    else this.transports.push(t);
  }

  onUpdate(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Picks up commands left open by the previous run. */
  async resume(): Promise<void> {
    for (const c of await this.opts.store.openCommands()) {
      this.open.set(c.id, c);
      this.arm(c, 0);
    }
  }

  /**
   * Takes over open commands nobody has saved for `staleMs` (the node that sent them stopped or
   * died; a live sender saves every attempt, once per ack timeout), and retries them from here.
   * Several nodes on one store: run on one node only (src/cluster/leader.ts).
   */
  async adoptStale(staleMs: number): Promise<number> {
    const now = this.now();
    let adopted = 0;
    for (const c of await this.opts.store.openCommands()) {
      if (this.stopped || this.open.has(c.id) || now - c.updatedAt < staleMs) continue;
      this.open.set(c.id, c);
      this.arm(c, 0);
      adopted++;
    }
    return adopted;
  }

  /** Adopts stale commands every `everyMs` until stopped. */
  startAdopting(staleMs: number, everyMs: number): { stop(): void } {
    const timer = setInterval(() => {
      this.adoptStale(staleMs).catch((err: Error) => this.opts.logger.error({ err: err.message }, 'adopting open commands failed'));
    }, everyMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /** Another node finished a command this node was retrying: stop retrying it here. */
  async refresh(id: string): Promise<void> {
    if (!this.open.has(id)) return;
    if ((await this.opts.store.openCommands()).some((c) => c.id === id)) return;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.open.delete(id);
  }

  /** `id`: given by a caller that records it before the device can answer (an OTA job); default a new UUID. */
  async create(device: string, name: string, params: Record<string, unknown> = {}, id: string = randomUUID()): Promise<DeviceCommand> {
    checkCommand(name, params, this.opts.profileOf(device));
    const now = this.now();
    const cmd: DeviceCommand = {
      id,
      device,
      name,
      params,
      status: 'pending',
      transport: null,
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      deliveredAt: null,
      finishedAt: null,
      reason: null,
    };
    this.open.set(cmd.id, cmd);
    await this.opts.store.saveCommand(cmd);
    await this.attempt(cmd);
    return { ...cmd };
  }

  get(id: string): DeviceCommand | undefined {
    const c = this.open.get(id);
    return c && { ...c };
  }

  list(device: string, limit = 100): Promise<DeviceCommand[]> {
    return this.opts.store.listCommands(device, limit);
  }

  /**
   * A device answered. A command open in the store but not here was sent by another node sharing
   * the store: it is finished here (that node hears it through the change feed). Other ids
   * (answered twice, or another server's) are ignored.
   */
  async reply(device: string, r: CommandReply): Promise<boolean> {
    const cmd = this.open.get(r.id) ?? (await this.opts.store.openCommands()).find((c) => c.id === r.id);
    if (!cmd || cmd.device !== device) return false;
    this.finish(cmd, r.status, r.status === 'failed' ? (r.reason ?? 'the device refused it') : null);
    await this.save(cmd);
    return true;
  }

  /** Parses an MQTT ack payload `{id, status, reason?}`; false when it is not one. */
  async replyFromPayload(device: string, payload: Buffer | string): Promise<boolean> {
    let v: unknown;
    try {
      v = JSON.parse(payload.toString());
    } catch {
      return false;
    }
    const o = v as { id?: unknown; status?: unknown; reason?: unknown };
    if (!o || typeof o !== 'object' || (typeof o.id !== 'string' && typeof o.id !== 'number')) return false;
    const status = o.status === 'failed' ? 'failed' : o.status === 'acked' || o.status === undefined ? 'acked' : null;
    if (!status) return false;
    return this.reply(device, { id: String(o.id), status, reason: typeof o.reason === 'string' ? o.reason.slice(0, 500) : undefined });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async attempt(cmd: DeviceCommand): Promise<void> {
    if (this.stopped || !this.open.has(cmd.id)) return;
    if (cmd.attempts >= this.maxAttempts) {
      this.finish(cmd, 'timed_out', `no answer after ${cmd.attempts} attempt${cmd.attempts === 1 ? '' : 's'}`);
      await this.save(cmd);
      return;
    }
    const t = this.transports.find((x) => x.reaches(cmd.device));
    cmd.attempts++;
    cmd.updatedAt = this.now();
    if (!t) {
      cmd.reason = 'no transport reaches the device';
    } else {
      cmd.transport = t.kind;
      try {
        await t.send(cmd.device, { id: cmd.id, name: cmd.name, params: cmd.params });
        if (cmd.status === 'pending') {
          cmd.status = 'delivered';
          cmd.deliveredAt = this.now();
          cmd.reason = null;
        }
      } catch (err) {
        cmd.reason = `could not send over ${t.kind}: ${(err as Error).message}`;
      }
    }
    if (this.open.has(cmd.id)) {
      await this.save(cmd);
      this.arm(cmd, this.ackTimeoutMs);
    }
  }

  private arm(cmd: DeviceCommand, ms: number): void {
    clearTimeout(this.timers.get(cmd.id));
    const timer = setTimeout(() => {
      this.timers.delete(cmd.id);
      this.attempt(cmd).catch((err: Error) => this.opts.logger.error({ err: err.message, command: cmd.id }, 'command retry failed'));
    }, ms);
    timer.unref();
    this.timers.set(cmd.id, timer);
  }

  private finish(cmd: DeviceCommand, status: 'acked' | 'failed' | 'timed_out', reason: string | null): void {
    clearTimeout(this.timers.get(cmd.id));
    this.timers.delete(cmd.id);
    this.open.delete(cmd.id);
    const now = this.now();
    cmd.status = status;
    cmd.reason = reason;
    cmd.updatedAt = now;
    cmd.finishedAt = now;
    if (cmd.deliveredAt === null && status !== 'timed_out') cmd.deliveredAt = now;
  }

  private async save(cmd: DeviceCommand): Promise<void> {
    await this.opts.store.saveCommand(cmd);
    for (const l of this.listeners) l({ ...cmd });
  }
}
