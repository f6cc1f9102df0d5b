// Benchmark 4: many MQTT devices, each publishing QoS1 with a seq every 10 s: Fieldscope's resident
// memory, its cost per device, and that none of the messages is lost.
//
// Devices connect from several loopback source addresses (127.0.0.2, .3, ...; at most `perAddress`
// each, below the broker's default cap of 1000 per address, which stays on) so that neither the
// ephemeral port range of one address nor the per-address cap is the limit, and from several probe
// processes (`perProbe` each) so that no probe's memory or descriptors are. The clients come in two
// equal steps: the cost per device is the growth between them, divided by the devices added, so
// start-up allocations and warm-up do not count. The process's descriptor limit bounds the
// connections it can hold: it is read from /proc and the run says what it was.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { median, rssBytes, runScript, startFieldscope, startMosquitto, tempDir } from './lib/procs.js';
import { metricValue, scrapeMetrics } from './lib/metrics.js';
import type { Figure } from './lib/report.js';
import { probePlan } from './lib/address-plan.js';

interface ProbeResult {
  clients: number;
  connectFailed: number;
  retries: number;
  published: number;
  acked: number;
  failed: number;
  unacked: number;
  closed: number;
  firstError: string;
}

export interface ConnectionsOptions {
  runs: number;
  clients: number;
  /** Publishing time once every client is connected. */
  seconds: number;
  perProbe?: number;
  perAddress?: number;
  /** Leave out the bare-Mosquitto baseline (it takes as long as the run: for a before/after pair). */
  skipBaseline?: boolean;
  /** Heap snapshots of the server at each step, written to this folder (for bench/heap-diff.ts). */
  heapDir?: string;
  /** MQTT listener processes (--mqtt-listeners N); memory is the main process's plus theirs. */
  listeners?: number;
  /** The devices already connected pause publishing while the next step connects (resumed before any figure is taken). */
  quietRamp?: boolean;
}

/** Open-file limit of a running process (soft), from /proc. */
export function openFileLimit(pid: number | 'self'): number {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/** Memory as the server sees it: V8 heap and external (ArrayBuffers, socket buffers handed to JS), from /metrics. */
function heapOf(text: string): { heapMiB: number; externalMiB: number } {
  const read = (name: string) => metricValue(text, `fieldscope_process_${name}`) / 2 ** 20;
  return { heapMiB: read('nodejs_heap_size_used_bytes'), externalMiB: read('nodejs_external_memory_bytes') };
}

/** Two publish intervals (each device's first publish comes within one of its connecting): every device has published and its per-series state exists. */
const settleMs = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS sampled a few times over `ms` (GC moves it): the median. */
async function settledRss(pid: number, ms: number): Promise<number> {
  const xs: number[] = [];
  for (let t = 0; t < 5; t++) {
    await sleep(ms / 5);
    xs.push(rssBytes(pid) / 2 ** 20);
  }
  return median(xs);
}

/** Sends SIGUSR2 (--heapsnapshot-signal) to `pid` and waits for its snapshot file to stop growing. */
async function heapSnapshot(dir: string, pid: number): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  let size = -1;
  let still = 0;
  for (let t = 0; t < 600; t++) {
    await sleep(1000);
    // Heap.<date>.<time>.<pid>.<thread>.<seq>.heapsnapshot
    const added = readdirSync(dir).find((f) => !before.has(f) && f.includes(`.${pid}.`));
    if (!added) continue;
    const now = statSync(join(dir, added)).size;
    // Unchanged for two seconds: written (a starved writer can pause for one).
    still = now > 0 && now === size ? still + 1 : 0;
    if (still === 2) return join(dir, added);
    size = now;
  }
  throw new Error(`no heap snapshot from ${pid} in 10 minutes`);
}

/** Proportional set size (shared pages split among the processes sharing them), MiB. */
function pssMiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Sample {
  /** RSS of the main process and every listener, summed (shared pages counted in each). */
  rss: number;
  main: number;
  listeners: number;
  /** The same processes' PSS, summed: what they take from the machine together. */
  pss: number;
}

/** The server's memory with its listener processes, sampled a few times over `ms`: the median of each. */
async function settledSample(pids: number[], ms: number): Promise<Sample> {
  const xs: Sample[] = [];
  for (let t = 0; t < 5; t++) {
    await sleep(ms / 5);
    const rss = pids.map((p) => rssBytes(p) / 2 ** 20);
    xs.push({
      rss: rss.reduce((a, b) => a + b, 0),
      main: rss[0],
      listeners: rss.slice(1).reduce((a, b) => a + b, 0),
      pss: pids.reduce((a, p) => a + pssMiB(p), 0),
    });
  }
  const m = (k: keyof Sample) => median(xs.map((x) => x[k]));
  return { rss: m('rss'), main: m('main'), listeners: m('listeners'), pss: m('pss') };
}

/** The listener processes' pids, from /health (none without listeners). */
async function listenerPids(httpUrl: string): Promise<number[]> {
  const h = (await (await fetch(`${httpUrl}/health`)).json()) as { components: Record<string, { mode?: string; pids?: number[] }> };
  return Object.values(h.components).find((c) => c.mode === 'listeners')?.pids ?? [];
}

