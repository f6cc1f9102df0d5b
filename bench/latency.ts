// Benchmark 3: publish -> live WebSocket client at 2,000 msg/s, beside publish -> subscriber through a bare Mosquitto.
import { median, runScript, startFieldscope, startMosquitto, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';

interface Probe {
  published: number;
  samples: number;
  p50: number;
  p99: number;
}

export async function benchLatency(o: { runs: number; seconds: number; rate: number }): Promise<Figure[]> {
  const ours: Probe[] = [];
  const base: Probe[] = [];
  for (let i = 0; i < o.runs; i++) {
    const mosq = await startMosquitto();
    base.push(await runScript<Probe>('latency-probe.ts', { url: mosq.url, rate: o.rate, seconds: o.seconds }).result);
    await mosq.stop();
    const data = tempDir('fs-bench-latency-');
    const fs = await startFieldscope(['--no-simulator'], data.dir);
    ours.push(
      await runScript<Probe>('latency-probe.ts', { url: fs.mqttUrl, ws: fs.httpUrl.replace('http', 'ws') + '/api/v1/live', rate: o.rate, seconds: o.seconds })
        .result,
    );
    await fs.stop();
    data.remove();
    process.stderr.write(
      `  latency run ${i + 1}: fieldscope p50 ${ours[i].p50.toFixed(2)} p99 ${ours[i].p99.toFixed(2)} ms (${ours[i].samples} samples); mosquitto p50 ${base[i].p50.toFixed(2)} p99 ${base[i].p99.toFixed(2)} ms\n`,
    );
  }
  const fig = (q: 'p50' | 'p99'): Figure => {
    const value = median(ours.map((r) => r[q]));
    const b = median(base.map((r) => r[q]));
    return {
      id: `latency-${q}`,
      name: `3. publish -> live WebSocket ${q} at ${o.rate} msg/s`,
      value,
      unit: 'ms',
      runs: ours.map((r) => r[q]),
      baseline: { name: 'publish -> subscriber via bare Mosquitto', value: b, runs: base.map((r) => r[q]) },
      ratio: b / value,
      target: q === 'p99' ? '< 25 ms' : undefined,
      met: q === 'p99' ? value < 25 : undefined,
      notes: 'includes the store commit: live messages are sent after the batch is stored',
    };
  };
  return [fig('p50'), fig('p99')];
}
