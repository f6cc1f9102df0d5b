// Device kinds the simulator can play and the signal model behind each. Metric names are the ones
// in profiles/<kind>.json; every model keeps its values inside that profile's [min, max] (only an
// injected fault may push a value out).

import { RunToFailure } from './run-to-failure.js';

export type KindName = 'ina219' | 'battery' | 'factory' | 'vibration' | 'bearing';
export const KIND_NAMES: readonly KindName[] = ['ina219', 'battery', 'factory', 'vibration', 'bearing'];
/** A simulated fleet's kinds unless --kinds names others: run-to-failure bearings are asked for by name. */
export const DEFAULT_KINDS: readonly KindName[] = ['ina219', 'battery', 'factory', 'vibration'];

export type Values = Record<string, number>;
/** Uniform in [0, 1). */
export type Rng = () => number;

export interface MetricModel {
  /** Digits after the point the device reports. */
  decimals: number;
  /** Default offset (metric units) of a `spike` fault: far out of the normal band. */
  spike: number;
  /** Default offset (metric units) a `drift` fault reaches at its end. */
  drift: number;
}

export interface SignalModel {
  /** The next sample, taken at `ts` (epoch ms); unrounded. */
  next(ts: number): Values;
}

export interface KindSpec {
  /** Also the profile name the device names on its messages. */
  name: KindName;
  metrics: Readonly<Record<string, MetricModel>>;
  /** The metric a fault hits when it names none. */
  primary: string;
  create(rng: Rng): SignalModel;
  /** Recomputes derived metrics (INA219: w = v * a) after faults, except those in `fixed`. */
  derive?(values: Values, fixed: ReadonlySet<string>): void;
}

export function isKindName(s: unknown): s is KindName {
  return typeof s === 'string' && (KIND_NAMES as readonly string[]).includes(s);
}

