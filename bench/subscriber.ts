// Baseline receiver: one QoS1 subscriber that counts and stores nothing. Prints {received, seconds, cpuSeconds}
// measured from the first message to the last (the expected count, or whatever came before `seconds`).
import mqtt from 'mqtt';
import { scriptArgs } from './lib/args.js';
import { cpuWindow } from './lib/cpu.js';

const a = scriptArgs();
const expected = Number(a.expected);
const c = await mqtt.connectAsync(a.url, { clientId: 'bench-subscriber', clean: true });
let received = 0;
let first = 0;
let last = 0;
await c.subscribeAsync(a.filter ?? 'devices/+/telemetry', { qos: 1 });
process.stdout.write('ready\n');
const cpu = cpuWindow(process.pid);
const timeout = setTimeout(() => finish(), Number(a.seconds ?? 120) * 1000);
c.on('message', () => {
  last = performance.now();
  if (!received) first = last;
  if (++received >= expected) finish();
});
// The bench stops us once the publisher is done, since a time-bound publisher sends fewer than expected.
process.once('SIGTERM', () => finish());
function finish(): void {
  clearTimeout(timeout);
  const seconds = (last - first) / 1000;
  process.stdout.write(JSON.stringify({ received, seconds, cpuSeconds: cpu.stop() }) + '\n');
  void c.endAsync().then(() => process.exit(0));
}
