// Load generator: C MQTT clients publish QoS1 JSON (3 metrics, ~100 bytes), W messages in flight per
// client, until `messages` are acked or `seconds` pass. Without --rate each client publishes as fast
// as the broker acknowledges; with --rate R the clients together publish R msg/s, paced.
// Prints "ready" as it starts connecting (so a bench can open its CPU windows on the servers then),
// and at the end one JSON line: {sent, acked, seconds, rate, startedAt, skipped, cpuSeconds, ...}.
import mqtt, { type MqttClient } from 'mqtt';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { scriptArgs } from './lib/args.js';
import { cpuWindow } from './lib/cpu.js';

const a = scriptArgs();
const url = a.url;
const clients = Number(a.clients ?? 10);
const seconds = Number(a.seconds ?? 60);
const window = Number(a.window ?? 64);
const prefix = a.prefix ?? 'bench';
/** Each client's topic, `{id}` its client id: Fieldscope's own scheme unless a fleet's topics are asked for. */
const topicPattern = a.topic ?? 'devices/{id}/telemetry';
/** What a message holds besides seq and ts: `ina219` (v, a, w) or `bearing` (the bearing profile's two metrics, which its model reads). */
const shape = a.shape ?? 'ina219';
if (shape !== 'ina219' && shape !== 'bearing') throw new Error(`publisher: shape ${shape}: ina219 or bearing`);
/** Total msg/s over all clients; 0 = as fast as acknowledged. */
const rate = Number(a.rate ?? 0);
const total = Number(a.messages ?? (rate ? Math.ceil(rate * seconds) : 100_000));

const perClient = Math.ceil(total / clients);
let acked = 0;
let sent = 0;
/** PUBACK latency of each message (publish -> ack), ms. */
const latencies: number[] = [];
/** Paced slots given up because a client fell more than a second behind (see pace()). */
let skipped = 0;
/**
 * Publishes the paced schedules held from each client's connection to the deadline: what was
 * offered. Clients connect one by one (seconds on a loaded machine), so `rate` x `seconds` overstates it.
 */
let scheduled = 0;
process.stdout.write('ready\n');
// This process's own CPU (all threads) while it publishes: the load generator's cost, told apart.
const cpu = cpuWindow(process.pid);
// This process's own event-loop delay: a PUBACK that arrived while it was busy is measured late by
// that much, so a publisher that cannot keep up shows here (the latency would be its own, not the server's).
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
const startedAt = Date.now();
const started = performance.now();
const deadline = started + seconds * 1000;

async function runClient(i: number): Promise<void> {
  const id = `${prefix}-${String(i).padStart(5, '0')}`;
  const c = await mqtt.connectAsync(url, { clientId: id, clean: true, reconnectPeriod: 0 });
  const topic = topicPattern.replace('{id}', id);
  let seq = 0;
  let finished = false;
  // A dropped connection leaves its unacked publishes pending forever: fail the run instead of hanging it.
  c.on('close', () => {
    if (finished) return;
    process.stderr.write(`publisher: ${id} was disconnected after ${seq} messages (over the server's per-device rate?)\n`);
    process.exit(1);
  });
  const base = Date.now() - perClient; // unique ms timestamps per message
  const publishNext = (): Promise<void> => {
    const s = ++seq;
    sent++;
    const payload =
      shape === 'ina219'
        ? `{"seq":${s},"ts":${base + s},"v":${(5 + (s % 100) / 1000).toFixed(3)},"a":${(0.245 + (s % 7) / 1000).toFixed(4)},"w":${(1.2 + (s % 13) / 100).toFixed(3)}}`
        : `{"seq":${s},"ts":${base + s},"vibration_rms":${(1 + (s % 100) / 200).toFixed(3)},"temperature":${(40 + (s % 50) / 10).toFixed(2)}}`;
    const t = performance.now();
    return c.publishAsync(topic, payload, { qos: 1 }).then(() => {
      acked++;
      latencies.push(performance.now() - t);
    });
  };
  if (rate) await pace(c, () => seq, publishNext);
  else {
    const one = async (): Promise<void> => {
      while (seq < perClient && performance.now() < deadline) await publishNext();
    };
    await Promise.all(Array.from({ length: window }, one));
  }
  finished = true;
  await c.endAsync();
}

const pumps = new Set<() => void>();
// One timer for all clients: a timer per client (or per message) would cost more than the publishing.
const ticker = rate ? setInterval(() => pumps.forEach((p) => p()), 5) : null;

/**
 * Publishes one client's share of `rate` on a fixed schedule, at most `window` unacknowledged. A
 * client more than a second behind its schedule (the server is slower than the rate) gives up the
 * older slots rather than bursting to catch up, which would exceed the server's per-device limit.
 */
function pace(c: MqttClient, seq: () => number, publishNext: () => Promise<void>): Promise<void> {
  const interval = 1000 / (rate / clients);
  let next = performance.now();
  scheduled += Math.min(perClient, Math.max(0, Math.ceil((deadline - next) / interval)));
  let inflight = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      const now = performance.now();
      if (seq() >= perClient || now >= deadline) {
        if (!inflight) {
          pumps.delete(pump);
          resolve();
        }
        return;
      }
      if (now - next > 1000) {
        const behind = Math.floor((now - 1000 - next) / interval);
        skipped += behind;
        next += behind * interval;
      }
      while (next <= now && inflight < window && seq() < perClient) {
        inflight++;
        next += interval;
        publishNext().then(
          () => (inflight--, pump()),
          (err: Error) => {
            process.stderr.write(`publisher: publish failed on ${c.options.clientId}: ${err.message}\n`);
            process.exit(1);
          },
        );
      }
    };
    pumps.add(pump);
  });
}

await Promise.all(Array.from({ length: clients }, (_, i) => runClient(i)));
if (ticker) clearInterval(ticker);
const elapsed = (performance.now() - started) / 1000;
const cpuSeconds = cpu.stop();
loopDelay.disable();
latencies.sort((x, y) => x - y);
const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN);
process.stdout.write(
  JSON.stringify({
    sent,
    acked,
    seconds: elapsed,
    rate: acked / elapsed,
    startedAt,
    skipped,
    /** msg/s the paced schedules offered over the run (0 unpaced): `rate` below it means the server (or this process) did not keep up. */
    offeredRate: rate ? scheduled / elapsed : 0,
    cpuSeconds,
    pubackP50: pct(50),
    pubackP99: pct(99),
    pubackMax: latencies.at(-1) ?? NaN,
    loopDelayP99: loopDelay.percentile(99) / 1e6,
    loopDelayMax: loopDelay.max / 1e6,
  }) + '\n',
);