/** mulberry32: small, fast, good enough for noise; seeded so a run can be replayed. */
export function createRng(seed: number = Math.floor(Math.random() * 2 ** 32)): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal (Box-Muller). */
export function gauss(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** Mean-reverting random walk (Ornstein-Uhlenbeck), held inside [min, max]. */
class Walk {
  constructor(
    public x: number,
    private readonly theta: number, // pull back per second
    private readonly sigma: number, // noise per sqrt(second)
    private readonly min: number,
    private readonly max: number,
  ) {}
  step(dt: number, mean: number, rng: Rng): number {
    this.x += this.theta * (mean - this.x) * dt + this.sigma * Math.sqrt(dt) * gauss(rng);
    this.x = clamp(this.x, this.min, this.max);
    return this.x;
  }
}

/** Seconds since the previous sample: 1 on the first, capped so a long pause does not jump. */
function stepper(): (ts: number) => number {
  let last: number | undefined;
  return (ts) => {
    const dt = last === undefined ? 1 : clamp((ts - last) / 1000, 0, 60);
    last = ts;
    return dt;
  };
}

/** -1..1 over the local day, peaking at `peakHour`. */
function daily(ts: number, peakHour: number): number {
  const d = new Date(ts);
  const h = d.getHours() + d.getMinutes() / 60 + d.getSeconds() / 3600;
  return Math.cos((2 * Math.PI * (h - peakHour)) / 24);
}

/** Machines run 06:00-22:00; at night only auxiliaries hum. */
function shiftLoad(ts: number): number {
  const h = new Date(ts).getHours();
  return h >= 6 && h < 22 ? 1 : 0.35;
}

const ina219: KindSpec = {
  name: 'ina219',
  primary: 'v',
  metrics: {
    v: { decimals: 3, spike: 3, drift: -0.4 },
    a: { decimals: 4, spike: 1.5, drift: 0.5 },
    w: { decimals: 4, spike: 8, drift: 2 },
  },
  create(rng) {
    const dt = stepper();
    const supply = new Walk(5.05, 0.02, 0.004, 4.95, 5.15);
    const load = new Walk(0.2 + rng() * 0.1, 0.05, 0.02, 0.02, 1.2);
    let target = 0.25;
    return {
      next(ts) {
        const s = dt(ts);
        // The load hops between operating points now and then; the current wanders towards it.
        if (rng() < 0.01 * s) target = 0.15 + rng() * 0.25;
        const a = load.step(s, target, rng) + 0.002 * gauss(rng);
        // The supply sags a little under load (source resistance ~0.2 ohm).
        const v = supply.step(s, 5.05, rng) - 0.2 * a + 0.003 * gauss(rng);
        return { v: clamp(v, 4.8, 5.2), a: clamp(a, 0.01, 1.3), w: 0 };
      },
    };
  },
  derive(values, fixed) {
    // Computed from the rounded values the device reports, so w = v*a holds on the wire.
    if (!fixed.has('w')) values.w = round(values.v * values.a, 4);
  },
};

const battery: KindSpec = {
  name: 'battery',
  primary: 'voltage',
  metrics: {
    voltage: { decimals: 3, spike: 0.6, drift: -0.25 },
    electrolyte_level: { decimals: 1, spike: -30, drift: -20 },
    specific_gravity: { decimals: 3, spike: -0.06, drift: -0.04 },
    temperature: { decimals: 1, spike: 30, drift: 15 },
  },
  create(rng) {
    const dt = stepper();
    const cell = new Walk(2.15, 0.01, 0.003, 2.08, 2.26);
    const temp = new Walk(24 + rng() * 2, 0.002, 0.03, 5, 40);
    const sgNoise = new Walk(0, 0.05, 0.0005, -0.008, 0.008);
    let level = 88 + rng() * 8;
    const lossPerSecond = 1 / 3600; // 1 %/h: evaporation, sped up so a demo shows the trend
    return {
      next(ts) {
        const s = dt(ts);
        level -= lossPerSecond * s;
        if (level < 65) level = 94 + rng() * 2; // topped up by maintenance before the 60 % alarm
        const t = temp.step(s, 24 + 2.5 * daily(ts, 15), rng);
        // Less water, stronger acid; warmer acid reads lighter (-0.0007 SG/°C).
        const sg = 1.245 + 0.0012 * (95 - level) - 0.0007 * (t - 25) + sgNoise.step(s, 0, rng);
        // Float voltage compensated down ~3 mV/°C above 25 °C by the charger.
        const v = cell.step(s, 2.15, rng) - 0.003 * (t - 25) + 0.002 * gauss(rng);
        return {
          voltage: clamp(v, 2.05, 2.3),
          electrolyte_level: clamp(level + 0.1 * gauss(rng), 0, 100),
          specific_gravity: clamp(sg, 1.215, 1.28),
          temperature: t,
        };
      },
    };
  },
};

const factory: KindSpec = {
  name: 'factory',
  primary: 'temperature',
  metrics: {
    temperature: { decimals: 2, spike: 40, drift: 10 },
    humidity: { decimals: 1, spike: 35, drift: 20 },
    vibration: { decimals: 3, spike: 15, drift: 5 },
    sound: { decimals: 1, spike: 30, drift: 10 },
  },
  create(rng) {
    const dt = stepper();
    const temp = new Walk(22 + rng() * 3, 0.005, 0.05, 10, 38);
    const hum = new Walk(50 + rng() * 10, 0.005, 0.1, 25, 78);
    const vib = new Walk(2.5, 0.1, 0.25, 0.1, 6.5);
    return {
      next(ts) {
        const s = dt(ts);
        const d = daily(ts, 15);
        const load = shiftLoad(ts);
        const vibration = clamp(vib.step(s, 2.5 * load, rng) + 0.05 * gauss(rng), 0.05, 6.8);
        return {
          temperature: temp.step(s, 23 + 3 * d, rng),
          humidity: hum.step(s, 55 - 8 * d, rng), // air is driest in the warm afternoon
          vibration,
          sound: clamp(48 + 4.5 * vibration + 1.5 * gauss(rng), 30, 84),
        };
      },
    };
  },
};

/** Channel order = fault class: 0 normal, 1 unbalance, 2 looseness, 3 unbalance + looseness. */
const VIB_CHANNELS = ['normal', 'unbalance', 'looseness', 'unbalance_looseness'] as const;

const vibration: KindSpec = {
  name: 'vibration',
  primary: 'normal',
  metrics: {
    normal: { decimals: 4, spike: 30, drift: 10 },
    unbalance: { decimals: 4, spike: 30, drift: 10 },
    looseness: { decimals: 4, spike: 30, drift: 10 },
    unbalance_looseness: { decimals: 4, spike: 30, drift: 10 },
    fault_type: { decimals: 0, spike: 4, drift: 3 },
  },
  create(rng) {
    let fault = 0;
    let until: number | undefined;
    const dwell = () => 30_000 + rng() * 90_000;
    const shaftHz = 29.95 + rng() * 0.1; // ~1800 rpm
    const phase = rng() * 2 * Math.PI;
    return {
      next(ts) {
        if (until === undefined) until = ts + dwell();
        else if (ts >= until) {
          fault = (fault + 1 + Math.floor(rng() * 3)) % 4; // any class but the current one
          until = ts + dwell();
        }
        const t = ts / 1000;
        const w = 2 * Math.PI * shaftHz * t + phase;
        const impulse = () => (rng() < 0.05 ? (rng() < 0.5 ? -1 : 1) * (1.5 + 2 * rng()) : 0);
        // Signatures: unbalance is a strong 1x; looseness adds 2x/3x harmonics and knocks.
        const sig = [
          0.8 * Math.sin(w),
          4 * Math.sin(w + 0.3),
          1.5 * Math.sin(w) + 1.2 * Math.sin(2 * w) + 0.8 * Math.sin(3 * w) + impulse(),
          4 * Math.sin(w + 0.3) + 1.2 * Math.sin(2 * w) + 0.8 * Math.sin(3 * w) + impulse(),
        ];
        const out: Values = {};
        VIB_CHANNELS.forEach((ch, i) => {
          // The channel of the rig's current condition carries its signature; the others idle low.
          const x = i === fault ? sig[i] + 0.15 * gauss(rng) : 0.15 * Math.sin(w) + 0.08 * gauss(rng);
          out[ch] = clamp(x, -45, 45);
        });
        out.fault_type = fault;
        return out;
      },
    };
  },
};

/** Run-to-failure: wears out over one to three hours of simulated time, then is replaced. */
const bearing: KindSpec = {
  name: 'bearing',
  primary: 'vibration_rms',
  metrics: {
    vibration_rms: { decimals: 3, spike: 20, drift: 8 },
    temperature: { decimals: 2, spike: 60, drift: 30 },
  },
  create(rng) {
    const life = new RunToFailure(rng, { lifeMinMs: 3_600_000, lifeMaxMs: 3 * 3_600_000 });
    return { next: (ts) => life.next(ts) };
  },
};

export const KINDS: Readonly<Record<KindName, KindSpec>> = { ina219, battery, factory, vibration, bearing };

/** Rounds a raw sample to what the device reports. */
export function roundValues(kind: KindSpec, values: Values): Values {
  for (const m in values) {
    const spec = kind.metrics[m];
    if (spec) values[m] = round(values[m], spec.decimals);
  }
  return values;
}