/** Starts probes for devices [first, first + count): several processes, several source addresses (bench/lib/address-plan.ts). */
function startProbes(url: string, first: number, count: number, o: Required<Pick<ConnectionsOptions, 'perProbe' | 'perAddress'>>) {
  const plans = probePlan(first, count, o.perProbe, o.perAddress);
  return plans.map((plan) =>
    runScript<ProbeResult>('connections-probe.ts', {
      url,
      clients: plan.n,
      first: plan.from,
      seconds: 3600,
      local: plan.local.join(','),
      'per-address': o.perAddress,
      burst: Math.max(25, Math.floor(200 / plans.length)),
    }),
  );
}

/** The same clients against a bare Mosquitto: its RSS. */
async function mosquittoRss(o: Required<Pick<ConnectionsOptions, 'perProbe' | 'perAddress' | 'clients'>>): Promise<number> {
  const mosq = await startMosquitto();
  const mp = startProbes(mosq.url, 0, o.clients, o);
  process.once('exit', () => mp.forEach((p) => p.proc.exitCode === null && p.proc.kill('SIGKILL')));
  await Promise.all(mp.map((p) => p.ready));
  // One publish interval and a little: every client has published; Mosquitto keeps no per-series state to grow after.
  const rss = await settledRss(mosq.proc.pid!, 12_000);
  for (const p of mp) p.proc.kill('SIGTERM');
  await Promise.all(mp.map((p) => p.result));
  await Promise.all(mp.map((p) => p.result));
  await mosq.stop();
  return rss;
}

