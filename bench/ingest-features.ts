// Issue 21: ingest with what the other issues added running, against the same bare Mosquitto
// baseline. The devices publish on a fleet's own topics (`plant/{site}/{line}/{device}`, a topic
// mapping that binds them to the bearing profile: docs/topic-mappings.md) and a model runs on every
// device (the test fixture's autoencoder and RUL regressor over a 30-reading window, bound to the
// profile: docs/models.md), so each message is mapped, stored, and scored, its predictions stored
// as series of their own. The baseline carries the same topics and payloads to one subscriber.
// Rounds alternate baseline and Fieldscope, as figure 1's do.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, root, runScript, startFieldscope, tempDir } from './lib/procs.js';
import { mosquittoBaseline, type BaselineLoad, type PubResult } from './lib/baseline.js';
import { metricValue, scrapeMetrics } from './lib/metrics.js';
import { cpuWindow } from './lib/cpu.js';
import type { Figure } from './lib/report.js';

const MAPPINGS = [{ topic: 'plant/{site}/{line}/{device}', profile: 'bearing' }];
const LOAD: BaselineLoad = { topic: 'plant/bench/line-1/{id}', shape: 'bearing', filter: 'plant/#' };

/** A model bundle for every bearing: the fixture's, its manifest bound to the profile instead of one machine. */
function modelsFolder(dir: string): string {
  const folder = join(dir, 'serve_ml');
  // The folder layout names the target; a profile bundle's manifest says which profile.
  const d = join(folder, 'bearing-fleet', 'default', 'v1');
  cpSync(join(root, 'test/fixtures/serve_ml/press-01/3/v1'), d, { recursive: true });
  const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...m, equipment_id: null, profile: 'bearing', power: 'default', power_range: null }));
  return folder;
}

export async function benchIngestFeatures(o: { runs: number; messages: number; seconds: number; clients: number }): Promise<Figure[]> {
  const ours: number[] = [];
  const base: number[] = [];
  const serverUs: number[] = [];
  const brokerUs: number[] = [];
  let lossFree = true;
  let inferences = 0;
  for (let i = 0; i < o.runs; i++) {
    const b = await mosquittoBaseline({ ...o, load: LOAD });
    base.push(b.rate);
    brokerUs.push((b.cpu.broker * 1e6) / b.received);

    const data = tempDir('fs-bench-features-');
    const fs = await startFieldscope(
      ['--no-simulator', '--device-rate', '0', '--topic-mappings', JSON.stringify(MAPPINGS), '--models', modelsFolder(data.dir)],
      data.dir,
    );
    let p: PubResult;
    let serverCpu: number;
    let text: string;
    try {
      const pub = runScript<PubResult>('publisher.ts', {
        url: fs.mqttUrl,
        clients: o.clients,
        messages: o.messages,
        seconds: o.seconds,
        topic: LOAD.topic!,
        shape: LOAD.shape!,
      });
      await pub.ready;
      const window = cpuWindow(fs.proc.pid!);
      p = await pub.result;
      serverCpu = window.stop();
      text = await scrapeMetrics(fs.httpUrl);
    } finally {
      await fs.stop();
      data.remove();
    }
    // Acknowledged after commit: every acked message's seq accounted for and its 2 readings stored
    // (the readings stored also hold the predictions, so at least 2 per message).
    const seqs = metricValue(text, 'fieldscope_seq_received_total');
    const stored = metricValue(text, 'fieldscope_readings_stored_total');
    const missing = metricValue(text, 'fieldscope_seq_missing_total');
    inferences = metricValue(text, 'fieldscope_model_inference_seconds_count');
    if (seqs < p.acked || stored < p.acked * 2 || missing > 0) lossFree = false;
    ours.push(p.rate);
    serverUs.push((serverCpu * 1e6) / p.acked);
    process.stderr.write(
      `  ingest with features run ${i + 1}: fieldscope ${Math.round(p.rate)} msg/s (seq accounted ${seqs}/${p.acked}, readings ${stored}, ` +
        `inferences ${inferences}, seq missing ${missing}), mosquitto ${Math.round(b.rate)} msg/s; CPU µs/msg: fieldscope ${serverUs[i].toFixed(1)}, mosquitto ${brokerUs[i].toFixed(1)}\n`,
    );
  }
  const value = median(ours);
  const baseline = median(base);
  return [
    {
      id: 'ingest-features',
      name: `1f. MQTT QoS1 ingest on a fleet's own topics (a topic mapping) with a model on every device (${o.clients} clients)`,
      value,
      unit: 'msg/s',
      runs: ours,
      baseline: { name: 'bare Mosquitto -> 1 subscriber, same topics and payloads', value: baseline, runs: base },
      ratio: value / baseline,
      target: '>= 1.0x bare Mosquitto (issue 21), no loss',
      met: value / baseline >= 1 && lossFree,
      notes:
        `${lossFree ? 'every acknowledged message accounted for and stored' : 'LOSS: acknowledged messages not accounted for'}; ` +
        `${inferences} inferences in the last run; CPU per message ${median(serverUs).toFixed(1)} µs (Fieldscope, all threads) vs ${median(brokerUs).toFixed(1)} µs (Mosquitto)`,
    },
  ];
}
