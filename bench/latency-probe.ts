// Publishes at a fixed rate and receives the same messages on the other side (Fieldscope's live
// WebSocket, or a plain MQTT subscriber for the baseline), in one process so both ends share a
// clock. Each payload carries its send time in µs. Prints {samples, p50, p99} in ms.
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { scriptArgs } from './lib/args.js';
import { percentile } from './lib/procs.js';

const a = scriptArgs();
const rate = Number(a.rate ?? 2000);
const seconds = Number(a.seconds ?? 10);
const clients = Number(a.clients ?? 10);
/** Subscribers on the receiving side (WebSocket clients, or MQTT subscribers for the baseline); every delivery is a sample. */
const receivers = Number(a.receivers ?? 1);
const now = () => (performance.timeOrigin + performance.now()) * 1000;
const latencies: number[] = [];
/**
 * --trace 1: where the slow samples waited. Per sample: µs from the publish call to the server's
 * receive stamp (the reading's ts: the probe's payload has none, so the server stamps it on receipt,
 * ms resolution) and from there to this client; and whether the publish was a publisher's second in
 * its tick (written while its first was unacknowledged: Nagle holds it until the server's ACK).
 */
const trace = !!a.trace;
const traced: { total: number; toServer: number; second: boolean }[] = [];
const secondInTick = new Set<number>();
/** WebSocket messages (or MQTT messages) the receivers got, warm-up included: what the client had to parse. */
let received = 0;
const warmupUntil = now() + 1_000_000;

function record(sent: number, serverTs?: number): void {
  const t = now();
  if (t <= warmupUntil) return;
  latencies.push((t - sent) / 1000);
  if (trace) traced.push({ total: (t - sent) / 1000, toServer: serverTs === undefined ? NaN : serverTs - sent / 1000, second: secondInTick.delete(sent) });
}

let closeReceiver: () => void;
if (a.ws) {
  // `receivers` browsers subscribed to everything; each delivery to each of them is a sample.
  // frames=batch: the dashboard's framing (one message per server turn); single: one per reading.
  const url = a.frames ? `${a.ws}?frames=${a.frames}` : a.ws;
  const sockets = await Promise.all(
    Array.from({ length: receivers }, async () => {
      const ws = new WebSocket(url);
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ op: 'subscribe', devices: '*' }));
      return ws;
    }),
  );
  type M = { type: string; ts?: number; values?: { sent?: number }; messages?: M[] };
  const take = (m: M) => {
    if (m.type === 'readings' && m.values?.sent) record(m.values.sent, m.ts);
    else if (m.type === 'batch' && Array.isArray(m.messages)) for (const x of m.messages) take(x);
  };
  for (const ws of sockets)
    ws.on('message', (d) => {
      received++;
      take(JSON.parse(d.toString()) as M);
    });
  closeReceiver = () => sockets.forEach((ws) => ws.close());
} else {
  const subs = await Promise.all(
    Array.from({ length: receivers }, async (_, i) => {
      const sub = await mqtt.connectAsync(a.url, { clientId: `latency-sub-${i}` });
      await sub.subscribeAsync('devices/+/telemetry', { qos: 1 });
      sub.on('message', (_t, payload) => {
        received++;
        const sent = (JSON.parse(payload.toString()) as { sent: number }).sent;
        record(sent, undefined);
      });
      return sub;
    }),
  );
  closeReceiver = () => subs.forEach((sub) => void sub.endAsync());
}

const pubs = await Promise.all(Array.from({ length: clients }, (_, i) => mqtt.connectAsync(a.url, { clientId: `latency-${i}` })));
// --nodelay: the publishers' sockets without Nagle (mqtt.js leaves it on). With it on, a publish
// written while the previous one is unacknowledged waits for the server's ACK: at once from a broker
// that answers PUBACK at once, after the commit from one that acknowledges after storing.
if (a.nodelay) for (const p of pubs) (p.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
const perTick = rate / 100; // 10 ms ticks
let seq = 0;
let carry = 0;
const end = Date.now() + seconds * 1000;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    if (Date.now() > end) {
      clearInterval(timer);
      return resolve();
    }
    carry += perTick;
    const inTick = new Set<number>();
    for (; carry >= 1; carry--) {
      const s = ++seq;
      const c = pubs[s % clients];
      const sent = now();
      if (trace && inTick.has(s % clients)) secondInTick.add(sent);
      inTick.add(s % clients);
      void c.publishAsync(`devices/latency-${s % clients}/telemetry`, `{"seq":${Math.floor(s / clients) + 1},"v":5.01,"a":0.25,"sent":${sent}}`, { qos: 1 });
    }
  }, 10);
});
await new Promise((r) => setTimeout(r, 500));
closeReceiver!();
await Promise.all(pubs.map((p) => p.endAsync()));
const out: Record<string, unknown> = { published: seq, received, samples: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
if (trace) {
  // The slowest 1% against the rest: which share were second-in-tick publishes, and where their time went.
  const p99 = out.p99 as number;
  const part = (xs: typeof traced) => ({
    n: xs.length,
    secondInTick: xs.length ? xs.filter((x) => x.second).length / xs.length : NaN,
    toServerP50: percentile(
      xs.map((x) => x.toServer),
      50,
    ),
    toServerP90: percentile(
      xs.map((x) => x.toServer),
      90,
    ),
    afterServerP50: percentile(
      xs.map((x) => x.total - x.toServer),
      50,
    ),
    afterServerP90: percentile(
      xs.map((x) => x.total - x.toServer),
      90,
    ),
  });
  out.tail = part(traced.filter((x) => x.total >= p99));
  out.rest = part(traced.filter((x) => x.total < p99));
  out.p99First = percentile(
    traced.filter((x) => !x.second).map((x) => x.total),
    99,
  );
  out.p99Second = percentile(
    traced.filter((x) => x.second).map((x) => x.total),
    99,
  );
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
