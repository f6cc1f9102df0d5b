// Where a renderer's time goes, from a Chromium trace (CDP `Tracing`, the events DevTools'
// Performance panel records): self time per kind of work (script, style, layout, paint, raster,
// compositing, GC) on the page's main thread and on the compositor and raster threads.
import type { CDPSession } from 'playwright-core';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
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
  if (/^Layout$|LayoutShift|UpdateLayout|LocalFrameView::layout|IntersectionObserver/.test(name)) return 'layout';
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
export async function traceFrames(cdp: CDPSession, during: () => Promise<unknown>): Promise<TraceSummary> {
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
  return {
    seconds,
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

export function formatTrace(label: string, t: TraceSummary): string {
  const f = (r: Record<Kind, number>) =>
    (Object.entries(r) as [Kind, number][])
      .filter(([, v]) => v >= 0.5)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ');
  return (
    `  fleet trace (${label}, ${t.seconds.toFixed(0)} s), ms per second: main thread: ${f(t.main)}; compositor/raster/display: ${f(t.offMain)}; ` +
    `${t.drawn} frames drawn, ${t.dropped} dropped\n` +
    t.topMain.map((x) => `    ${x.ms.toFixed(1).padStart(7)} ms/s  ${x.name}\n`).join('')
  );
}
