import type { Message } from '../model/reading.js';

import type { Completeness, SeqBucketDelta, SeqDeviceState, SeqGap, SeqStats, SequenceUpdate } from '../model/sequence.js';
export type { SeqGap, SeqDeviceState, SeqBucketDelta, SequenceUpdate, SeqStats, Completeness } from '../model/sequence.js';

export const BUCKET_MS = 60_000;
const MAX_GAPS = 1000;
/** A seq this far below the highest seen is a restart, not a late message. */
const REORDER_WINDOW = 10_000;
/** A seq this small, newer in device time than the highest seen, is a restart too. */
const RESTART_SEQ_MAX = 10;
/** Fragmented arrivals beyond this many seen ranges forget the oldest (seqs below then count as duplicates). */
const MAX_SEEN_RANGES = 1000;

export interface SequenceCounters {
  received(n: number): void;
  duplicates(n: number): void;
  outOfOrder(n: number): void;
  restarts(n: number): void;
  missing(n: number): void;
}

export interface Accounting {
  /** The messages to store: duplicates are left out. */
  keep: Message[];
  update: SequenceUpdate;
  /** Keep the new state (the batch was committed or spooled). */
  commit(): void;
  /** Forget it (the batch failed): the senders will send again. */
  rollback(): void;
}

function cloneState(s: SeqDeviceState): SeqDeviceState {
  const c: SeqDeviceState = { ...s, gaps: s.gaps.map((g) => ({ ...g })) };
  if (s.seen) c.seen = s.seen.map(([a, b]) => [a, b]);
  return c;
}

/** Index of the seen range holding s, or -(insertion point) - 1. */
function findRange(ranges: [number, number][], s: number): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid][1] < s) lo = mid + 1;
    else if (ranges[mid][0] > s) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

function markSeen(st: SeqDeviceState, s: number): void {
  const r = (st.seen ??= []);
  const last = r[r.length - 1];
  // The usual case: the next seq in order extends the last range.
  if (last && s === last[1] + 1) last[1] = s;
  else {
    const i = findRange(r, s);
    if (i >= 0) return;
    const at = -i - 1;
    const joinsPrev = at > 0 && r[at - 1][1] === s - 1;
    const joinsNext = at < r.length && r[at][0] === s + 1;
    if (joinsPrev && joinsNext) {
      r[at - 1][1] = r[at][1];
      r.splice(at, 1);
    } else if (joinsPrev) r[at - 1][1] = s;
    else if (joinsNext) r[at][0] = s;
    else r.splice(at, 0, [s, s]);
  }
  // Anything further below the highest seq than the reorder window is taken for a restart, never looked up.
  const low = (st.maxSeq ?? s) - REORDER_WINDOW;
  let drop = 0;
  while (drop < r.length - 1 && r[drop][1] < low) drop++;
  if (r.length - drop > MAX_SEEN_RANGES) drop = r.length - MAX_SEEN_RANGES;
  if (drop > 0) {
    if (r[drop - 1][1] >= low) st.seenFloor = Math.max(st.seenFloor ?? -Infinity, r[drop - 1][1] + 1);
    r.splice(0, drop);
  }
}

/**
 * Accounts for every device's `seq`: received, duplicates (left out of storage), gaps (filled when
 * late messages arrive), out-of-order arrivals and restarts. Runs inside the batcher's serialised
 * write, so the state it persists is exactly what the store holds.
 */
export class SequenceTracker {
  private states = new Map<string, SeqDeviceState>();

  constructor(private readonly counters?: SequenceCounters) {}

  load(states: SeqDeviceState[]): void {
    for (const s of states) {
      const c = cloneState(s);
      // Saved before seen seqs were kept: what was below the highest seq is unknown, as it was then.
      if (!c.seen) {
        c.seen = [];
        if (c.maxSeq !== null) c.seenFloor = c.maxSeq + 1;
      }
      this.states.set(s.device, c);
    }
  }

