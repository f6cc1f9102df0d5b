// A fleet of simulated devices: builds them, connects them, runs scheduled faults, sums stats.

import { SimDevice, MIN_INTERVAL_MS, MAX_INTERVAL_MS, type DeviceCounters } from './device.js';
import { validateFault, type Fault } from './faults.js';
import { DEFAULT_KINDS, KINDS, KIND_NAMES, createRng, isKindName, type KindName } from './kinds.js';

export { SimDevice } from './device.js';
export type { Fault, FaultType } from './faults.js';
export type { KindName } from './kinds.js';

/** A fault the simulator injects by itself. */
export interface ScheduledFault {
  /** A device id, a kind name (every device of it) or '*' (every device). */
  device: string;
  fault: Fault;
  /** First injection, ms after start (default 0). */
  atMs?: number;
  /** Repeat every this many ms (default: once). */
  everyMs?: number;
}

export interface SimulatorOptions {
  brokerUrl: string;
  /** Default 4: one of each kind. */
  devices?: number;
  /** Messages per second per device; default 1. */
  rateHz?: number;
  /** Kinds to rotate through; default all. */
  kinds?: KindName[];
  /** Prepended to every device id, e.g. "sim-". */
  prefix?: string;
  username?: string;
  password?: string;
  /** Before each device id in its MQTT client id: a user or API key may only use ids of its own (src/auth/client-id.ts). */
  clientIdPrefix?: string;
  log?: (msg: string) => void;
  /** Give up connecting after this long; default 10 000. */
  connectTimeoutMs?: number;
  /** Per device, messages kept while disconnected and replayed on reconnect; default 0 (lost). */
  bufferSize?: number;
  /** Seeds the signal models so a run can be repeated. */
  seed?: number;
  schedule?: ScheduledFault[];
}

export interface SimStats {
  published: number;
  acked: number;
  errors: number;
  dropped: number;
  commands: number;
}

export interface Simulator {
  devices: SimDevice[];
  stats(): SimStats;
  inject(deviceId: string, fault: Fault): void;
  stop(): Promise<void>;
}

const MAX_DEVICES = 10_000;

/** Device ids in rotation order: kinds cycle, numbering is per kind (ina219-01, battery-01, ...). */
export function deviceIds(count: number, kinds: readonly KindName[], prefix = ''): Array<{ id: string; kind: KindName }> {
  const perKind = new Map<KindName, number>();
  const out: Array<{ id: string; kind: KindName }> = [];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length];
    const n = (perKind.get(kind) ?? 0) + 1;
    perKind.set(kind, n);
    out.push({ id: `${prefix}${kind}-${String(n).padStart(2, '0')}`, kind });
  }
  return out;
}

