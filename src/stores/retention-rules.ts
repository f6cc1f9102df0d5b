import type { Profile } from '../model/device.js';
import type { RetentionPolicy, RetentionStore } from './store.js';
import { effectiveRetention, type EffectiveRetention } from './retention.js';
import { HOUR } from './zoned-time.js';

export interface RetentionRulesOptions {
  /** The global default (flags, env, config file). */
  base: RetentionPolicy;
  /** Config file: raw hours per profile (over the profile file's rawRetentionHours) and per device. */
  rawHoursByProfile?: Record<string, number>;
  rawHoursByDevice?: Record<string, number>;
  profiles: { list(): Profile[] };
  /** Per-device settings made through the API (they win over the config file's). */
  store: Pick<RetentionStore, 'deviceOverrides'>;
}

/**
 * Which raw retention applies to which device, from every place it can be set: the device's own
 * setting (API, then config file), its profile's (config file, then the profile), the global default.
 * Asked afresh each time: profiles and device settings change while the server runs.
 */
export class RetentionRules {
  constructor(private readonly opts: RetentionRulesOptions) {}

  async policy(): Promise<RetentionPolicy> {
    const { base } = this.opts;
    const byProfile: NonNullable<RetentionPolicy['byProfile']> = { ...base.byProfile };
    for (const p of this.opts.profiles.list()) {
      if (p.rawRetentionHours !== undefined) byProfile[p.name] = { ...byProfile[p.name], rawMs: p.rawRetentionHours * HOUR };
    }
    for (const [name, h] of Object.entries(this.opts.rawHoursByProfile ?? {})) byProfile[name] = { ...byProfile[name], rawMs: h * HOUR };
    const byDevice: NonNullable<RetentionPolicy['byDevice']> = { ...base.byDevice };
    for (const [id, h] of Object.entries(this.opts.rawHoursByDevice ?? {})) byDevice[id] = { rawMs: h * HOUR, from: 'config' };
    for (const [id, ms] of Object.entries(await this.opts.store.deviceOverrides())) byDevice[id] = { rawMs: ms, from: 'device' };
    return { ...base, byProfile, byDevice };
  }

  async forDevice(device: string, profile: string | null): Promise<EffectiveRetention> {
    return effectiveRetention(await this.policy(), device, profile);
  }
}

/** A retention in words, for summaries and logs: "8760 h (profile vibration)". */
export function describeRetention(r: EffectiveRetention, profile: string | null): string {
  const why =
    r.rawSource === 'profile'
      ? `profile ${profile}`
      : r.rawSource === 'device'
        ? 'set for this device'
        : r.rawSource === 'device-config'
          ? 'config file, this device'
          : 'default';
  return `${+(r.rawMs / HOUR).toFixed(3)} h (${why})`;
}
