// Benchmark 2: end-to-end ingest with an external Mosquitto and the PostgreSQL store. Devices publish
// QoS1 to Mosquitto (which acks at once and queues for Fieldscope's persistent session); Fieldscope,
// a client of that broker, stores into PostgreSQL. The rate is messages acked by Mosquitto divided by
// the time from the publisher's start until Fieldscope has stored all of them, so it is the rate of
// the slower of the two. Baseline: the same publisher load through a bare Mosquitto to one subscriber
// that stores nothing (as benchmark 1).
import mqtt from 'mqtt';
import postgres from 'postgres';
import { startPostgres } from '../test/helpers/postgres.js';
import { median, runScript, startFieldscope, startMosquitto, tempDir } from './lib/procs.js';
import { mosquittoBaseline, type PubResult } from './lib/baseline.js';
import { metricValue, scrapeMetrics, storedReadings, waitStored } from './lib/metrics.js';
import type { Figure } from './lib/report.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until Fieldscope's subscription on the broker is in place. /health says "up" once connected,
 * but the SUBACK may still be on its way, and anything published before it is not queued for us:
 * so a probe device publishes until Fieldscope has stored one of its messages.
 */
async function waitSubscribed(httpUrl: string, brokerUrl: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const h = (await (await fetch(`${httpUrl}/health`)).json()) as { components?: { mqtt?: { status?: string } } };
    if (h.components?.mqtt?.status === 'up') break;
    if (Date.now() > deadline) throw new Error(`Fieldscope did not connect to ${brokerUrl}: ${JSON.stringify(h.components?.mqtt)}`);
    await sleep(100);
  }
  const before = await storedReadings(httpUrl);
  const probe = await mqtt.connectAsync(brokerUrl, { clientId: 'bench-probe', clean: true, reconnectPeriod: 0 });
  try {
    for (let seq = 1; (await storedReadings(httpUrl)) === before; seq++) {
      if (Date.now() > deadline) throw new Error('Fieldscope stored none of the probe messages');
      await probe.publishAsync('devices/probe/telemetry', JSON.stringify({ seq, ts: Date.now(), v: 1, a: 1, w: 1 }), { qos: 1 });
      await sleep(200);
    }
  } finally {
    await probe.endAsync();
  }
  await sleep(500); // a probe still in flight lands before the count is taken
}

/** Rows in PostgreSQL for the publisher's devices, and how many distinct (device, metric, ts) they hold. */
export async function countRows(url: string, prefix: string): Promise<{ rows: number; distinct: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql<{ rows: number; distinct: number }[]>`
      SELECT count(*)::int AS rows, count(DISTINCT (s.device, s.metric, r.ts))::int AS distinct
      FROM readings r JOIN series s ON s.id = r.series WHERE s.device LIKE ${prefix + '-%'}`;
    return r;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Mosquitto acks the publisher at its own pace and queues the rest for Fieldscope, so the run's length
 * is set by Fieldscope's rate: the first run has `firstMessages`, the later ones as many as the
 * median rate so far stores in about `seconds` (at most `maxMessages`).
 */
export async function benchIngestExternal(o: { runs: number; firstMessages: number; maxMessages: number; seconds: number; clients: number }): Promise<Figure> {
  const ours: number[] = [];
  const base: number[] = [];
  const sizes: number[] = [];
  const problems: string[] = [];
  let redelivered = 0;
  const pg = await startPostgres({ durable: true });
  try {
    for (let i = 0; i < o.runs; i++) {
      const messages = i === 0 ? o.firstMessages : Math.round(Math.min(o.maxMessages, Math.max(o.firstMessages, median(ours) * o.seconds)));
      sizes.push(messages);
      // A baseline of a few thousand messages lasts a fraction of a second: too short to time well.
      base.push((await mosquittoBaseline({ clients: o.clients, messages: Math.max(messages, 100_000), seconds: 60 })).rate);

      const mosq = await startMosquitto();
      const db = await pg.createDatabase();
      const data = tempDir('fs-bench-ext-');
      let fs: Awaited<ReturnType<typeof startFieldscope>> | undefined;
      try {
        fs = await startFieldscope(['--no-simulator', '--broker', mosq.url, '--broker-client-id', `fieldscope-bench-${i}`, '--store', db], data.dir);
        await waitSubscribed(fs.httpUrl, mosq.url);
        const m0 = await scrapeMetrics(fs.httpUrl);
        const stored0 = metricValue(m0, 'fieldscope_readings_stored_total');
        const dup0 = metricValue(m0, 'fieldscope_seq_duplicates_total');
        const p = await runScript<PubResult>('publisher.ts', { url: mosq.url, clients: o.clients, messages, seconds: 120, prefix: 'ext' }).result;
        const done = await waitStored(fs.httpUrl, stored0 + p.acked * 3);
        const stored = done.stored - stored0;
        const rows = await countRows(db, 'ext');
        const m1 = await scrapeMetrics(fs.httpUrl);
        redelivered += metricValue(m1, 'fieldscope_seq_duplicates_total') - dup0;
        // Every acked message stored once: 3 readings each, by the counter and by the rows themselves.
        if (stored !== p.acked * 3 || rows.rows !== p.acked * 3 || rows.distinct !== rows.rows) {
          problems.push(`run ${i + 1}: acked ${p.acked}, stored counter ${stored / 3} msgs, rows ${rows.rows / 3} msgs (${rows.distinct} distinct)`);
        }
        const rate = Number.isNaN(done.at) ? NaN : p.acked / ((done.at - p.startedAt) / 1000);
        ours.push(rate);
        process.stderr.write(
          `  ingest-external run ${i + 1}: ${Math.round(rate)} msg/s to stored (${p.acked} acked by Mosquitto at ${Math.round(p.rate)} msg/s; stored ${stored / 3}, rows ${rows.rows / 3}), baseline ${Math.round(base[i])} msg/s\n`,
        );
      } finally {
        await fs?.stop();
        await mosq.stop();
        data.remove();
      }
    }
  } finally {
    await pg.destroy();
  }
  const value = median(ours);
  const baseline = median(base);
  const lossFree = problems.length === 0;
  return {
    id: 'ingest-external',
    name: `2. QoS1 ingest via external Mosquitto to PostgreSQL, publish -> stored (${o.clients} clients)`,
    value,
    unit: 'msg/s',
    runs: ours,
    baseline: { name: 'bare Mosquitto -> 1 subscriber', value: baseline, runs: base },
    ratio: value / baseline,
    target: 'figure and ratio recorded, no loss',
    met: lossFree && Number.isFinite(value),
    notes:
      (lossFree ? 'stored counter = PostgreSQL rows = 3 x acked in every run' : `LOSS: ${problems.join('; ')}`) +
      `; ${redelivered} redelivered messages dropped as duplicates; messages per run ${sizes.join(', ')}`,
  };
}
