// The broker-only baseline of the ingest figures: the same publisher load through a bare Mosquitto
// to one QoS1 subscriber that stores nothing. Measured in the same run as the figure it sits beside.
import { runScript, startMosquitto } from './procs.js';
import { cpuWindow } from './cpu.js';

/** What bench/publisher.ts prints. */
export interface PubResult {
  sent: number;
  acked: number;
  seconds: number;
  rate: number;
  /** Date.now() when it started connecting, to time "publisher start -> stored" from another process. */
  startedAt: number;
  skipped: number;
  /** The publisher's own CPU seconds (all threads) from its start of publishing to its end. */
  cpuSeconds: number;
}

/** What the baseline measured: the subscriber's receive rate and the CPU seconds of each process over the run. */
export interface BaselineResult {
  rate: number;
  received: number;
  acked: number;
  cpu: { broker: number; publisher: number; subscriber: number };
}

/** The publishers' topics and payloads (publisher.ts `topic`, `shape`) and the subscriber's filter, when not Fieldscope's own scheme. */
export interface BaselineLoad {
  topic?: string;
  shape?: string;
  filter?: string;
}

export async function mosquittoBaseline(o: { messages: number; seconds: number; clients: number; load?: BaselineLoad }): Promise<BaselineResult> {
  const { filter, ...publish } = o.load ?? {};
  const mosq = await startMosquitto();
  try {
    const sub = runScript<{ received: number; seconds: number; cpuSeconds: number }>('subscriber.ts', {
      url: mosq.url,
      expected: o.messages,
      seconds: o.seconds + 10,
      ...(filter ? { filter } : {}),
    });
    await sub.ready;
    const pub = runScript<PubResult>('publisher.ts', { url: mosq.url, clients: o.clients, messages: o.messages, seconds: o.seconds, ...publish });
    // The broker's CPU from the publisher's start until the subscriber has drained (an idle Mosquitto uses none).
    await pub.ready;
    const brokerCpu = cpuWindow(mosq.proc.pid!);
    const sent = await pub.result;
    // Acked by the broker is not yet delivered: give the subscriber a moment to drain, then stop it.
    await new Promise((r) => setTimeout(r, 1000));
    const broker = brokerCpu.stop();
    if (sub.proc.exitCode === null) sub.proc.kill('SIGTERM');
    const s = await sub.result;
    if (s.received < sent.acked) process.stderr.write(`  note: the baseline subscriber got ${s.received} of ${sent.acked} acked\n`);
    return {
      rate: s.received / s.seconds,
      received: s.received,
      acked: sent.acked,
      cpu: { broker, publisher: sent.cpuSeconds, subscriber: s.cpuSeconds },
    };
  } finally {
    await mosq.stop();
  }
}
