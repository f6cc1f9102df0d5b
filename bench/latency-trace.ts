// Where a slow live message waited, and whether the bench's publishers decide it: the latency probe
// with --trace against bare Mosquitto and Fieldscope, alternating, with the publishers' Nagle on
// (mqtt.js's default, what `npm run bench -- --only=latency` uses) and off (--nodelay, both sides).
// For Fieldscope each sample is split at the server's receive stamp (the reading's ts): publish ->
// server read (the publisher's socket, the kernel, the server's event loop before the packet is
// handled) and server read -> client (batcher, live hub, ws.send, this client's event loop).
// --before <bin/fieldscope.js of another build>: that build too, in each round (a before/after).
// --nagle on|off|both (default both): the publishers' setting.
//   node --import tsx bench/latency-trace.ts [--rounds 2] [--seconds 10] [--rate 2000] [--receivers 1] [--clients 10] [--before path] [--nagle both]
import { loadavg } from 'node:os';
import { median, runScript, startFieldscope, startMosquitto, tempDir } from './lib/procs.js';
import { scriptArgs } from './lib/args.js';

const given = scriptArgs();
const rounds = Number(given.rounds ?? 2);
const seconds = Number(given.seconds ?? 10);
const rate = Number(given.rate ?? 2000);
const receivers = Number(given.receivers ?? 1);
/** Publishers (the bench's 10); fewer at a low rate keep two publishes per publisher per tick at little CPU. */
const clients = Number(given.clients ?? 10);
const before = given.before;
const nagle = given.nagle ?? 'both';
const settings = nagle === 'on' ? [false] : nagle === 'off' ? [true] : [false, true];

interface Part {
  n: number;
  secondInTick: number;
  toServerP50: number;
  toServerP90: number;
  afterServerP50: number;
  afterServerP90: number;
}
interface Traced {
  samples: number;
  p50: number;
  p99: number;
  p99First: number;
  p99Second: number;
  tail: Part;
  rest: Part;
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const rows: Record<string, Traced[]> = {};
for (let i = 0; i < rounds; i++) {
  for (const nodelay of settings) {
    const extra: Record<string, string | number> = { rate, seconds, receivers, clients, trace: 1, ...(nodelay ? { nodelay: 1 } : {}) };
    const mosq = await startMosquitto();
    const m = await runScript<Traced>('latency-probe.ts', { url: mosq.url, ...extra }).result;
    await mosq.stop();
    const tag = nodelay ? 'publishers without Nagle' : 'publishers with Nagle';
    const results: [string, Traced][] = [['mosquitto', m]];
    for (const [name, bin] of before
      ? ([
          ['before', before],
          ['after', undefined],
        ] as const)
      : ([['fieldscope', undefined]] as const)) {
      if (bin) process.env.FIELDSCOPE_BENCH_SERVER = bin;
      else delete process.env.FIELDSCOPE_BENCH_SERVER;
      const data = tempDir('fs-bench-lattrace-');
      const fs = await startFieldscope(['--no-simulator'], data.dir);
      const w = await runScript<Traced>('latency-probe.ts', {
        url: fs.mqttUrl,
        ws: fs.httpUrl.replace('http', 'ws') + '/api/v1/live',
        frames: 'batch',
        ...extra,
      }).result;
      await fs.stop();
      data.remove();
      results.push([name, w]);
    }
    for (const [name, r] of results) (rows[`${name}, ${tag}`] ??= []).push(r);
    const load = loadavg()[0].toFixed(1);
    for (const [name, r] of results)
      console.log(
        `round ${i + 1} ${name}, ${tag} (load ${load}): p50 ${f(r.p50)} p99 ${f(r.p99)} ms (${r.samples} samples); p99 of first-in-tick ${f(r.p99First)}, second-in-tick ${f(r.p99Second)}; ` +
          `slowest 1%: ${(r.tail.secondInTick * 100).toFixed(0)}% second-in-tick, publish->server read p50 ${f(r.tail.toServerP50)} p90 ${f(r.tail.toServerP90)}, server read->client p50 ${f(r.tail.afterServerP50)} p90 ${f(r.tail.afterServerP90)}; ` +
          `rest: publish->server read p50 ${f(r.rest.toServerP50)}, server read->client p50 ${f(r.rest.afterServerP50)}`,
      );
  }
}
for (const [name, rs] of Object.entries(rows))
  console.log(`median of ${rs.length}: ${name}: p50 ${f(median(rs.map((r) => r.p50)))} p99 ${f(median(rs.map((r) => r.p99)))} ms`);
