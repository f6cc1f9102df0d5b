import { randomUUID } from 'node:crypto';
// Mixed load (issue 15): QoS1 ingest from 100 devices while 8 clients loop over heavy reads on a large
// stored set, beside the same ingest without readers in the same run. Fieldscope runs as its own
// process on a data directory seeded beforehand; the publisher runs in another process; the readers
// and the /health probe run here. Figures: ingest rate with readers / without, PUBACK p99, /health
// p99, and p50/p99 of each read. With `postgres`, the same against a PostgreSQL store.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../src/stores/postgres/postgres-store.js';
import type { Reading } from '../src/model/reading.js';
import type { TelemetryStore } from '../src/stores/store.js';
import { median, percentile, runScript, startFieldscope, tempDir } from './lib/procs.js';
import { metricValue, scrapeMetrics } from './lib/metrics.js';
import { longTasks, mainThreadProfile, monotonicUs, threadShare } from './lib/cpuprofile.js';
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Figure } from './lib/report.js';
import { startPostgres } from '../test/helpers/postgres.js';

/** Made per run: no fixed password in the repository. */
const ADMIN_PASSWORD = `bench-${randomUUID()}`;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GROUP = Array.from({ length: 20 }, (_, i) => `g${String(i + 1).padStart(2, '0')}-sensor1`);

interface PubResult {
  acked: number;
  rate: number;
  skipped: number;
  pubackP50: number;
  pubackP99: number;
  pubackMax: number;
  /** The publisher process's own CPU and event-loop delay: a publisher that cannot keep up measures its own queue. */
  /** What the paced schedules offered from each client's connection on (less than asked when connecting took long). */
  offeredRate: number;
  cpuSeconds: number;
  seconds: number;
  loopDelayP99: number;
  loopDelayMax: number;
}

/**
 * A histogram's p-th percentile between two scrapes (cumulative counters), as the upper bound of the
 * bucket it falls in: prom-client's histograms are never reset, so a phase's own is the difference.
 */
export function bucketPercentile(before: string, after: string, name: string, p: number, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  const buckets = (text: string) => {
    const out = new Map<string, number>();
    for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
      const set = new Map([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]] as const));
      if (wanted.every(([k, v]) => set.get(k) === v)) out.set(set.get('le')!, Number(m[2]));
    }
    return out;
  };
  const a = buckets(before);
  const rows = [...buckets(after)].map(([le, n]) => ({ le: le === '+Inf' ? Infinity : Number(le), n: n - (a.get(le) ?? 0) }));
  const total = rows.at(-1)?.n ?? 0;
  if (!(total > 0)) return NaN;
  return rows.find((r) => r.n >= (p / 100) * total)?.le ?? NaN;
}

/**
 * `rows` readings: 20 devices x 4 metrics at 1 Hz back from now (the grouped range), one device with
 * 48 h at 1 Hz x 3 metrics (history), one with 30 days at one a minute (rollups, backtest).
 */
export async function seed(store: TelemetryStore, rows: number, now: number): Promise<number> {
  let written = 0;
  const batch: Reading[] = [];
  const flush = async (device: string) => {
    if (!batch.length) return;
    await store.write({ readings: batch, devices: [{ id: device, seen: now }], rejected: [] });
    written += batch.length;
    batch.length = 0;
  };
  for (let t = now - 30 * DAY; t < now; t += 60_000) {
    for (const m of ['v', 'a', 'w']) batch.push({ device: 'month-1', metric: m, ts: t, value: 5 + Math.sin(t / HOUR) });
    if (batch.length >= 50_000) await flush('month-1');
  }
  await flush('month-1');
  for (let t = now - 2 * DAY; t < now; t += 1000) {
    for (const m of ['v', 'a', 'w']) batch.push({ device: 'hist-1', metric: m, ts: t, value: 5 + Math.sin(t / 60_000) });
    if (batch.length >= 50_000) await flush('hist-1');
  }
  await flush('hist-1');
  const perSeries = Math.max(1000, Math.floor((rows - written) / (GROUP.length * 4)));
  for (const d of GROUP) {
    for (let i = perSeries; i > 0; i--) {
      const t = now - i * 1000;
      for (const m of ['rms', 'x', 'y', 'z']) batch.push({ device: d, metric: m, ts: t, value: Math.sin(i / 50) });
      if (batch.length >= 50_000) await flush(d);
    }
    await flush(d);
  }
  return written;
}

