// Where a renderer's time goes, from a Chromium trace (CDP `Tracing`, the events DevTools'
// Performance panel records): self time per kind of work (script, style, layout, paint, raster,
// compositing, GC) on the page's main thread and on the compositor and raster threads.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of the event: what it cost, not counting time the OS gave the core to others. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
}

export type Kind = 'script' | 'gc' | 'style' | 'layout' | 'paint' | 'commit' | 'raster' | 'composite' | 'other';
export interface TraceSummary {
  seconds: number;
  /** Self time per kind, ms per second of the trace, on the page's main thread. */
  main: Record<Kind, number>;
  /** The same on the compositor thread and the raster workers together. */
  offMain: Record<Kind, number>;
  /** Main-thread self time by event name, ms per second, largest first. */
  topMain: { name: string; ms: number }[];
  /** Frames the compositor drew and the ones it dropped or left partial, over the trace. */
  drawn: number;
  dropped: number;
  /** What filled the frames that missed 60 fps (null: the page's frame callbacks were not found in the trace). */
  late: LateFrames | null;
  /** The raw trace, for chrome://tracing or DevTools (Load profile). */
  file: string;
}

/**
 * The frames over the budget, from the bench's own requestAnimationFrame callback (`step`) in the
 * trace: the window between two of its calls more than `budgetMs` apart is a late frame, and
 * everything the page's threads did inside it is what made it late.
 */
export interface LateFrames {
  budgetMs: number;
  frames: number;
  late: number;
  /** Window length of the late frames: mean and total ms. */
  meanMs: number;
  totalMs: number;
  /** Mean wall ms per late frame by kind on the main thread; idle = the window less all main-thread work. */
  main: Record<Kind | 'idle', number>;
  /** The same in CPU ms (thread time): the rest of the window the thread was idle or waiting for a core. */
  mainCpu: Record<Kind | 'idle or waiting for a core', number>;
  /**
   * Every frame, late or not: mean CPU ms per frame on the main thread by kind, and on the other
   * threads together. What the page costs a frame whatever the load; a late frame is this plus waiting.
   */
  perFrameCpu: Record<Kind, number>;
  perFrameCpuOffMain: number;
  /** Mean CPU ms per late frame on the compositor, raster and display threads. */
  offMain: Record<Kind, number>;
  /** Main-thread trace events by self CPU time inside late frames, mean ms per late frame. */
  topEvents: { name: string; ms: number }[];
  /** JavaScript self time by function (V8 samples inside late frames), mean ms per late frame, source-mapped. */
  topFunctions: { fn: string; ms: number }[];
  /** The same frames' JS by top-level task (what the browser called: timer, message, animation frame...), mean ms per late frame. */
  topTasks: { name: string; ms: number }[];
}

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'v8',
  'v8.execute',
  'blink',
  'cc',
  'gpu',
  'viz',
  'toplevel',
  'benchmark',
  // V8's sampler inside the trace: which functions ran in the frames that were late.
  'disabled-by-default-v8.cpu_profiler',
];

function kindOf(name: string): Kind {
  if (
    /^(FunctionCall|EvaluateScript|v8\.|V8\.Execute|TimerFire|FireAnimationFrame|EventDispatch|RunMicrotasks|FireIdleCallback|XHR|ParseHTML|v8\.compile|V8\.Compile|CompileScript|RunTask|ScheduledAction)/.test(
      name,
    )
  ) {
    return /GC|Gc/.test(name) ? 'gc' : 'script';
  }
  if (/GC|Gc|MinorGC|MajorGC|BlinkGC/.test(name)) return 'gc';
  if (/UpdateLayoutTree|RecalculateStyles|RecalcStyle|ParseAuthorStyleSheet|InvalidateLayout|ScheduleStyleRecalculation/.test(name)) return 'style';
  if (/^Layout$|LayoutShift|UpdateLayout|LocalFrameView::(layout|performLayout)|IntersectionObserver|InlineNode/.test(name)) return 'layout';
  if (/Paint|PrePaint|UpdateLayer|Layerize|PaintArtifact|DisplayItem|Decode|ImageDecode/.test(name)) return 'paint';
  if (/Commit|ProxyMain::BeginMainFrame::commit|ActivateLayerTree|ActivateSyncTree/.test(name)) return 'commit';
  if (/Raster|TileManager|RasterTask|PlaybackRasterSource|RasterBufferProvider/.test(name)) return 'raster';
  if (/Draw|Composite|Display::DrawAndSwap|SoftwareRenderer|DirectRenderer|SwapBuffers|SkiaOutputSurface|Aggregat/.test(name)) return 'composite';
  return 'other';
}