  /** The highest seq accounted for the device (batches in flight included), without a copy of its state. */
  highestSeq(device: string): number | null {
    return this.states.get(device)?.maxSeq ?? null;
  }

  state(device: string): SeqDeviceState | undefined {
    const s = this.states.get(device);
    return s && cloneState(s);
  }

  account(messages: Message[]): Accounting {
    // Copy on write: the first time a batch touches a device its state is cloned once and the clone
    // is worked on; the object it replaces is left as it was, so it is both the rollback's state and
    // (when an earlier batch handed it out) that batch's persisted state, never changed after. The
    // clones become this batch's `update.devices` as they are: one clone per device per batch (was two).
    const before = new Map<string, SeqDeviceState | undefined>();
    const buckets = new Map<string, SeqBucketDelta>();
    // The bucket each device used last in this batch: consecutive messages of a device share a
    // minute, so the key string is built only when the minute changes.
    const lastBucket = new Map<string, SeqBucketDelta>();
    const keep: Message[] = [];
    const totals = { received: 0, duplicates: 0, outOfOrder: 0, restarts: 0, missing: 0 };
    const bucketOf = (device: string, ts: number): SeqBucketDelta => {
      const bucket = Math.floor(ts / BUCKET_MS) * BUCKET_MS;
      const last = lastBucket.get(device);
      if (last !== undefined && last.bucket === bucket) return last;
      const key = device + '\u0000' + bucket;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { device, bucket, received: 0, duplicates: 0, outOfOrder: 0, restarts: 0 }));
      lastBucket.set(device, b);
      return b;
    };

    for (const m of messages) {
      if (m.seq === undefined) {
        keep.push(m);
        continue;
      }
      let st: SeqDeviceState | undefined;
      if (!before.has(m.device)) {
        const cur = this.states.get(m.device);
        before.set(m.device, cur);
        if (cur) this.states.set(m.device, (st = cloneState(cur)));
      } else st = this.states.get(m.device);
      if (!st) {
        st = { device: m.device, epoch: 0, maxSeq: null, lastTs: m.ts, received: 0, duplicates: 0, outOfOrder: 0, restarts: 0, gaps: [], seen: [] };
        this.states.set(m.device, st);
      }
      const b = bucketOf(m.device, m.ts);
      const s = m.seq;
      const verdict = this.classify(st, s, m.ts);
      if (verdict === 'duplicate') {
        st.duplicates++;
        b.duplicates++;
        totals.duplicates++;
        continue;
      }
      if (verdict === 'restart') {
        st.restarts++;
        b.restarts++;
        totals.restarts++;
        st.epoch++;
        st.maxSeq = s;
        st.lastTs = m.ts;
        st.seen = [];
        delete st.seenFloor;
        st.minSeq = s;
        st.minTs = m.ts;
      } else if (verdict === 'late') {
        st.outOfOrder++;
        b.outOfOrder++;
        totals.outOfOrder++;
        if (!this.fill(st, s, m.ts) && st.minSeq !== undefined && s < st.minSeq) {
          // A backlog below the first seq seen: what lies between it and that seq is missing until it comes.
          if (s + 1 < st.minSeq) {
            const at = st.gaps.findIndex((g) => g.epoch === st!.epoch);
            st.gaps.splice(at < 0 ? st.gaps.length : at, 0, { epoch: st.epoch, fromSeq: s + 1, toSeq: st.minSeq - 1, fromTs: m.ts, toTs: st.minTs ?? m.ts });
            totals.missing += st.minSeq - 1 - s;
            if (st.gaps.length > MAX_GAPS) st.gaps.splice(0, st.gaps.length - MAX_GAPS);
          }
          st.minSeq = s;
          st.minTs = m.ts;
        }
      } else {
        if (st.maxSeq === null) {
          st.minSeq = s;
          st.minTs = m.ts;
        }
        if (st.maxSeq !== null && s > st.maxSeq + 1) {
          st.gaps.push({ epoch: st.epoch, fromSeq: st.maxSeq + 1, toSeq: s - 1, fromTs: st.lastTs, toTs: m.ts });
          totals.missing += s - 1 - st.maxSeq;
          if (st.gaps.length > MAX_GAPS) st.gaps.splice(0, st.gaps.length - MAX_GAPS);
        }
        st.maxSeq = s;
        st.lastTs = m.ts;
      }
      markSeen(st, s);
      st.received++;
      b.received++;
      totals.received++;
      keep.push(m);
    }

    // The objects this batch changed: a rollback must not undo a load() that replaced them meanwhile.
    const touched = new Map<string, SeqDeviceState>();
    for (const d of before.keys()) touched.set(d, this.states.get(d)!);
    const update: SequenceUpdate = { devices: [...touched.values()], buckets: [...buckets.values()] };
    return {
      keep,
      update,
      commit: () => {
        const c = this.counters;
        if (!c) return;
        if (totals.received) c.received(totals.received);
        if (totals.duplicates) c.duplicates(totals.duplicates);
        if (totals.outOfOrder) c.outOfOrder(totals.outOfOrder);
        if (totals.restarts) c.restarts(totals.restarts);
        if (totals.missing) c.missing(totals.missing);
      },
      rollback: () => {
        for (const [device, prev] of before) {
          // Loaded afresh since (cluster mode: this node took the device's partition again): that state stands.
          if (this.states.get(device) !== touched.get(device)) continue;
          if (prev) this.states.set(device, prev);
          else this.states.delete(device);
        }
      },
    };
  }

  private classify(st: SeqDeviceState, s: number, ts: number): 'next' | 'late' | 'duplicate' | 'restart' {
    if (st.maxSeq === null || s > st.maxSeq) return 'next';
    if (st.gaps.some((g) => g.epoch === st.epoch && s >= g.fromSeq && s <= g.toSeq)) return 'late';
    if (st.maxSeq - s > REORDER_WINDOW || (s <= RESTART_SEQ_MAX && ts > st.lastTs)) return 'restart';
    if (st.seenFloor !== undefined && s < st.seenFloor) return 'duplicate';
    // Only a seq actually received before is a duplicate; an older one never seen (a backlog sent
    // after a newer frame on first contact, a redelivery) is stored as a late arrival.
    return findRange(st.seen ?? [], s) >= 0 ? 'duplicate' : 'late';
  }

  /** Takes a late seq out of its gap, splitting the gap when the seq is inside it; false when it was in none. */
  private fill(st: SeqDeviceState, s: number, ts: number): boolean {
    const i = st.gaps.findIndex((g) => g.epoch === st.epoch && s >= g.fromSeq && s <= g.toSeq);
    if (i < 0) return false;
    const g = st.gaps[i];
    const parts: SeqGap[] = [];
    if (g.fromSeq < s) parts.push({ ...g, toSeq: s - 1, toTs: ts });
    if (s < g.toSeq) parts.push({ ...g, fromSeq: s + 1, fromTs: ts });
    st.gaps.splice(i, 1, ...parts);
    return true;
  }
}

/** Combines committed counters and open gaps into the completeness answer for a time window. */
export function completeness(device: string, from: number, to: number, stats: SeqStats, state: SeqDeviceState | undefined): Completeness {
  const missingRanges = (state?.gaps ?? [])
    .filter((g) => g.toTs >= from && g.fromTs <= to)
    .map((g) => ({ fromSeq: g.fromSeq, toSeq: g.toSeq, fromTs: g.fromTs, toTs: g.toTs }));
  const missing = missingRanges.reduce((n, g) => n + (g.toSeq - g.fromSeq + 1), 0);
  const expected = stats.received + missing;
  return { device, from, to, expected, ...stats, missing, ratio: expected === 0 ? 1 : stats.received / expected, missingRanges };
}
