// Run-to-failure equipment: a bearing whose vibration and temperature degrade towards failure at a
// random pace, with knocks that grow more frequent as it wears; at failure it is replaced and a new
// life begins. Used by the simulator (kind "bearing") and by the models benchmark, which needs the
// failure times that a real fleet only learns afterwards.
import { gauss, type Rng, type Values } from './kinds.js';

export interface RunToFailureOptions {
  /** Shortest and longest life, ms (uniform between). */
  lifeMinMs: number;
  lifeMaxMs: number;
}

/** Health 0 (new) .. 1 (failed) at which the bearing counts as failed: its vibration passes ~7 mm/s. */
export const FAILED_HEALTH = 1;

export class RunToFailure {
  /** When the current life began and when it ends (the truth RUL is measured against). */
  start = NaN;
  failsAt = NaN;
  lives = 0;
  private pace = 2;
  private base = { vib: 1, temp: 40 };

  constructor(
    private readonly rng: Rng,
    private readonly opts: RunToFailureOptions,
  ) {}

  /** Wear 0..1 at ts: slow at first, accelerating (t/life)^pace, pace random per life. */
  health(ts: number): number {
    return Math.min(1, Math.max(0, (ts - this.start) / (this.failsAt - this.start)) ** this.pace);
  }

  next(ts: number): Values {
    if (!(ts < this.failsAt)) this.renew(Number.isNaN(this.start) ? ts : Math.max(ts, this.failsAt));
    const h = this.health(ts);
    const knock = this.rng() < 0.002 + 0.05 * h ? 1.5 + 3 * h * this.rng() : 0;
    return {
      vibration_rms: Math.max(0.05, this.base.vib + 6 * h + 0.08 * gauss(this.rng) + knock),
      temperature: this.base.temp + 25 * h + 0.4 * gauss(this.rng),
    };
  }

  private renew(at: number): void {
    this.start = at;
    this.failsAt = at + this.opts.lifeMinMs + this.rng() * (this.opts.lifeMaxMs - this.opts.lifeMinMs);
    this.pace = 1.5 + 2.5 * this.rng();
    this.base = { vib: 0.8 + 0.4 * this.rng(), temp: 38 + 4 * this.rng() };
    this.lives++;
  }
}