function validate(opts: SimulatorOptions): void {
  if (typeof opts.brokerUrl !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\//.test(opts.brokerUrl)) {
    throw new Error(`simulator: brokerUrl must be an mqtt://, mqtts://, ws:// or wss:// URL, got ${JSON.stringify(opts.brokerUrl)}`);
  }
  const n = opts.devices ?? 4;
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEVICES) throw new Error(`simulator: devices must be an integer in [1, ${MAX_DEVICES}], got ${n}`);
  const hz = opts.rateHz ?? 1;
  const ms = 1000 / hz;
  if (typeof hz !== 'number' || !Number.isFinite(hz) || hz <= 0 || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw new Error(`simulator: rateHz must be in [${1000 / MAX_INTERVAL_MS}, ${1000 / MIN_INTERVAL_MS}], got ${hz}`);
  }
  if (opts.kinds !== undefined) {
    if (!Array.isArray(opts.kinds) || opts.kinds.length === 0) throw new Error('simulator: kinds must be a non-empty list');
    for (const k of opts.kinds) {
      if (!isKindName(k)) throw new Error(`simulator: unknown kind ${JSON.stringify(k)} (known: ${KIND_NAMES.join(', ')})`);
    }
  }
  if (opts.prefix !== undefined && !/^[A-Za-z0-9._:-]{0,64}$/.test(opts.prefix)) {
    throw new Error('simulator: prefix may hold letters, digits, . _ : - (at most 64)');
  }
  const timeout = opts.connectTimeoutMs ?? 10_000;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new Error('simulator: connectTimeoutMs must be a positive number');
  const buf = opts.bufferSize ?? 0;
  if (!Number.isInteger(buf) || buf < 0 || buf > 100_000) throw new Error('simulator: bufferSize must be an integer in [0, 100000]');
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  validate(opts);
  const log = opts.log ?? (() => {});
  const kinds = opts.kinds ?? [...DEFAULT_KINDS];
  const intervalMs = 1000 / (opts.rateHz ?? 1);
  const seedRng = opts.seed !== undefined ? createRng(opts.seed) : undefined;
  const devices = deviceIds(opts.devices ?? 4, kinds, opts.prefix ?? '').map(
    ({ id, kind }) =>
      new SimDevice({
        id,
        kind,
        brokerUrl: opts.brokerUrl,
        intervalMs,
        username: opts.username,
        password: opts.password,
        clientIdPrefix: opts.clientIdPrefix,
        rng: seedRng ? createRng(Math.floor(seedRng() * 2 ** 32)) : undefined,
        log,
        bufferSize: opts.bufferSize,
      }),
  );
  const byId = new Map(devices.map((d) => [d.id, d]));

  // Check the schedule before anything connects.
  for (const [i, s] of (opts.schedule ?? []).entries()) {
    const targets = resolveTargets(devices, s.device);
    if (targets.length === 0) throw new Error(`simulator: schedule[${i}].device "${s.device}" matches no device`);
    for (const d of targets) validateFault(s.fault, KINDS[d.kind]);
    if (s.atMs !== undefined && !(Number.isFinite(s.atMs) && s.atMs >= 0)) throw new Error(`simulator: schedule[${i}].atMs must be >= 0`);
    if (s.everyMs !== undefined && !(Number.isFinite(s.everyMs) && s.everyMs >= 100)) throw new Error(`simulator: schedule[${i}].everyMs must be >= 100`);
  }

  const timeoutMs = opts.connectTimeoutMs ?? 10_000;
  const results = await Promise.allSettled(devices.map((d) => d.start(timeoutMs)));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    await Promise.all(devices.map((d) => d.stop()));
    const first = (failed[0].reason as Error).message;
    throw new Error(`simulator: ${failed.length} of ${devices.length} devices could not connect to ${opts.brokerUrl}: ${first}`);
  }
  log(`sim: ${devices.length} devices publishing to ${opts.brokerUrl} at ${opts.rateHz ?? 1} Hz`);

  const timers = new Set<NodeJS.Timeout>();
  const fire = (s: ScheduledFault) => {
    for (const d of resolveTargets(devices, s.device)) {
      try {
        d.inject(s.fault);
      } catch (err) {
        log(`sim: scheduled fault on ${d.id} failed: ${(err as Error).message}`);
      }
    }
  };
  for (const s of opts.schedule ?? []) {
    const first = setTimeout(() => {
      timers.delete(first);
      fire(s);
      if (s.everyMs !== undefined) {
        const every = setInterval(() => fire(s), s.everyMs);
        timers.add(every);
      }
    }, s.atMs ?? 0);
    timers.add(first);
  }

  let stopping: Promise<void> | undefined;
  return {
    devices,
    stats() {
      const sum: SimStats = { published: 0, acked: 0, errors: 0, dropped: 0, commands: 0 };
      for (const d of devices) for (const k of Object.keys(sum) as Array<keyof DeviceCounters>) sum[k] += d.counters[k];
      return sum;
    },
    inject(deviceId, fault) {
      const d = byId.get(deviceId);
      if (!d) throw new Error(`simulator: no device "${deviceId}" (have: ${[...byId.keys()].slice(0, 8).join(', ')}${byId.size > 8 ? ', ...' : ''})`);
      d.inject(fault);
    },
    stop() {
      stopping ??= (async () => {
        for (const t of timers) clearTimeout(t); // clears intervals too
        timers.clear();
        await Promise.all(devices.map((d) => d.stop()));
        log('sim: stopped');
      })();
      return stopping;
    },
  };
}

function resolveTargets(devices: SimDevice[], target: string): SimDevice[] {
  if (target === '*') return devices;
  if (isKindName(target)) return devices.filter((d) => d.kind === target);
  return devices.filter((d) => d.id === target);
}
