// Opens N MQTT connections and has each publish one QoS1 message every `interval` seconds.
// Prints "ready" once all are connected, then runs until killed or `seconds` pass.
import mqtt from 'mqtt';
import { scriptArgs } from './lib/args.js';

const a = scriptArgs();
const n = Number(a.clients ?? 10_000);
const interval = Number(a.interval ?? 10) * 1000;
const seconds = Number(a.seconds ?? 60);
const clients: mqtt.MqttClient[] = [];
for (let i = 0; i < n; i += 200) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(200, n - i) }, (_, j) => mqtt.connectAsync(a.url, { clientId: `conn-${i + j}`, keepalive: 60, reconnectPeriod: 0 })),
  );
  clients.push(...batch);
}
process.stdout.write('ready\n');
let published = 0;
clients.forEach((c, i) => {
  let seq = 0;
  setTimeout(() => {
    const tick = () => void c.publishAsync(`devices/conn-${i}/telemetry`, `{"seq":${++seq},"v":5.0,"a":0.25,"w":1.25}`, { qos: 1 }).then(() => published++);
    tick();
    setInterval(tick, interval);
  }, Math.random() * interval);
});
setTimeout(() => {
  process.stdout.write(JSON.stringify({ clients: clients.length, published }) + '\n');
  process.exit(0);
}, seconds * 1000);
