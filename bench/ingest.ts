// Benchmark 1: end-to-end ingest, QoS1 publish until stored and committed, against a bare Mosquitto
// carrying the same load to one subscriber that stores nothing. Beside the rates, the CPU time each
// process spends per message over the run (issue 21): Fieldscope's per stored message against
// Mosquitto's per forwarded message, the load generators' apart. Rounds alternate baseline and
// Fieldscope, so a swing in the machine's other load falls on both.
import { median, runScript, startFieldscope, tempDir } from './lib/procs.js';
import { mosquittoBaseline, type PubResult } from './lib/baseline.js';
import { metricValue, scrapeMetrics } from './lib/metrics.js';
import { cpuWindow } from './lib/cpu.js';
import type { Figure } from './lib/report.js';

/** CPU seconds over a count of messages, in µs per message. */
const usPer = (seconds: number, messages: number): number => (messages > 0 ? (seconds * 1e6) / messages : NaN);

export async function benchIngest(o: { runs: number; messages: number; seconds: number; clients: number }): Promise<Figure[]> {
  const ours: number[] = [];
  const base: number[] = [];
  /** µs per message, per round: Fieldscope (per stored), Mosquitto (per forwarded), and the load generators. */
  const cpu = { server: [] as number[], broker: [] as number[], pubOurs: [] as number[], pubBase: [] as number[], sub: [] as number[] };
  let lossFree = true;
  for (let i = 0; i < o.runs; i++) {
    const b = await mosquittoBaseline(o);
    base.push(b.rate);
    cpu.broker.push(usPer(b.cpu.broker, b.received));
    cpu.pubBase.push(usPer(b.cpu.publisher, b.acked));
    cpu.sub.push(usPer(b.cpu.subscriber, b.received));

    const data = tempDir('fs-bench-ingest-');
    // Ten bench clients (the quick pass) each publish past the default per-device limit (1,000 msg/s)
    // on a quiet machine, and the server rightly disconnects them: the limiter is not what this measures.
    const fs = await startFieldscope(['--no-simulator', '--device-rate', '0'], data.dir);
    let p: PubResult;
    let stored: number;
    let serverCpu: number;
    let perCommit: number;
    try {
      const pub = runScript<PubResult>('publisher.ts', { url: fs.mqttUrl, clients: o.clients, messages: o.messages, seconds: o.seconds });
      await pub.ready;
      const window = cpuWindow(fs.proc.pid!);
      p = await pub.result;
      // Every acknowledged message is committed before its PUBACK: the window ends with the publisher.
      serverCpu = window.stop();
      const text = await scrapeMetrics(fs.httpUrl);
      stored = metricValue(text, 'fieldscope_readings_stored_total');
      // Readings per commit: fewer per commit is more per-commit page writes per message.
      perCommit = metricValue(text, 'fieldscope_store_batch_readings_sum') / metricValue(text, 'fieldscope_store_batch_readings_count');
    } finally {
      await fs.stop();
      data.remove();
    }
    // Every acknowledged message must be in the store: 3 readings each.
    if (stored !== p.acked * 3) lossFree = false;
    ours.push(p.rate);
    cpu.server.push(usPer(serverCpu, stored / 3));
    cpu.pubOurs.push(usPer(p.cpuSeconds, p.acked));
    process.stderr.write(
      `  ingest run ${i + 1}: fieldscope ${Math.round(p.rate)} msg/s (stored ${stored / 3}/${p.acked}), mosquitto ${Math.round(b.rate)} msg/s; ` +
        `CPU µs/msg: fieldscope ${cpu.server[i].toFixed(1)}, mosquitto ${cpu.broker[i].toFixed(1)}, ` +
        `publisher ${cpu.pubOurs[i].toFixed(1)} / ${cpu.pubBase[i].toFixed(1)}, subscriber ${cpu.sub[i].toFixed(1)}; ${Math.round(perCommit)} readings/commit\n`,
    );
  }
  const value = median(ours);
  const baseline = median(base);
  const ratio = value / baseline;
  const serverUs = median(cpu.server);
  const brokerUs = median(cpu.broker);
  const pubOurs = median(cpu.pubOurs);
  const pubBase = median(cpu.pubBase);
  return [
    {
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
    },
    {
      // A time: the ratio is baseline / value (report.ts), so the "<= 0.4x of Mosquitto's" is a ratio >= 2.5.
      id: 'ingest-cpu',
      name: `1c. CPU per message, Fieldscope per stored message, all threads (${o.clients} clients)`,
      value: serverUs,
      unit: 'µs per msg',
      runs: cpu.server,
      baseline: { name: 'bare Mosquitto per forwarded message', value: brokerUs, runs: cpu.broker },
      ratio: brokerUs / serverUs,
      target: "<= 0.4x Mosquitto's (ratio >= 2.5x)",
      met: serverUs / brokerUs <= 0.4,
      notes: `Fieldscope / Mosquitto = ${(serverUs / brokerUs).toFixed(2)}x; utime+stime from /proc/<pid>/stat over the publisher's run`,
    },
    {
      id: 'ingest-cpu-publisher',
      name: '1c. load generator: publisher CPU per acked message, into Fieldscope',
      value: pubOurs,
      unit: 'µs per msg',
      runs: cpu.pubOurs,
      baseline: { name: 'same publisher into bare Mosquitto', value: pubBase, runs: cpu.pubBase },
      ratio: pubBase / pubOurs,
      notes: `baseline subscriber: ${median(cpu.sub).toFixed(1)} µs per received message`,
    },
  ];
}