const zero = (): Record<Kind, number> => ({ script: 0, gc: 0, style: 0, layout: 0, paint: 0, commit: 0, raster: 0, composite: 0, other: 0 });

/** Self time of complete ('X') events per thread: each event's duration less its children's. */
function selfTimes(events: TraceEvent[]): { name: string; self: number }[] {
  const xs = events.filter((e) => e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const out: { name: string; self: number }[] = [];
  const stack: { e: TraceEvent; self: number; end: number }[] = [];
  const pop = () => out.push({ name: stack[stack.length - 1].e.name, self: stack.pop()!.self });
  for (const e of xs) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) pop();
    if (stack.length) stack[stack.length - 1].self -= Math.min(e.dur!, stack[stack.length - 1].end - e.ts);
    stack.push({ e, self: e.dur!, end: e.ts + e.dur! });
  }
  while (stack.length) pop();
  return out;
}

/** Runs `during` while Chromium traces the page, then sums the trace. */
export async function traceFrames(cdp: CDPSession, during: () => Promise<unknown>, budgetMs = 1000 / 60): Promise<TraceSummary> {
  const events: TraceEvent[] = [];
  const onData = (p: { value: object[] }) => void events.push(...(p.value as unknown as TraceEvent[]));
  cdp.on('Tracing.dataCollected', onData);
  await cdp.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: CATEGORIES, recordMode: 'recordAsMuchAsPossible' } });
  const t0 = Date.now();
  await during();
  const seconds = (Date.now() - t0) / 1000;
  const done = new Promise<void>((res) => cdp.once('Tracing.tracingComplete', () => res()));
  await cdp.send('Tracing.end');
  await done;
  cdp.off('Tracing.dataCollected', onData);
  const file = join(tmpdir(), `fieldscope-fleet-trace-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ traceEvents: events, seconds }));
  return analyseTrace(events, seconds, file, budgetMs);
}

/** Reads a trace traceFrames saved (`bench/trace-report.ts FILE`); source maps from `mapDir` when the server is gone. */
export function readTrace(file: string): { events: TraceEvent[]; seconds: number } {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[]; seconds: number };
  return { events: j.traceEvents, seconds: j.seconds };
}

export async function analyseTrace(events: TraceEvent[], seconds: number, file: string, budgetMs = 1000 / 60, mapDir?: string): Promise<TraceSummary> {
  // Which threads are whose: the renderer whose main thread ran the page's script.
  const threadName = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
  const scriptPids = new Map<number, number>();
  for (const e of events)
    if (e.ph === 'X' && (e.name === 'FunctionCall' || e.name === 'FireAnimationFrame')) scriptPids.set(e.pid, (scriptPids.get(e.pid) ?? 0) + 1);
  const pid = [...scriptPids].sort((a, b) => b[1] - a[1])[0]?.[0];
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const k = `${e.pid}:${e.tid}`;
    let l = byThread.get(k);
    if (!l) byThread.set(k, (l = []));
    l.push(e);
  }
  const main = zero();
  const offMain = zero();
  const topMain = new Map<string, number>();
  for (const [k, evs] of byThread) {
    const name = threadName.get(k) ?? '';
    const samePid = Number(k.split(':')[0]) === pid;
    const isMain = samePid && name === 'CrRendererMain';
    // The renderer's compositor and raster workers, and the (software) display compositor, wherever it runs.
    const isOff = (samePid && /Compositor|Raster|CompositorTileWorker/.test(name)) || /VizCompositor|CrGpuMain|Viz/.test(name);
    if (!isMain && !isOff) continue;
    for (const s of selfTimes(evs)) {
      const kind = kindOf(s.name);
      (isMain ? main : offMain)[kind] += s.self / 1000;
      if (isMain) topMain.set(s.name, (topMain.get(s.name) ?? 0) + s.self / 1000);
    }
  }
  const per = (r: Record<Kind, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v / seconds])) as Record<Kind, number>;
  let drawn = 0;
  let dropped = 0;
  for (const e of events) {
    if (e.pid !== pid) continue;
    if (e.name === 'DrawFrame') drawn++;
    if (e.name === 'DroppedFrame' || (e.name === 'PipelineReporter' && (e.args as { data?: { state?: string } } | undefined)?.data?.state === 'STATE_DROPPED'))
      dropped++;
  }
  const mainKey = [...byThread.keys()].find((k) => Number(k.split(':')[0]) === pid && threadName.get(k) === 'CrRendererMain');
  const offKeys = [...byThread.keys()].filter((k) => {
    const name = threadName.get(k) ?? '';
    return (Number(k.split(':')[0]) === pid && /Compositor|Raster|CompositorTileWorker/.test(name)) || /VizCompositor|CrGpuMain|Viz/.test(name);
  });
  const late = mainKey
    ? await lateFrames(
        events,
        byThread.get(mainKey)!,
        offKeys.map((k) => byThread.get(k)!),
        pid!,
        budgetMs,
        mapDir,
      )
    : null;
  return {
    seconds,
    late,
    file,
    main: per(main),
    offMain: per(offMain),
    topMain: [...topMain]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, ms]) => ({ name, ms: ms / seconds })),
    drawn,
    dropped,
  };
}

/** The windows between calls of the bench's frame callback `step` (its FunctionCall inside a FireAnimationFrame). */
function frameWindows(mainEvents: TraceEvent[]): [number, number][] {
  const stepCalls = mainEvents
    .filter((e) => e.name === 'FunctionCall' && (e.args?.data as { functionName?: string } | undefined)?.functionName === 'step')
    .map((e) => e.ts)
    .sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (let i = 1; i < stepCalls.length; i++) out.push([stepCalls[i - 1], stepCalls[i]]);
  return out;
}

/**
 * Self time of `events` (one thread) clipped to the windows, by kind and by name: wall time, and
 * CPU time (the events' thread time), which a loaded machine does not inflate.
 */
function inWindows(events: TraceEvent[], windows: [number, number][]): { kind: Record<Kind, number>; cpu: Record<Kind, number>; byName: Map<string, number> } {
  const kind = zero();
  const cpu = zero();
  const byName = new Map<string, number>();
  const xs = events.filter((e) => e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const stack: { e: TraceEvent; self: number; cpu: number; end: number }[] = [];
  const done: { e: TraceEvent; self: number; cpu: number }[] = [];
  for (const e of xs) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) done.push(stack.pop()!);
    if (stack.length) {
      const top = stack[stack.length - 1];
      top.self -= Math.min(e.dur!, top.end - e.ts);
      top.cpu -= e.tdur ?? 0;
    }
    stack.push({ e, self: e.dur!, cpu: e.tdur ?? 0, end: e.ts + e.dur! });
  }
  done.push(...stack);
  const ws = [...windows].sort((a, b) => a[0] - b[0]);
  for (const { e, self, cpu: c } of done) {
    if (!e.dur) continue;
    const a = e.ts;
    const b = e.ts + e.dur;
    let lo = 0;
    let hi = ws.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (ws[m][1] <= a) lo = m + 1;
      else hi = m;
    }
    let overlap = 0;
    for (let i = lo; i < ws.length && ws[i][0] < b; i++) overlap += Math.max(0, Math.min(b, ws[i][1]) - Math.max(a, ws[i][0]));
    if (!overlap) continue;
    // Self time spread evenly over the event's span, so the part inside the windows counts.
    const share = overlap / e.dur / 1000;
    const k = kindOf(e.name);
    kind[k] += Math.max(0, self) * share;
    cpu[k] += Math.max(0, c) * share;
    byName.set(e.name, (byName.get(e.name) ?? 0) + Math.max(0, c) * share);
  }
  return { kind, cpu, byName };
}

interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

/** Minified names back to the source's, through the script's source map (fetched from where the page got the script). */
async function sourceNamer(urls: string[], mapDir?: string): Promise<(f: ProfileNode['callFrame']) => string> {
  const maps = new Map<string, { at(line: number, col: number): string | null }>();
  try {
    const tm = await import('@jridgewell/trace-mapping');
    for (const url of new Set(urls)) {
      if (!/^https?:.*\.js$/.test(url)) continue;
      try {
        const raw = mapDir
          ? readFileSync(join(mapDir, `${new URL(url).pathname}.map`), 'utf8')
          : await fetch(`${url}.map`).then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))));
        const map = new tm.TraceMap(raw);
        maps.set(url, {
          at: (line, col) => {
            const p = tm.originalPositionFor(map, { line: line + 1, column: col });
            return p.source ? `${p.name ?? ''} ${p.source.replace(/^.*?(web\/src\/|node_modules\/)/, '$1')}:${p.line}`.trim() : null;
          },
        });
      } catch {
        // No map for this script: its names stay as they are.
      }
    }
  } catch {
    // No source-map reader here: minified names.
  }
  return (f) => {
    const file = f.url ? f.url.replace(/^.*\//, '') : '';
    const mapped = maps.get(f.url)?.at(f.lineNumber, f.columnNumber);
    const name = f.functionName || '(anonymous)';
    return mapped ? `${name} -> ${mapped}` : `${name}${file ? ` ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`;
  };
}

