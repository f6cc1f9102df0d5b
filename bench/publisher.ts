// Load generator: C MQTT clients publish QoS1 JSON (3 metrics, ~100 bytes) as fast as the broker
// acknowledges, W messages in flight per client, until `messages` are acked or `seconds` pass.
// Prints one JSON line: {sent, acked, seconds, rate}.
import mqtt from 'mqtt';
import { scriptArgs } from './lib/args.js';

const a = scriptArgs();
const url = a.url;
const clients = Number(a.clients ?? 10);
const total = Number(a.messages ?? 100_000);
const seconds = Number(a.seconds ?? 60);
const window = Number(a.window ?? 64);
const prefix = a.prefix ?? 'bench';

const perClient = Math.ceil(total / clients);
let acked = 0;
let sent = 0;
const started = performance.now();
const deadline = started + seconds * 1000;

async function runClient(i: number): Promise<void> {
  const id = `${prefix}-${String(i).padStart(5, '0')}`;
  const c = await mqtt.connectAsync(url, { clientId: id, clean: true, reconnectPeriod: 0 });
  const topic = `devices/${id}/telemetry`;
  let seq = 0;
  let finished = false;
  // A dropped connection leaves its unacked publishes pending forever: fail the run instead of hanging it.
  c.on('close', () => {
    if (finished) return;
    process.stderr.write(`publisher: ${id} was disconnected after ${seq} messages (over the server's per-device rate?)\n`);
    process.exit(1);
  });
  const base = Date.now() - perClient; // unique ms timestamps per message
  const one = async (): Promise<void> => {
    while (seq < perClient && performance.now() < deadline) {
      const s = ++seq;
      sent++;
      const payload = `{"seq":${s},"ts":${base + s},"v":${(5 + (s % 100) / 1000).toFixed(3)},"a":${(0.245 + (s % 7) / 1000).toFixed(4)},"w":${(1.2 + (s % 13) / 100).toFixed(3)}}`;
      await c.publishAsync(topic, payload, { qos: 1 });
      acked++;
    }
  };
  await Promise.all(Array.from({ length: window }, one));
  finished = true;
  await c.endAsync();
}

await Promise.all(Array.from({ length: clients }, (_, i) => runClient(i)));
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ sent, acked, seconds: elapsed, rate: acked / elapsed }) + '\n');
