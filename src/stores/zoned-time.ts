/** Wall-clock arithmetic in a named IANA time zone, done with Intl so DST and :30/:45 offsets are right. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when the runtime knows the zone (e.g. 'Asia/Seoul'). */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Offset of the zone from UTC at instant ts, in ms (Asia/Kolkata: +19_800_000). */
export function zoneOffset(ts: number, tz: string): number {
  if (tz === 'UTC') return 0;
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ts))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ts / 1000) * 1000;
}

/** The UTC instant a local wall-clock time (given as ms on a fake UTC timeline) names; in a DST gap, the instant just after. */
export function localToUtc(local: number, tz: string): number {
  let guess = local - zoneOffset(local, tz);
  // Two rounds settle on the offset in force at the answer, including across a transition.
  guess = local - zoneOffset(guess, tz);
  return guess;
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Start (UTC instant) of the local bucket of the given width containing ts. Width: minutes, hours dividing a day, or whole days. */
export function floorLocal(ts: number, width: number, tz: string): number {
  const local = ts + zoneOffset(ts, tz);
  const start = localToUtc(Math.floor(local / width) * width, tz);
  // Around a DST change the wall-clock floor can land after ts; step back one bucket then.
  return start > ts ? localToUtc(Math.floor(local / width) * width - width, tz) : start;
}

/** Bucket boundaries covering [from, to] in local wall-clock steps of width; the last element is the end of the last bucket. */
export function localBoundaries(from: number, to: number, width: number, tz: string): number[] {
  const first = floorLocal(from, width, tz);
  let local = first + zoneOffset(first, tz);
  const out = [first];
  for (;;) {
    local += width;
    const next = localToUtc(local, tz);
    if (next <= out[out.length - 1]) continue;
    out.push(next);
    if (next > to) return out;
  }
}