async function lateFrames(
  all: TraceEvent[],
  mainEvents: TraceEvent[],
  offThreads: TraceEvent[][],
  pid: number,
  budgetMs: number,
  mapDir?: string,
): Promise<LateFrames | null> {
  const windows = frameWindows(mainEvents);
  if (!windows.length) return null;
  // A frame a quarter over the budget is late (vsync jitter is not).
  const lateW = windows.filter(([a, b]) => (b - a) / 1000 > budgetMs * 1.25);
  const n = Math.max(1, lateW.length);
  const totalMs = lateW.reduce((s, [a, b]) => s + (b - a) / 1000, 0);
  const m = inWindows(mainEvents, lateW);
  const off = zero();
  for (const evs of offThreads) {
    const o = inWindows(evs, lateW);
    for (const k of Object.keys(off) as Kind[]) off[k] += o.cpu[k];
  }
  const busy = Object.values(m.kind).reduce((s, v) => s + v, 0);
  const busyCpu = Object.values(m.cpu).reduce((s, v) => s + v, 0);
  const every = inWindows(mainEvents, windows);
  let allOff = 0;
  for (const evs of offThreads) allOff += Object.values(inWindows(evs, windows).cpu).reduce((s, v) => s + v, 0);
  const mean = (r: Record<Kind, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v / n])) as Record<Kind, number>;
  // Top-level tasks that ran script inside late frames: the first script-kind child of each RunTask.
  const tasks = new Map<string, number>();
  for (const e of mainEvents) {
    if (
      e.ph !== 'X' ||
      !e.dur ||
      !/^(TimerFire|FireAnimationFrame|EventDispatch|FunctionCall|RunMicrotasks|XHRReadyStateChange|ParseHTML|V8\.Execute)$/.test(e.name)
    )
      continue;
    let overlap = 0;
    for (const [a, b] of lateW) overlap += Math.max(0, Math.min(e.ts + e.dur, b) - Math.max(e.ts, a));
    if (!overlap) continue;
    const d = e.args?.data as { functionName?: string; type?: string; url?: string; lineNumber?: number } | undefined;
    const name = `${e.name}${d?.type ? ` ${d.type}` : ''}${d?.functionName ? ` ${d.functionName}` : ''}`;
    tasks.set(name, (tasks.get(name) ?? 0) + overlap / 1000);
  }
  // V8's samples: the Profile event gives the start, its ProfileChunks the nodes, samples and gaps.
  const nodes = new Map<number, ProfileNode>();
  const samples: { t: number; node: number }[] = [];
  const starts = new Map<string, number>();
  const clock = new Map<string, number>();
  for (const e of all) {
    if (e.pid !== pid) continue;
    const data = e.args?.data as { startTime?: number; cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] } | undefined;
    const id = String((e as unknown as { id?: string }).id);
    if (e.name === 'Profile' && typeof data?.startTime === 'number') starts.set(id, data.startTime);
    if (e.name !== 'ProfileChunk' || !data) continue;
    for (const nd of data.cpuProfile?.nodes ?? []) nodes.set(nd.id, nd);
    const ss = data.cpuProfile?.samples ?? [];
    const ds = data.timeDeltas ?? [];
    let t = clock.get(id) ?? starts.get(id) ?? 0;
    for (let i = 0; i < ss.length; i++) {
      t += ds[i] ?? 0;
      samples.push({ t, node: ss[i] });
    }
    clock.set(id, t);
  }
  samples.sort((a, b) => a.t - b.t);
  const selfByNode = new Map<number, number>();
  const ws = [...lateW].sort((a, b) => a[0] - b[0]);
  let wi = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const { t, node } = samples[i];
    while (wi < ws.length && ws[wi][1] <= t) wi++;
    if (wi >= ws.length) break;
    if (t < ws[wi][0]) continue;
    // A sample stands for the time until the next one (capped: a gap means the sampler was off).
    selfByNode.set(node, (selfByNode.get(node) ?? 0) + Math.min(samples[i + 1].t - t, 2000) / 1000);
  }
  const name = await sourceNamer(
    [...nodes.values()].map((nd) => nd.callFrame.url),
    mapDir,
  );
  const byFn = new Map<string, number>();
  for (const [id, ms] of selfByNode) {
    const nd = nodes.get(id);
    if (!nd) continue;
    const key = name(nd.callFrame);
    if (/^\((idle|root)\)/.test(key)) continue;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const top = (mp: Map<string, number>, k: number) =>
    [...mp]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([x, ms]) => [x, ms / n] as const);
  return {
    budgetMs,
    frames: windows.length,
    late: lateW.length,
    meanMs: totalMs / n,
    totalMs,
    main: { ...mean(m.kind), idle: Math.max(0, totalMs - busy) / n },
    mainCpu: { ...mean(m.cpu), 'idle or waiting for a core': Math.max(0, totalMs - busyCpu) / n },
    perFrameCpu: Object.fromEntries(Object.entries(every.cpu).map(([k, v]) => [k, v / windows.length])) as Record<Kind, number>,
    perFrameCpuOffMain: allOff / windows.length,
    offMain: mean(off),
    topEvents: top(m.byName, 12).map(([name, ms]) => ({ name, ms })),
    topFunctions: top(byFn, 20).map(([fn, ms]) => ({ fn, ms })),
    topTasks: top(tasks, 10).map(([name, ms]) => ({ name, ms })),
  };
}

