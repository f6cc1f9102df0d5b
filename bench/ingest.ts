// Benchmark 1: end-to-end ingest, QoS1 publish until stored and committed, against a bare Mosquitto
// carrying the same load to one subscriber that stores nothing.
import { median, runScript, startFieldscope, tempDir } from './lib/procs.js';
import { mosquittoBaseline, type PubResult } from './lib/baseline.js';
import { storedReadings } from './lib/metrics.js';
import type { Figure } from './lib/report.js';

export async function benchIngest(o: { runs: number; messages: number; seconds: number; clients: number }): Promise<Figure> {
  const ours: number[] = [];
  const base: number[] = [];
  let lossFree = true;
  for (let i = 0; i < o.runs; i++) {
    const b = await mosquittoBaseline(o);
    base.push(b.rate);

    const data = tempDir('fs-bench-ingest-');
    const fs = await startFieldscope(['--no-simulator'], data.dir);
    let p: PubResult;
    let stored: number;
    try {
      p = await runScript<PubResult>('publisher.ts', { url: fs.mqttUrl, clients: o.clients, messages: o.messages, seconds: o.seconds }).result;
      stored = await storedReadings(fs.httpUrl);
    } finally {
      await fs.stop();
      data.remove();
    }
    // Every acknowledged message must be in the store: 3 readings each.
    if (stored !== p.acked * 3) lossFree = false;
    ours.push(p.rate);
    process.stderr.write(
      `  ingest run ${i + 1}: fieldscope ${Math.round(p.rate)} msg/s (stored ${stored / 3}/${p.acked}), mosquitto ${Math.round(b.rate)} msg/s\n`,
    );
  }
  const value = median(ours);
  const baseline = median(base);
  const ratio = value / baseline;
  return {
    id: 'ingest',
    name: `1. MQTT QoS1 ingest to committed store (${o.clients} clients)`,
    value,
    unit: 'msg/s',
    runs: ours,
    baseline: { name: 'bare Mosquitto -> 1 subscriber', value: baseline, runs: base },
    ratio,
    target: '>= 0.5x and >= 20,000 msg/s, no loss',
    met: ratio >= 0.5 && value >= 20_000 && lossFree,
    notes: lossFree ? 'store count = acked count in every run' : 'LOSS: store count differed from acked count',
  };
}
