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
/** WebSocket messages (or MQTT messages) the receivers got, warm-up included: what the client had to parse. */
let received = 0;
const warmupUntil = now() + 1_000_000;

function record(sent: number): void {
  const t = now();
  if (t > warmupUntil) latencies.push((t - sent) / 1000);
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
  type M = { type: string; values?: { sent?: number }; messages?: M[] };
  const take = (m: M) => {
    if (m.type === 'readings' && m.values?.sent) record(m.values.sent);
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
        record((JSON.parse(payload.toString()) as { sent: number }).sent);
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
    for (; carry >= 1; carry--) {
      const s = ++seq;
      const c = pubs[s % clients];
      void c.publishAsync(`devices/latency-${s % clients}/telemetry`, `{"seq":${Math.floor(s / clients) + 1},"v":5.01,"a":0.25,"sent":${now()}}`, { qos: 1 });
    }
  }, 10);
});
await new Promise((r) => setTimeout(r, 500));
closeReceiver!();
await Promise.all(pubs.map((p) => p.endAsync()));
process.stdout.write(
  JSON.stringify({ published: seq, received, samples: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }) + '\n',
);
process.exit(0);
