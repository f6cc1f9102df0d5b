// Reads a V8 .cpuprofile (node --cpu-prof) of one thread and tells where its time went within a
// window: idle, GC, native, and the functions with the most self time. The windows are taken on the
// same monotonic clock as the profile's timestamps (process.hrtime in any process of the machine),
// so one profile of a whole bench run can be split into its phases.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ThreadShare {
  /** Wall time of the window covered by samples, ms. */
  ms: number;
  /** Share of the window the thread was busy (not idle), 0..1. */
  busy: number;
  /** GC's share of the window. */
  gc: number;
  /** The functions with the most self time: name, share of the window, and the functions' share that is under each `groups` key. */
  top: { name: string; share: number }[];
  /** Inclusive share of the window under frames whose url or name matches each group's pattern. */
  groups: Record<string, number>;
}

/** The monotonic clock the profile uses, in µs (a bench marks its phases with this). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function short(url: string): string {
  const i = url.search(/\/(src|node_modules|bench)\//);
  return i >= 0 ? url.slice(i + 1) : url.replace(/^node:/, '');
}

/**
 * Splits the samples of `file` between `fromUs` and `toUs`. `groups` names patterns (on the
 * frame's url plus function name) whose inclusive share is told: e.g. `{ json: /JSON|serialize/ }`.
 */
export function threadShare(file: string, fromUs: number, toUs: number, groups: Record<string, RegExp> = {}, topN = 20): ThreadShare {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const grouped: Record<string, number> = Object.fromEntries(Object.keys(groups).map((k) => [k, 0]));
  let t = p.startTime;
  let total = 0;
  let idle = 0;
  let gc = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    // A sample stands for the time until the next one.
    const dt = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0;
    if (t < fromUs || t >= toUs || dt <= 0) continue;
    total += dt;
    const node = byId.get(p.samples[i])!;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    if (name === '(garbage collector)') gc += dt;
    const key = node.callFrame.url ? `${name} ${short(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : name;
    self.set(key, (self.get(key) ?? 0) + dt);
    const hit = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      const label = `${f.url} ${f.functionName}`;
      for (const [g, re] of Object.entries(groups)) if (!hit.has(g) && re.test(label)) hit.add(g);
    }
    for (const g of hit) grouped[g] += dt;
  }
  const share = (x: number) => (total ? x / total : NaN);
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([name, us]) => ({ name, share: share(us) }));
  return {
    ms: total / 1000,
    busy: share(total - idle),
    gc: share(gc),
    top,
    groups: Object.fromEntries(Object.entries(grouped).map(([k, v]) => [k, share(v)])),
  };
}

/** The profile of the main thread among those `--cpu-prof` wrote (workers write their own): the one with the most samples in the window. */
export function mainThreadProfile(files: string[]): string | undefined {
  let best: { f: string; n: number } | undefined;
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8')) as CpuProfile;
    // The main thread runs the HTTP server: its profile has Fastify frames.
    const isMain = p.nodes.some((n) => /fastify\/lib\/server/.test(n.callFrame.url));
    if (isMain && (!best || p.samples.length > best.n)) best = { f, n: p.samples.length };
  }
  return best?.f;
}

export interface LongTasks {
  /** Stretches of at least `minMs` with no idle sample. */
  count: number;
  longestMs: number;
  totalMs: number;
  /** Inclusive share of the long tasks' time under each function (one count per sample and function). */
  top: { name: string; share: number }[];
}

/**
 * The longest pause between two samples that still counts as sampled: 100 sampling intervals (the
 * profile's median), at least 100 ms. A busy thread is sampled all along (the sampler is its own
 * thread); a longer silence means the profiler itself was not sampling (the process stopped,
 * the sampler starved on a loaded machine), and what the thread did then is unknown.
 */
export function samplingGapUs(timeDeltas: number[]): number {
  return Math.max(100 * samplingIntervalUs(timeDeltas), 100_000);
}

/** The profile's sampling interval as it ran: the median pause between samples, µs. */
function samplingIntervalUs(timeDeltas: number[]): number {
  const positive = timeDeltas.filter((d) => d > 0).sort((a, b) => a - b);
  return positive.length ? positive[positive.length >> 1] : 0;
}

/**
 * The stretches of `fromUs`..`toUs` where the thread never went idle for at least `minMs`: what holds
 * the event loop (a PUBACK or /health waits for the whole stretch), and the functions they are made of.
 * A sampling gap (samplingGapUs) is neither busy nor idle: a stretch ends at the last sample before it
 * (counted one sampling interval long) and the next sampled one starts a new stretch.
 */
export function longTasks(file: string, fromUs: number, toUs: number, minMs = 50, topN = 20): LongTasks {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const idleIds = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const result: LongTasks = { count: 0, longestMs: 0, totalMs: 0, top: [] };
  const incl = new Map<string, number>();
  let run: { start: number; samples: { id: number; dt: number }[] } | null = null;
  const close = (end: number) => {
    if (!run) return;
    const ms = (end - run.start) / 1000;
    if (ms >= minMs) {
      result.count++;
      result.totalMs += ms;
      result.longestMs = Math.max(result.longestMs, ms);
      for (const s of run.samples) {
        const seen = new Set<string>();
        for (let id: number | undefined = s.id; id !== undefined; id = parent.get(id)) {
          const f = byId.get(id)!.callFrame;
          if (!f.functionName || f.functionName === '(root)') continue;
          const key = f.url ? `${f.functionName} ${short(f.url)}:${f.lineNumber + 1}` : f.functionName;
          if (seen.has(key)) continue;
          seen.add(key);
          incl.set(key, (incl.get(key) ?? 0) + s.dt);
        }
      }
    }
    run = null;
  };
  const gapUs = samplingGapUs(p.timeDeltas);
  /** A sample before a gap stands for one sampling interval, not the silence after it. */
  const beforeGapUs = samplingIntervalUs(p.timeDeltas);
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    if (t < fromUs || t >= toUs) continue;
    const next = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0;
    const gapAfter = next > gapUs;
    const dt = gapAfter ? beforeGapUs : next;
    if (idleIds.has(p.samples[i])) close(t);
    else {
      run ??= { start: t, samples: [] };
      run.samples.push({ id: p.samples[i], dt });
    }
    if (gapAfter) close(t + dt);
  }
  close(t);
  const totalUs = result.totalMs * 1000;
  result.top = [...incl.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([name, us]) => ({ name, share: totalUs ? us / totalUs : NaN }));
  return result;
}
