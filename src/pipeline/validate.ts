import type { Message, Rejection } from '../model/reading.js';
import type { Profile } from '../model/device.js';

export interface Verdict {
  /** The message with refused readings taken out (null when every reading was refused). */
  message: Message | null;
  /** Readings refused: they go to the dead-letter store, the rest of the message is kept. */
  rejections: readonly Rejection[];
  /** Readings stored but marked: the reason is kept beside them. */
  flags: readonly Rejection[];
}

/** No problem found: one list for every message that has none (most), not two new ones each. */
const NONE: readonly Rejection[] = Object.freeze([]);

/** Finds the profile a device is bound to: by the API, or by the `profile` field of its first message. */
export interface ProfileLookup {
  boundProfile(device: string): string | null | undefined;
  profile(name: string): Profile | undefined;
}

function fmt(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}

/** Checks a decoded message against its device's profile: valid ranges and known metrics. */
export function validateMessage(m: Message, profile: Profile | undefined): Verdict {
  if (!profile) return { message: m, rejections: NONE, flags: NONE };
  let rejections: Rejection[] | null = null;
  let flags: Rejection[] | null = null;
  let kept: Record<string, number> | null = null;
  const outOfRange = profile.outOfRange ?? 'reject';
  const unknown = profile.unknownMetrics ?? 'accept';
  for (const metric in m.values) {
    const v = m.values[metric];
    const spec = Object.prototype.hasOwnProperty.call(profile.metrics, metric) ? profile.metrics[metric] : undefined;
    let problem: Rejection | null = null;
    let action: 'reject' | 'flag' | 'accept' = 'accept';
    if (!spec) {
      action = unknown;
      problem = { field: metric, rule: 'unknown_metric', message: `${metric} is not a metric of profile ${profile.name}` };
    } else if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
      action = outOfRange;
      problem = { field: metric, rule: 'range', message: `${metric} = ${v} is outside [${fmt(spec.min)}, ${fmt(spec.max)}] of profile ${profile.name}` };
    }
    if (problem && action === 'reject') {
      (rejections ??= []).push(problem);
      if (!kept) kept = { ...m.values };
      delete kept[metric];
    } else if (problem && action === 'flag') (flags ??= []).push(problem);
  }
  if (!kept) return { message: m, rejections: rejections ?? NONE, flags: flags ?? NONE };
  if (Object.keys(kept).length === 0) return { message: null, rejections: rejections ?? NONE, flags: flags ?? NONE };
  return { message: { ...m, values: kept }, rejections: rejections ?? NONE, flags: flags ?? NONE };
}

/** Validates messages against the profile of their device, as bound right now. */
export class Validator {
  constructor(private readonly lookup: ProfileLookup) {}

  knowsProfile(name: string): boolean {
    return this.lookup.profile(name) !== undefined;
  }

  /** The profile a message is checked against: its device's binding, else the one it names; undefined when none. */
  profileOf(m: Message): Profile | undefined {
    const name = this.lookup.boundProfile(m.device) ?? m.profile;
    return name ? this.lookup.profile(name) : undefined;
  }

  validate(m: Message): Verdict {
    return validateMessage(m, this.profileOf(m));
  }
}
