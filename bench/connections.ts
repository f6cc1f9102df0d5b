// Benchmark 4: 10,000 MQTT devices at one message per 10 s each: Fieldscope's resident memory.
import { median, rssBytes, runScript, startFieldscope, startMosquitto, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';

/** The server's own account of its memory (its public /metrics), to split RSS into JS heap and external buffers. */
async function processMemory(httpUrl: string): Promise<{ heapMiB: number; externalMiB: number }> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^fieldscope_process_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return { heapMiB: read('nodejs_heap_size_used_bytes'), externalMiB: read('nodejs_external_memory_bytes') };
}

export async function benchConnections(o: { runs: number; clients: number; seconds: number }): Promise<Figure> {
  const ours: number[] = [];
  const base: number[] = [];
  const notes: string[] = [];
  for (let i = 0; i < o.runs; i++) {
    const mosq = await startMosquitto();
    const pm = runScript<{ clients: number }>('connections-probe.ts', { url: mosq.url, clients: o.clients, seconds: o.seconds });
    await pm.ready;
    await new Promise((r) => setTimeout(r, (o.seconds / 2) * 1000));
    base.push(rssBytes(mosq.proc.pid!) / 2 ** 20);
    await pm.result;
    await mosq.stop();

    const data = tempDir('fs-bench-conn-');
    // Every simulated device comes from 127.0.0.1: lift the per-address cap (default 1000) for this measurement.
    const fs = await startFieldscope(['--no-simulator', '--mqtt-max-per-ip', '0'], data.dir);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssBytes(fs.proc.pid!) / 2 ** 20;
    const p = runScript<{ clients: number; published: number }>('connections-probe.ts', { url: fs.mqttUrl, clients: o.clients, seconds: o.seconds });
    await p.ready;
    await new Promise((r) => setTimeout(r, (o.seconds / 2) * 1000));
    ours.push(rssBytes(fs.proc.pid!) / 2 ** 20);
    const mem = await processMemory(fs.httpUrl);
    const r = await p.result;
    await fs.stop();
    data.remove();
    const perClient = ((ours[i] - idle) * 1024) / o.clients;
    notes.push(
      `run ${i + 1}: idle ${idle.toFixed(0)} MiB, ${perClient.toFixed(1)} KiB per client; JS heap used ${mem.heapMiB.toFixed(0)} MiB, external ${mem.externalMiB.toFixed(0)} MiB`,
    );
    process.stderr.write(
      `  connections run ${i + 1}: fieldscope ${ours[i].toFixed(0)} MiB with ${r.clients} clients (${r.published} messages); mosquitto ${base[i].toFixed(0)} MiB; ${notes[i]}\n`,
    );
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
    notes: notes.join('; '),
  };
}
