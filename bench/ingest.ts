// Benchmark 1: end-to-end ingest, QoS1 publish until stored and committed, against a bare Mosquitto
// carrying the same load to one subscriber that stores nothing.
import { median, runScript, startFieldscope, startMosquitto, tempDir } from './lib/procs.js';
import type { Figure } from './lib/report.js';

interface PubResult { sent: number; acked: number; seconds: number; rate: number }

async function storedReadings(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const m = /^fieldscope_readings_stored_total (\d+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

export async function benchIngest(o: { runs: number; messages: number; seconds: number; clients: number }): Promise<Figure> {
  const ours: number[] = [];
  const base: number[] = [];
  let lossFree = true;
  for (let i = 0; i < o.runs; i++) {
    const mosq = await startMosquitto();
    const sub = runScript<{ received: number; seconds: number }>('subscriber.ts', { url: mosq.url, expected: o.messages, seconds: o.seconds + 10 });
    await sub.ready;
    const sent = await runScript<PubResult>('publisher.ts', { url: mosq.url, clients: o.clients, messages: o.messages, seconds: o.seconds }).result;
    // Acked by the broker is not yet delivered: give the subscriber a moment to drain, then stop it.
    await new Promise((r) => setTimeout(r, 1000));
    if (sub.proc.exitCode === null) sub.proc.kill('SIGTERM');
    const s = await sub.result;
    if (s.received < sent.acked) process.stderr.write(`  note: the baseline subscriber got ${s.received} of ${sent.acked} acked\n`);
    base.push(s.received / s.seconds);
    await mosq.stop();

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
    process.stderr.write(`  ingest run ${i + 1}: fieldscope ${Math.round(p.rate)} msg/s (stored ${stored / 3}/${p.acked}), mosquitto ${Math.round(s.received / s.seconds)} msg/s\n`);
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
