// Benchmark 4: 10,000 MQTT devices at one message per 10 s each: Fieldscope's resident memory.
import { median, rssBytes, runScript, startFieldscope, startMosquitto, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';

export async function benchConnections(o: { runs: number; clients: number; seconds: number }): Promise<Figure> {
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const mosq = await startMosquitto();
    const pm = runScript<{ clients: number }>('connections-probe.ts', { url: mosq.url, clients: o.clients, seconds: o.seconds });
    await pm.ready;
    await new Promise((r) => setTimeout(r, (o.seconds / 2) * 1000));
    base.push(rssBytes(mosq.proc.pid!) / 2 ** 20);
    await pm.result;
    await mosq.stop();

    const data = tempDir('fs-bench-conn-');
    const fs = await startFieldscope(['--no-simulator'], data.dir);
    const p = runScript<{ clients: number; published: number }>('connections-probe.ts', { url: fs.mqttUrl, clients: o.clients, seconds: o.seconds });
    await p.ready;
    await new Promise((r) => setTimeout(r, (o.seconds / 2) * 1000));
    ours.push(rssBytes(fs.proc.pid!) / 2 ** 20);
    const r = await p.result;
    await fs.stop();
    data.remove();
    process.stderr.write(`  connections run ${i + 1}: fieldscope ${ours[i].toFixed(0)} MiB with ${r.clients} clients (${r.published} messages); mosquitto ${base[i].toFixed(0)} MiB\n`);
  }
  const value = median(ours);
  const b = median(base);
  return {
    id: 'connections',
    name: `4. resident memory with ${o.clients.toLocaleString('en-US')} MQTT devices (1 msg/10 s each)`,
    value,
    unit: 'MiB',
    runs: ours,
    baseline: { name: 'bare Mosquitto, same clients', value: b, runs: base },
    ratio: b / value,
    target: '< 600 MB',
    met: value * 2 ** 20 < 600e6,
  };
}