type ReadKind = 'grouped range, 20 devices' | '48 h history (1,000 buckets)' | '30 d from rollups' | 'CSV export (1 h, 20 devices x 4)' | 'backtest (48 h)';

export async function benchMixed(o: {
  rows: number;
  seconds: number;
  rate: number;
  clients: number;
  readers: number;
  pgRows: number;
  rounds: number;
  /**
   * Also the same alternating rounds at this fraction of the no-reader rate reached (0: not): at the
   * offered rate a machine that cannot sustain it measures its queue, not the PUBACK path.
   */
  below?: number;
  /** Each read this many times one after another before the ingest rounds, with nothing else running (0: none). */
  alone?: number;
  /** Also profile the server's main thread (node --cpu-prof) and print where its time went in each phase. */
  profile?: boolean;
}): Promise<Figure[]> {
  const figures: Figure[] = [];
  // rows=0: PostgreSQL only (pg-rows=0: SQLite only).
  if (o.rows > 0) figures.push(...(await runEngine('sqlite', o.rows, o)));
  if (o.pgRows > 0) figures.push(...(await runEngine('postgres', o.pgRows, o)));
  return figures;
}

async function runEngine(
  engine: 'sqlite' | 'postgres',
  rows: number,
  o: { seconds: number; rate: number; clients: number; readers: number; rounds: number; below?: number; alone?: number; profile?: boolean },
): Promise<Figure[]> {
  const data = tempDir('fs-bench-mixed-');
  const now = Date.now();
  const pg = engine === 'postgres' ? await startPostgres({ durable: true }) : null;
  const storeArg = pg ? await pg.createDatabase() : 'sqlite';
  const seeding = pg ? new PostgresStore({ url: storeArg }) : new SqliteStore({ path: join(data.dir, 'fieldscope.db'), readWorkers: 0 });
  await seeding.open();
  const t0 = performance.now();
  const seeded = await seed(seeding.telemetry, rows, now);
  await seeding.close();
  process.stderr.write(`  mixed/${engine}: seeded ${seeded.toLocaleString('en-US')} readings in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);

  const pwFile = join(data.dir, 'admin-password');
  writeFileSync(pwFile, ADMIN_PASSWORD, { mode: 0o600 });
  // The per-IP request limit is off: the readers all come from 127.0.0.1 and it would measure that limit instead.
  // The 8 readers share one identity: the per-caller read limits are lifted to the overall ones so that
  // every read runs (what is measured is whether ingest holds, not how the limits refuse).
  const profDir = o.profile ? tempDir('fs-bench-mixed-prof-') : null;
  const fs = await startFieldscope(
    ['--no-simulator', '--api-rate', '0', '--read-concurrency-per-caller', '8', '--read-rows-rate', '0', '--admin-password-file', pwFile, '--store', storeArg],
    data.dir,
    profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir.dir, '--cpu-prof-interval', '500'] : [],
  );
  const windows: { label: string; fromUs: number; toUs: number }[] = [];
  const reads: Record<ReadKind, number[]> = {
    'grouped range, 20 devices': [],
    '48 h history (1,000 buckets)': [],
    '30 d from rollups': [],
    'CSV export (1 h, 20 devices x 4)': [],
    'backtest (48 h)': [],
  };
  const refused: Record<string, number> = {};
  try {
    const login = await fetch(`${fs.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${accessToken}` };
    const ruleRes = await fetch(`${fs.httpUrl}/api/v1/rules`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', severity: 'minor', scope: 'device', target: 'hist-1', kind: 'threshold', metric: 'v', op: '>', value: 5.9 }),
    });
    const rule = (await ruleRes.json()) as { id: string };
    const url = (k: ReadKind): [string, RequestInit] => {
      switch (k) {
        case 'grouped range, 20 devices':
          return [`${fs.httpUrl}/api/v1/telemetry/range?devices=g*&metric=rms,x,y,z&from=${now - HOUR}&to=${now}&n=140&order=asc`, { headers: auth }];
        case '48 h history (1,000 buckets)':
          return [`${fs.httpUrl}/api/v1/devices/hist-1/telemetry?metric=v,a,w&from=${now - 2 * DAY}&to=${now}&points=1000`, { headers: auth }];
        case '30 d from rollups':
          return [`${fs.httpUrl}/api/v1/devices/month-1/telemetry?metric=v,a,w&from=${now - 30 * DAY}&to=${now}&points=1000`, { headers: auth }];
        case 'CSV export (1 h, 20 devices x 4)':
          return [`${fs.httpUrl}/api/v1/export?devices=g*&from=${now - HOUR}&to=${now}`, { headers: auth }];
        case 'backtest (48 h)':
          return [`${fs.httpUrl}/api/v1/rules/${rule.id}/backtest?from=${now - 2 * DAY}&to=${now}`, { method: 'POST', headers: auth }];
      }
    };

    const phase = async (withReaders: boolean, round: number, rate: number) => {
      const health: number[] = [];
      // prom-client resets its event-loop delay histogram at each scrape: this one starts the phase's.
      const before = await scrapeMetrics(fs.httpUrl);
      const fromUs = monotonicUs();
      let running = true;
      const probe = (async () => {
        while (running) {
          const t = performance.now();
          try {
            const r = await fetch(`${fs.httpUrl}/health`);
            await r.arrayBuffer();
          } catch {
            // Counted at the time it took to fail.
          }
          health.push(performance.now() - t);
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      const readers = withReaders
        ? Array.from({ length: o.readers }, async (_, i) => {
            const kinds = Object.keys(reads) as ReadKind[];
            for (let k = i; running; k++) {
              const kind = kinds[k % kinds.length];
              const [u, init] = url(kind);
              const t = performance.now();
              let status: number | string;
              try {
                const r = await fetch(u, init);
                await r.arrayBuffer();
                status = r.status;
              } catch (err) {
                // An export cut short (a page past its time limit ends the stream) lands here.
                status = (err as Error).message;
              }
              if (status === 200) reads[kind].push(performance.now() - t);
              else refused[`${kind}: ${status}`] = (refused[`${kind}: ${status}`] ?? 0) + 1;
            }
          })
        : [];
      const pub = runScript<PubResult>('publisher.ts', {
        url: fs.mqttUrl,
        clients: o.clients,
        rate,
        seconds: o.seconds,
        // Fresh device ids per round (and rate): each round's sequence numbers start anew.
        prefix: `${withReaders ? 'mixr' : 'mixb'}${round}r${rate}`,
        window: 64,
      });
      // A publisher that cannot even connect (a saturated machine) is a result too: NaN, not a crash.
      const result = await pub.result.catch((err: Error): PubResult => {
        process.stderr.write(`  mixed/${engine}: publisher failed: ${err.message}\n`);
        return {
          acked: 0,
          rate: NaN,
          skipped: 0,
          pubackP50: NaN,
          pubackP99: NaN,
          pubackMax: NaN,
          offeredRate: NaN,
          cpuSeconds: NaN,
          seconds: NaN,
          loopDelayP99: NaN,
          loopDelayMax: NaN,
        };
      });
      running = false;
      const toUs = monotonicUs();
      const m = await scrapeMetrics(fs.httpUrl);
      const loop = {
        p99: metricValue(m, 'fieldscope_process_nodejs_eventloop_lag_p99_seconds') * 1000,
        max: metricValue(m, 'fieldscope_process_nodejs_eventloop_lag_max_seconds') * 1000,
      };
      // The server's own share: received -> PUBACK written (fieldscope_ack_seconds; NaN on older builds).
      const serverAckP99 = bucketPercentile(before, m, 'fieldscope_ack_seconds', 99) * 1000;
      // Where the commits went (SQLite's writer thread; NaN on PostgreSQL): the PUBACK waits for its own commit and the one before.
      const stage = (name: string, p: number) => bucketPercentile(before, m, 'fieldscope_sqlite_commit_stage_seconds', p, { stage: name }) * 1000;
      const commits = {
        write: [50, 99].map((p) => bucketPercentile(before, m, 'fieldscope_store_write_seconds', p) * 1000),
        turn: stage('turn', 99),
        transaction: [50, 99].map((p) => stage('transaction', p)),
        handover: stage('handover', 99),
        readings: [50, 99].map((p) => bucketPercentile(before, m, 'fieldscope_store_batch_readings', p)),
        // Oldest message of each batch: received -> its batch taken for the commit (decode, linger, the commit in flight).
        queued: bucketPercentile(before, m, 'fieldscope_live_stage_seconds', 99, { stage: 'queued' }) * 1000,
      };
      await Promise.all([probe, ...readers]);
      windows.push({ label: `round ${round + 1} at ${rate} msg/s ${withReaders ? 'with' : 'without'} readers`, fromUs, toUs });
      return { pub: result, health, loop, serverAckP99, commits };
    };
    const tag = `${engine}, ${(seeded / 1e6).toFixed(1)}M stored`;
    // Each read alone (no ingest, no other reader): what the read itself costs, apart from what it waits for under load.
    const alone: Figure[] = [];
    if (o.alone) {
      for (const kind of Object.keys(reads) as ReadKind[]) {
        const times: number[] = [];
        for (let i = 0; i < o.alone; i++) {
          const [u, init] = url(kind);
          const t = performance.now();
          const r = await fetch(u, init);
          const bytes = (await r.arrayBuffer()).byteLength;
          if (r.status !== 200) throw new Error(`${kind} alone: HTTP ${r.status}`);
          times.push(performance.now() - t);
          if (i === 0) process.stderr.write(`  mixed/${engine}: ${kind} answers ${bytes.toLocaleString('en-US')} bytes\n`);
        }
        process.stderr.write(
          `  mixed/${engine}: ${kind} alone: p50 ${percentile(times, 50).toFixed(1)} ms, runs ${times.map((x) => x.toFixed(0)).join(' ')}\n`,
        );
        alone.push({
          id: 'mixed',
          name: `15. ${kind}: p50 alone, no ingest (${tag})`,
          value: percentile(times, 50),
          unit: 'ms',
          runs: times,
          notes: `p99 ${percentile(times, 99).toFixed(1)} ms over ${times.length} reads one after another`,
        });
      }
      if (!o.rounds) return alone;
    }
    // Rounds alternate without and with readers, so a change in the machine's other load falls on both sides; each figure is the median.
    type Phase = Awaited<ReturnType<typeof phase>>;
    const line = (p: Phase) =>
      `${Math.round(p.pub.rate)} msg/s, PUBACK p99 ${p.pub.pubackP99.toFixed(1)} ms (server's share p99 <= ${p.serverAckP99.toFixed(0)} ms; store write p50/p99 <= ${p.commits.write.map((x) => x.toFixed(0)).join('/')} ms, writer transaction p50/p99 <= ${p.commits.transaction.map((x) => x.toFixed(0)).join('/')}, turn p99 <= ${p.commits.turn.toFixed(0)}, handover p99 <= ${p.commits.handover.toFixed(0)}; oldest received -> batch taken p99 <= ${p.commits.queued.toFixed(0)}; readings per commit p50/p99 <= ${p.commits.readings.join('/')}), /health p99 ${percentile(p.health, 99).toFixed(1)} ms, event-loop delay p99 ${p.loop.p99.toFixed(1)} ms (max ${p.loop.max.toFixed(0)}); publisher ${((p.pub.cpuSeconds / p.pub.seconds) * 100).toFixed(0)}% of a core, its event-loop delay p99 ${p.pub.loopDelayP99.toFixed(0)} ms; load ${loadavg()[0].toFixed(1)}`;
    const series = async (rate: number) => {
      const bases: Phase[] = [];
      const mixes: Phase[] = [];
      for (let r = 0; r < Math.max(1, o.rounds); r++) {
        const b = await phase(false, r, rate);
        bases.push(b);
        process.stderr.write(`  mixed/${engine} ${rate} msg/s offered, round ${r + 1}: without readers ${line(b)}\n`);
        const m = await phase(true, r, rate);
        mixes.push(m);
        process.stderr.write(
          `  mixed/${engine} ${rate} msg/s offered, round ${r + 1}: with ${o.readers} readers ${line(m)}; refused so far ${JSON.stringify(refused)}\n`,
        );
      }
      return { rate, bases, mixes };
    };
    const full = await series(o.rate);
    // Below saturation: the same rounds at a fraction of what the machine reached without readers.
    const belowRate = o.below ? Math.round((median(full.bases.map((b) => b.pub.rate).filter(Number.isFinite)) * o.below) / 100) * 100 : 0;
    const below = belowRate > 0 ? await series(belowRate) : null;
    // Where reads spent their time on the server: waiting for a read worker, or running on one (fieldscope_read_seconds; absent on older builds).
    const readTimes = await scrapeMetrics(fs.httpUrl);
    for (const op of ['groupRange', 'queryBuckets', 'queryRollups', 'exportChunk', 'job', 'replayReadings']) {
      const v = (stage: string, what: 'sum' | 'count') => {
        const m = new RegExp(`^fieldscope_read_seconds_${what}\\{(?=[^}]*op="${op}")(?=[^}]*stage="${stage}")[^}]*\\} (\\S+)$`, 'm').exec(readTimes);
        return m ? Number(m[1]) : NaN;
      };
      const n = v('running', 'count');
      if (!(n > 0)) continue;
      process.stderr.write(
        `  mixed/${engine}: ${op} on the read workers: ${n} reads, mean wait for a worker ${((v('queued', 'sum') / n) * 1000).toFixed(1)} ms, mean run ${((v('running', 'sum') / n) * 1000).toFixed(1)} ms\n`,
      );
    }
    const med = (xs: Phase[], f: (x: Phase) => number) => {
      const runs = xs.map(f);
      return { value: median(runs), runs };
    };
    const out: Figure[] = [...alone];
    for (const s of [full, below]) {
      if (!s) continue;
      const { bases, mixes } = s;
      const rate = { mixed: med(mixes, (x) => x.pub.rate), base: med(bases, (x) => x.pub.rate) };
      const p99 = { mixed: med(mixes, (x) => x.pub.pubackP99), base: med(bases, (x) => x.pub.pubackP99) };
      const p50 = { mixed: med(mixes, (x) => x.pub.pubackP50), base: med(bases, (x) => x.pub.pubackP50) };
      const pmax = { mixed: med(mixes, (x) => x.pub.pubackMax), base: med(bases, (x) => x.pub.pubackMax) };
      const server = { mixed: med(mixes, (x) => x.serverAckP99), base: med(bases, (x) => x.serverAckP99) };
      const pubLoop = { mixed: med(mixes, (x) => x.pub.loopDelayP99), base: med(bases, (x) => x.pub.loopDelayP99) };
      const health = { mixed: med(mixes, (x) => percentile(x.health, 99)), base: med(bases, (x) => percentile(x.health, 99)) };
      const loop = { mixed: med(mixes, (x) => x.loop.p99), base: med(bases, (x) => x.loop.p99) };
      // Honest about saturation: a rate not reached is said beside every figure measured at it.
      // Offered = what the paced schedules held once each client was connected (connecting 100 clients
      // takes seconds on a loaded machine: the asked rate times the run's length overstates it).
      const offered = { mixed: med(mixes, (x) => x.pub.offeredRate || s.rate), base: med(bases, (x) => x.pub.offeredRate || s.rate) };
      const reached = (r: number, off: number) =>
        `${Math.round(r).toLocaleString('en-US')} of ${Math.round(off).toLocaleString('en-US')} offered (${((r / off) * 100).toFixed(0)}%; asked ${s.rate.toLocaleString('en-US')})`;
      const saturated = !(rate.base.value >= 0.95 * offered.base.value) || !(rate.mixed.value >= 0.95 * offered.mixed.value);
      const at =
        s === below
          ? `at ${s.rate} msg/s offered = ${o.below} x the no-reader rate reached${saturated ? ', NOT sustained' : ''}`
          : `at ${s.rate} msg/s offered${saturated ? ' (NOT sustained: a queue)' : ''}`;
      out.push(
        {
          id: 'mixed',
          name: `15. QoS1 ingest, ${o.clients} devices ${at}, with ${o.readers} heavy readers (${tag})`,
          value: rate.mixed.value,
          unit: 'msg/s',
          runs: rate.mixed.runs,
          baseline: { name: 'same ingest, no readers, same run', value: rate.base.value, runs: rate.base.runs },
          ratio: rate.mixed.value / rate.base.value,
          target: '>= 0.95x',
          met: rate.mixed.value / rate.base.value >= 0.95,
          notes: `reached with readers ${reached(rate.mixed.value, offered.mixed.value)}, without ${reached(rate.base.value, offered.base.value)}`,
        },
        {
          id: 'mixed',
          name: `15. PUBACK p99 with readers, ${at} (${tag})`,
          value: p99.mixed.value,
          unit: 'ms',
          runs: p99.mixed.runs,
          baseline: { name: 'no readers', value: p99.base.value, runs: p99.base.runs },
          target: '< 20 ms',
          met: p99.mixed.value < 20,
          notes:
            `p50 ${p50.mixed.value.toFixed(1)} ms (no readers: ${p50.base.value.toFixed(1)} ms); max ${pmax.mixed.value.toFixed(0)} ms (no readers: ${pmax.base.value.toFixed(0)} ms); ` +
            `server's share (received -> PUBACK written) p99 <= ${server.mixed.value.toFixed(0)} ms (no readers: <= ${server.base.value.toFixed(0)} ms); ` +
            `publisher's own event-loop delay p99 ${pubLoop.mixed.value.toFixed(0)} ms (no readers: ${pubLoop.base.value.toFixed(0)} ms); medians of ${mixes.length} rounds`,
        },
        {
          id: 'mixed',
          name: `15. /health p99 with readers, ${at} (${tag})`,
          value: health.mixed.value,
          unit: 'ms',
          runs: health.mixed.runs,
          baseline: { name: 'no readers', value: health.base.value, runs: health.base.runs },
          target: '< 50 ms',
          met: health.mixed.value < 50,
        },
        {
          id: 'mixed',
          name: `15. main-thread event-loop delay p99 with readers, ${at} (${tag})`,
          value: loop.mixed.value,
          unit: 'ms',
          runs: loop.mixed.runs,
          baseline: { name: 'no readers', value: loop.base.value, runs: loop.base.runs },
          notes: 'monitorEventLoopDelay (prom-client, 10 ms resolution), reset at the start of each phase',
        },
      );
    }
    for (const [kind, times] of Object.entries(reads)) {
      if (!times.length) continue;
      const p50 = percentile(times, 50);
      const p99 = percentile(times, 99);
      out.push({
        id: 'mixed',
        name: `15. ${kind}: p50 (p99 in notes), under ingest (${tag})`,
        value: p50,
        unit: 'ms',
        runs: times,
        ...(kind === 'grouped range, 20 devices' ? { target: '< 50 ms', met: p50 < 50 } : {}),
        notes: `p99 ${p99.toFixed(1)} ms over ${times.length} reads`,
      });
    }
    return out;
  } finally {
    await fs.stop();
    await pg?.destroy();
    data.remove();
    // The profile is written when the server exits, so it is read after fs.stop().
    if (profDir) {
      reportProfile(engine, profDir.dir, windows);
      if (!process.env.FIELDSCOPE_BENCH_KEEP_PROFILE) profDir.remove();
      else process.stderr.write(`  mixed/${engine}: profiles kept in ${profDir.dir}\n`);
    }
  }
}

/** What the main thread's time went to, per phase: the shares that say which work reads still put on it. */
const GROUPS: Record<string, RegExp> = {
  'http (fastify, incl. serialisation)': /fastify|find-my-way|avvio|light-my-request/,
  'response serialisation': /fast-json-stringify|JSON\.stringify|serializ/i,
  'read worker messages (structured clone)': /internal\/worker|worker_threads|ReadWorkerPool|worker-pool/,
  'export (pages, formatting, sending)': /paged-export|export-format|(src|dist)\/api\/(export|history)/,
  'postgres.js': /node_modules\/postgres\//,
  'store write (sqlite/pg writer)': /better-sqlite3|stores\/sqlite|readings-write|postgres-store/,
  'mqtt broker': /aedes|mqtt-packet|mqemitter/,
  'pipeline (decode, batcher)': /(src|dist)\/pipeline\//,
  'followers (analytics, alarms, live)': /(src|dist)\/(analytics|alarms|notify)\/|(src|dist)\/api\/live/,
  logging: /pino/,
};

function reportProfile(engine: string, dir: string, windows: { label: string; fromUs: number; toUs: number }[]): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  const main = mainThreadProfile(files);
  if (!main) {
    process.stderr.write(`  mixed/${engine}: no main-thread profile among ${files.length} files\n`);
    return;
  }
  for (const w of windows) {
    const s = threadShare(main, w.fromUs, w.toUs, GROUPS, 15);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    process.stderr.write(`  mixed/${engine} profile, ${w.label} (${(s.ms / 1000).toFixed(1)} s): main thread busy ${pct(s.busy)}, GC ${pct(s.gc)}\n`);
    for (const [g, v] of Object.entries(s.groups)) process.stderr.write(`      ${g}: ${pct(v)}\n`);
    process.stderr.write('    top self time:\n');
    for (const t of s.top) process.stderr.write(`      ${pct(t.share).padStart(6)}  ${t.name}\n`);
    const lt = longTasks(main, w.fromUs, w.toUs, 20, 25);
    process.stderr.write(
      `    busy stretches of >= 20 ms: ${lt.count}, ${(lt.totalMs / 1000).toFixed(2)} s in all, longest ${lt.longestMs.toFixed(0)} ms; inclusive shares within them:\n`,
    );
    for (const t of lt.top) process.stderr.write(`      ${pct(t.share).padStart(6)}  ${t.name}\n`);
  }
}
