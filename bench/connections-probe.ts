// Opens `clients` MQTT connections (ids conn-<first>...), from the local source addresses in `local`
// (comma-separated, `per-address` consecutive devices on each: bench/lib/address-plan.ts; 127.0.0.x
// all reach a 127.0.0.1 listener, and each has its own ephemeral port range), and has each publish one QoS1 message with a rising seq every
// `interval` seconds. Prints "ready" once all are connected, publishes for `seconds` (or until SIGTERM), then
// stops publishing, waits for every PUBACK still owed, and prints what was acknowledged as its last line.
import mqtt from 'mqtt';
import { createConnection } from 'node:net';
import { scriptArgs } from './lib/args.js';
import { deviceAddress } from './lib/address-plan.js';

const a = scriptArgs();
const n = Number(a.clients ?? 10_000);
const first = Number(a.first ?? 0);
const interval = Number(a.interval ?? 10) * 1000;
const seconds = Number(a.seconds ?? 60);
const local = (a.local ?? '').split(',').filter(Boolean);
const perAddress = Number(a['per-address'] ?? 900);
const target = new URL(a.url);
/**
 * SIGUSR1 pauses publishing, SIGUSR2 resumes it: the bench pauses the devices already connected
 * while the next step connects (--quiet-ramp), so that on a starved machine the ramp is not
 * queued behind their publishes. A paused tick sends nothing and uses no seq (nothing is missing).
 * Installed first: the bench may signal as soon as it reads "ready", before the lines after it run.
 */
let paused = false;
process.on('SIGUSR1', () => (paused = true));
process.on('SIGUSR2', () => (paused = false));
/** Connections under way at once while ramping up. */
const burst = Number(a.burst ?? 200);

/**
 * One connection; rejects when the socket closes before CONNACK too (mqtt.js's connectAsync waits
 * forever then, with reconnecting off), as the broker's gate does to a burst over its pending cap.
 */
function connectOnce(k: number): Promise<mqtt.MqttClient> {
  // mqtt.js's own TCP builder takes no local address: the socket is made here.
  const localAddress = local.length ? deviceAddress({ from: first, local }, k, perAddress) : undefined;
  const c = new mqtt.MqttClient(() => createConnection({ host: target.hostname, port: Number(target.port), localAddress }), {
    clientId: `conn-${first + k}`,
    protocolVersion: 4,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: 60_000,
  });
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      c.removeAllListeners();
      c.on('error', () => void 0);
      c.end(true);
      reject(err);
    };
    c.once('connect', () => {
      c.removeAllListeners('error');
      c.removeAllListeners('close');
      c.on('error', () => void 0);
      resolve(c);
    });
    c.once('error', fail);
    c.once('close', () => fail(new Error('closed before CONNACK')));
  });
}

/** A device whose connection was refused tries again after a pause, as a real one would. */
async function connect(k: number): Promise<mqtt.MqttClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(k);
    } catch (err) {
      if (attempt === 5) throw err;
      retries++;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

const clients: mqtt.MqttClient[] = [];
let connectFailed = 0;
let retries = 0;
let firstError = '';
for (let i = 0; i < n; i += burst) {
  const batch = await Promise.allSettled(Array.from({ length: Math.min(burst, n - i) }, (_, j) => connect(i + j)));
  for (const r of batch) {
    if (r.status === 'fulfilled') clients.push(r.value);
    else {
      connectFailed++;
      firstError ||= (r.reason as Error).message;
    }
  }
}
process.stdout.write('ready\n');

let acked = 0;
let failed = 0;
let inflight = 0;
/** The last seq each client sent. */
const seqs = new Uint32Array(clients.length);
const timers: NodeJS.Timeout[] = [];
clients.forEach((c, i) => {
  const topic = `devices/conn-${first + i}/telemetry`;
  const tick = () => {
    if (paused) return;
    const s = ++seqs[i];
    inflight++;
    c.publishAsync(topic, `{"seq":${s},"v":5.0,"a":0.25,"w":1.25}`, { qos: 1 }).then(
      () => {
        inflight--;
        acked++;
      },
      (err: Error) => {
        inflight--;
        failed++;
        firstError ||= err.message;
      },
    );
  };
  // Spread over the interval so the broker sees a steady rate, not a burst every 10 s.
  timers.push(
    setTimeout(() => {
      tick();
      timers.push(setInterval(tick, interval));
    }, Math.random() * interval),
  );
});

await new Promise((r) => {
  setTimeout(r, seconds * 1000);
  process.once('SIGTERM', r);
});
for (const t of timers) clearTimeout(t);
// Every message sent is owed a PUBACK: wait for them (a broker that loses one leaves this at > 0).
const deadline = Date.now() + 60_000;
while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
const published = seqs.reduce((sum, s) => sum + s, 0);
const closed = clients.filter((c) => !c.connected).length;
process.stdout.write(
  JSON.stringify({ clients: clients.length, connectFailed, retries, published, acked, failed, unacked: inflight, closed, firstError }) + '\n',
);
process.exit(0);
