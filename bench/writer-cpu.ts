// The SQLite writer thread's CPU cost per message, without the broker: batches shaped as the MQTT
// ingest makes them (100 devices, 3 values a message, seq accounting) written through SqliteStore
// with the writer thread on and off, for several batch sizes. CPU is process.cpuUsage() (every
// thread of this process), so the figure barely moves with the machine's other load, unlike a rate.
// `node --import tsx bench/writer-cpu.ts [messages per size] [sizes] [on,off...] [checkpoint periods ms]`
import { join } from 'node:path';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { SequenceTracker } from '../src/pipeline/sequence.js';
import { toWriteBatch } from '../src/pipeline/batcher.js';
import type { Message } from '../src/model/reading.js';
import { tempDir } from './lib/procs.js';

const total = Number(process.argv[2] ?? 60_000);
const sizes = (process.argv[3] ?? '30,100,300,1000').split(',').map(Number);
const DEVICES = 100;
const modes = (process.argv[4] ?? 'off,on,off,on').split(',').map((m) => m === 'on');
/** The WAL checkpointer's period(s), ms: each size is run with each (argv[5], e.g. 250,1000). */
const checkpointPeriods = (process.argv[5] ?? '250').split(',').map(Number);

async function run(thread: boolean, perBatch: number, checkpointEveryMs: number): Promise<{ us: number; wallUs: number }> {
  const dir = tempDir('fs-bench-writer-cpu-');
  const db = new SqliteStore({ path: join(dir.dir, 'db.sqlite'), readWorkers: 0, writerThread: thread, checkpointEveryMs });
  await db.open();
  const seq = new SequenceTracker();
  const seqOf = new Array<number>(DEVICES).fill(0);
  const t0 = Date.now() - 3_600_000;
  let sent = 0;
  const batch = (): Message[] => {
    const out: Message[] = [];
    for (let k = 0; k < perBatch; k++, sent++) {
      const d = sent % DEVICES;
      const s = ++seqOf[d];
      const at = t0 + sent;
      out.push({ device: `bench-${d}`, seq: s, ts: at, values: { t: Math.random(), h: Math.random(), p: Math.random() }, source: 'mqtt', receivedAt: at });
    }
    return out;
  };
  const write = async (messages: Message[]) => {
    const acct = seq.account(messages);
    await db.telemetry.write(toWriteBatch(acct.keep, [], acct.update));
    acct.commit();
  };
  // Warm-up: series created, statements and JIT warm.
  for (let i = 0; i < 20; i++) await write(batch());
  const n = Math.ceil(total / perBatch);
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < n; i++) await write(batch());
  const wall = performance.now() - w0;
  const cpu = process.cpuUsage(cpu0);
  await db.close();
  dir.remove();
  const msgs = n * perBatch;
  return { us: (cpu.user + cpu.system) / msgs, wallUs: (wall * 1000) / msgs };
}

for (const size of sizes) {
  const row: string[] = [];
  for (const thread of modes)
    for (const every of checkpointPeriods) {
      const r = await run(thread, size, every);
      row.push(`${thread ? 'on' : 'off'}${checkpointPeriods.length > 1 ? ` ckpt ${every} ms` : ''} ${r.us.toFixed(1)} (wall ${r.wallUs.toFixed(1)})`);
    }
  process.stdout.write(`${size} msgs/batch (${size * 3} readings): CPU µs/msg ${row.join(', ')}\n`);
}