export function formatTrace(label: string, t: TraceSummary): string {
  const f = (r: Record<Kind, number>) =>
    (Object.entries(r) as [Kind, number][])
      .filter(([, v]) => v >= 0.5)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ');
  return (
    `  fleet trace (${label}, ${t.seconds.toFixed(0)} s), ms per second: main thread: ${f(t.main)}; compositor/raster/display: ${f(t.offMain)}; ` +
    `${t.drawn} frames drawn, ${t.dropped} dropped\n` +
    t.topMain.map((x) => `    ${x.ms.toFixed(1).padStart(7)} ms/s  ${x.name}\n`).join('') +
    formatLate(t.late) +
    `    raw trace: ${t.file}\n`
  );
}

function formatLate(l: LateFrames | null): string {
  if (!l) return "    late frames: the bench's frame callback was not found in the trace\n";
  const f = (r: Record<string, number>) =>
    Object.entries(r)
      .filter(([, v]) => v >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ');
  return (
    `    late frames (over ${(l.budgetMs * 1.25).toFixed(1)} ms): ${l.late} of ${l.frames}, mean ${l.meanMs.toFixed(1)} ms; per late frame, ms: ` +
    `main thread, wall: ${f(l.main)}\n` +
    `      main thread, CPU: ${f(l.mainCpu)}; compositor/raster/display, CPU: ${f(l.offMain)}\n` +
    `    every frame (${l.frames}), CPU ms per frame: main thread ${Object.values(l.perFrameCpu)
      .reduce((a, b) => a + b, 0)
      .toFixed(1)} (${f(l.perFrameCpu)}); compositor/raster/display ${l.perFrameCpuOffMain.toFixed(1)}\n` +
    `    main-thread events in late frames (self CPU ms per late frame):\n` +
    l.topEvents.map((x) => `      ${x.ms.toFixed(2).padStart(7)}  ${x.name}\n`).join('') +
    `    tasks running script in late frames (wall ms per late frame):\n` +
    l.topTasks.map((x) => `      ${x.ms.toFixed(2).padStart(7)}  ${x.name}\n`).join('') +
    `    JavaScript self time in late frames (V8 samples, ms per late frame):\n` +
    l.topFunctions.map((x) => `      ${x.ms.toFixed(2).padStart(7)}  ${x.fn}\n`).join('')
  );
}
