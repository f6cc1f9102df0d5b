// A PostgreSQL session on a worker thread (see reads/worker-pool.ts): the rows of a read arrive,
// are parsed and are shaped into the answer here, never on the thread that acknowledges devices.
import { workerData } from 'node:worker_threads';
import postgres from 'postgres';
import { PgReads } from './pg-reads.js';
import { numericBigints } from './pg-types.js';
import { noDelay } from './pg-socket.js';
import { READ_THREAD_NICE, isPromptWorker, lowerReadPriority, serveReads } from '../reads/serve-reads.js';
import { lowerBackendPriority } from './backend-priority.js';
import type { RetentionPolicy } from '../store.js';

export interface PgReadWorkerData {
  url: string;
  retention: RetentionPolicy;
  timeoutMs: number;
}

/** How often the server checks that a read's client is still there: a replaced worker's statement stops soon after. */
const CLIENT_CHECK_MS = 1000;

const { url, retention, timeoutMs } = workerData as PgReadWorkerData;
lowerReadPriority();
// One read at a time per worker (the pool hands it no more), so one connection.
const sql = postgres(url, {
  max: 1,
  onnotice: () => {},
  types: numericBigints,
  connection: { statement_timeout: timeoutMs, client_connection_check_interval: CLIENT_CHECK_MS },
  // Export pages and grouped reads pipeline no statements, but a read's answer should not wait on a delayed ACK either.
  ...noDelay(),
});
/** Between attempts to connect while PostgreSQL is away: reads wait in the pool's queue meanwhile (and time out there). */
const RECONNECT_MS = 1000;

// Connected before the first read: postgres.js learns the array types when its first connection opens,
// and a text[] parameter built before then goes out as a scalar ("malformed array literal").
async function connect(): Promise<void> {
  for (;;) {
    try {
      await sql`SELECT 1`;
      // The session's backend does the read's work: it yields to ingest as this thread does.
      if (!isPromptWorker()) await lowerBackendPriority(sql, READ_THREAD_NICE);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, RECONNECT_MS));
    }
  }
}
void connect().then(() => serveReads(new PgReads(sql, retention, timeoutMs)));
