// The broker-only baseline of the ingest figures: the same publisher load through a bare Mosquitto
// to one QoS1 subscriber that stores nothing. Measured in the same run as the figure it sits beside.
import { runScript, startMosquitto } from './procs.js';

/** What bench/publisher.ts prints. */
export interface PubResult {
  sent: number;
  acked: number;
  seconds: number;
  rate: number;
  /** Date.now() when it started connecting, to time "publisher start -> stored" from another process. */
  startedAt: number;
  skipped: number;
}

export async function mosquittoBaseline(o: { messages: number; seconds: number; clients: number }): Promise<{ rate: number; received: number; acked: number }> {
  const mosq = await startMosquitto();
  try {
    const sub = runScript<{ received: number; seconds: number }>('subscriber.ts', { url: mosq.url, expected: o.messages, seconds: o.seconds + 10 });
    await sub.ready;
    const sent = await runScript<PubResult>('publisher.ts', { url: mosq.url, clients: o.clients, messages: o.messages, seconds: o.seconds }).result;
    // Acked by the broker is not yet delivered: give the subscriber a moment to drain, then stop it.
    await new Promise((r) => setTimeout(r, 1000));
    if (sub.proc.exitCode === null) sub.proc.kill('SIGTERM');
    const s = await sub.result;
    if (s.received < sent.acked) process.stderr.write(`  note: the baseline subscriber got ${s.received} of ${sent.acked} acked\n`);
    return { rate: s.received / s.seconds, received: s.received, acked: sent.acked };
  } finally {
    await mosq.stop();
  }
}