export async function benchConnections(opts: ConnectionsOptions): Promise<Figure> {
  const o = { perProbe: 10_000, perAddress: 900, ...opts };
  const ours: number[] = [];
  const perDevice: number[] = [];
  const projections: number[] = [];
  const base: number[] = [];
  const notes: string[] = [];
  const ownLimit = openFileLimit('self');
  for (let i = 0; i < o.runs; i++) {
    const half = Math.floor(o.clients / 2);
    const steps = [half, o.clients - half];

    if (!o.skipBaseline) base.push(await mosquittoRss(o));
    else base.push(NaN);

    const data = tempDir('fs-bench-conn-');
    const nodeArgs = o.heapDir ? [`--heapsnapshot-signal=SIGUSR2`, `--diagnostic-dir=${o.heapDir}`] : [];
    // The broker's own caps stay as shipped except the total, which defaults to the descriptor limit less 1024.
    const listenerArgs = o.listeners ? ['--mqtt-listeners', String(o.listeners)] : [];
    const fs = await startFieldscope(['--no-simulator', '--mqtt-max-connections', '0', ...listenerArgs], data.dir, nodeArgs);
    const pid = fs.proc.pid!;
    const pids = [pid, ...(await listenerPids(fs.httpUrl))];
    if (o.listeners && pids.length !== o.listeners + 1) throw new Error(`expected ${o.listeners} listener processes, /health lists ${pids.length - 1}`);
    const probes: ReturnType<typeof startProbes> = [];
    // A failed run leaves nothing running behind it.
    const cleanup = () => {
      for (const p of probes) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
      if (fs.proc.exitCode === null) fs.proc.kill('SIGKILL');
    };
    process.once('exit', cleanup);
    const fdLimit = openFileLimit(pids[pids.length - 1]);
    // Each listener keeps 1024 descriptors back (FD_HEADROOM); the main process holds no device sockets then.
    const capacity = o.listeners ? o.listeners * (fdLimit - 1024) : fdLimit - 200;
    if (o.clients > capacity) {
      await fs.stop();
      data.remove();
      throw new Error(
        `the server's open-file limit is ${fdLimit} (hard limit of this shell: see ulimit -Hn): it cannot hold ${o.clients} connections; ask for at most ${capacity}${o.listeners ? '' : ', or add --listeners=N'}`,
      );
    }
    await sleep(2000);
    const idleSample = await settledSample(pids, 3000);
    const idle = idleSample.rss;
    const at: ({ clients: number; heapMiB: number; externalMiB: number } & Sample)[] = [];
    let first = 0;
    const ramps: number[] = [];
    for (let s = 0; s < steps.length; s++) {
      const started = Date.now();
      if (o.quietRamp) for (const p of probes) p.proc.kill('SIGUSR1');
      // Every probe publishes until told to stop, after the last step and the steady phase.
      const ps = startProbes(fs.mqttUrl, first, steps[s], o);
      probes.push(...ps);
      await Promise.all(ps.map((p) => p.ready));
      if (o.quietRamp) for (const p of probes) p.proc.kill('SIGUSR2');
      first += steps[s];
      ramps.push(Math.round((Date.now() - started) / 1000));
      process.stderr.write(`  connections: ${first} clients connected (${ramps.at(-1)} s ramp)\n`);
      const sample = await settledSample(pids, settleMs);
      const mem = heapOf(await scrapeMetrics(fs.httpUrl));
      at.push({ clients: first, ...sample, ...mem });
      if (o.heapDir) {
        // One process at a time (a snapshot briefly takes about the heap's size again); listeners
        // inherit the server's --heapsnapshot-signal, so each writes its own file.
        for (const p of pids) {
          const file = await heapSnapshot(o.heapDir, p);
          process.stderr.write(`  heap snapshot of ${p === pid ? 'the server' : `listener ${p}`} at ${first} clients: ${file}\n`);
        }
      }
    }
    // Steady: every device publishing, RSS followed to the end.
    const steadySample = await settledSample(pids, o.seconds * 1000);
    const steady = steadySample.rss;
    for (const p of probes) p.proc.kill('SIGTERM');
    const r = await Promise.all(probes.map((p) => p.result));
    const sum = (k: keyof ProbeResult) => r.reduce((a, x) => a + (x[k] as number), 0);
    const peak = Math.max(steady, ...at.map((x) => x.rss));
    // Every acknowledged message stored once (3 readings each), none missing in the seq accounting.
    await sleep(2000);
    const text = await scrapeMetrics(fs.httpUrl);
    const stored = metricValue(text, 'fieldscope_readings_stored_total');
    const missing = metricValue(text, 'fieldscope_seq_missing_total');
    const dup = metricValue(text, 'fieldscope_seq_duplicates_total');
    // What the broker refused, by reason: a probe sees only "closed before CONNACK".
    const refused = [...text.matchAll(/^fieldscope_mqtt_connections_refused_total\{reason="([^"]+)"\} (\S+)$/gm)]
      .filter((m) => Number(m[2]) > 0)
      .map((m) => `${m[1]} ${m[2]}`)
      .join(', ');
    await fs.stop();
    process.off('exit', cleanup);
    data.remove();
    const [a, b] = at;
    const per = ((b.rss - a.rss) * 1024) / (b.clients - a.clients);
    ours.push(Math.max(b.rss, steady));
    const projected = idle + (per * 100_000) / 1024;
    projections.push(projected);
    perDevice.push(per);
    const lost = sum('acked') * 3 - stored;
    const complete = lost === 0 && sum('connectFailed') === 0 && sum('failed') === 0 && sum('unacked') === 0 && (Number.isNaN(missing) || missing === 0);
    notes.push(
      `run ${i + 1}: server fd limit ${fdLimit} (bench ${ownLimit})${o.listeners ? `, ${o.listeners} listener processes` : ''}${o.quietRamp ? ', quiet ramp' : ''}; ramps ${ramps.join(' s, ')} s; idle ${idle.toFixed(0)} MiB; ` +
        at
          .map(
            (x) =>
              `${x.clients} clients ${x.rss.toFixed(0)} MiB (main ${x.main.toFixed(0)}, listeners ${x.listeners.toFixed(0)}, PSS ${x.pss.toFixed(0)}; main heap ${x.heapMiB.toFixed(0)}, external ${x.externalMiB.toFixed(0)})`,
          )
          .join(', ') +
        `, steady ${steady.toFixed(0)} MiB (main ${steadySample.main.toFixed(0)}, listeners ${steadySample.listeners.toFixed(0)}, PSS ${steadySample.pss.toFixed(0)}) after ${o.seconds} s more; ${per.toFixed(1)} KiB per device between the steps; 100,000 devices -> ${projected.toFixed(0)} MiB (idle + slope x 100,000); ` +
        `${r.length} probes, ${Math.ceil(o.clients / o.perAddress)} source addresses; published ${sum('published')}, acked ${sum('acked')}, ` +
        `stored ${stored / 3} messages (${stored} readings), seq missing ${missing}, duplicates ${dup}, connect failures ${sum('connectFailed')} (retried ${sum('retries')}; broker refused: ${refused || 'none'}), ` +
        `publish failures ${sum('failed')}, unacked ${sum('unacked')}${r.find((x) => x.firstError) ? ` (${r.find((x) => x.firstError)!.firstError})` : ''}: ${complete ? 'none lost' : 'NOT complete'}`,
    );
    process.stderr.write(
      `  connections run ${i + 1}: peak ${peak.toFixed(0)} MiB; ${o.skipBaseline ? 'Mosquitto not run' : `mosquitto ${base[i].toFixed(0)} MiB`}; ${notes[i]}\n`,
    );
    if (!complete) throw new Error(`connections: messages lost or refused: ${notes[i]}`);
  }
  const value = median(ours);
  const b = median(base);
  return {
    id: 'connections',
    name: `4. resident memory with ${o.clients.toLocaleString('en-US')} MQTT devices (QoS1 with seq every 10 s each, none lost)`,
    value,
    unit: 'MiB',
    runs: ours,
    ...(o.skipBaseline ? {} : { baseline: { name: 'bare Mosquitto, same clients', value: b, runs: base }, ratio: b / value }),
    target: `100,000 devices < 1.5 GB: here ${median(projections).toFixed(0)} MiB = idle + ${median(perDevice).toFixed(1)} KiB per device x 100,000`,
    met: median(projections) * 2 ** 20 < 1.5e9,
    notes: notes.join('; '),
  };
}
