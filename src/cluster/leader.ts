import postgres, { type Sql } from 'postgres';
import type { Logger } from '../logger.js';

/** A job that must run on one node of the cluster at a time: started when this node leads, stopped when it stops leading. */
export interface RunOnceJob {
  name: string;
  start(): { stop(): void | Promise<void> };
}

/** Who runs the run-once jobs: this node alone (SQLite), or whichever node holds the lease. */
export interface RunOnce {
  /** Runs the job while this node leads (at once if it leads already). */
  add(job: RunOnceJob): void;
  readonly leading: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One process owns the store: every job runs here, from start to stop. */
export class LocalRunOnce implements RunOnce {
  private jobs: RunOnceJob[] = [];
  private running = new Map<string, { stop(): void | Promise<void> }>();
  private started = false;
  readonly leading = true;

  add(job: RunOnceJob): void {
    this.jobs.push(job);
    if (this.started) this.running.set(job.name, job.start());
  }

  async start(): Promise<void> {
    this.started = true;
    for (const j of this.jobs) if (!this.running.has(j.name)) this.running.set(j.name, j.start());
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const [name, h] of [...this.running].reverse()) {
      this.running.delete(name);
      await h.stop();
    }
  }
}

export interface AdvisoryLeaseOptions {
  /** postgres://... of the shared store. */
  url: string;
  /** Which lease (one key per set of jobs); nodes contending for the same name elect one holder. */
  name: string;
  /** How often a follower tries to take the lease and the holder checks it still has it (ms). */
  checkMs?: number;
  logger: Logger;
  /** Told when this node takes or loses the lease. */
  onChange?: (leading: boolean) => void;
}

/** Advisory lock keys: (namespace, hash of the name), so leases never collide with the migration lock. */
const NAMESPACE = 0x6673; // "fs"

function keyOf(name: string): number {
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.codePointAt(0)!) | 0;
  return h & 0x7fffffff;
}

/**
 * Run-once jobs on a PostgreSQL session advisory lock: the node whose session holds the lock runs
 * them. PostgreSQL releases the lock when that session ends (the process dies, its connection is
 * cut), and a follower trying every checkMs takes it then. The lock lives on a pool of one
 * connection that is never recycled; the holder checks on it every checkMs and stops its jobs at
 * the first failed or unanswered check, before a follower can have started them (a follower
 * needs the server to have ended the session first). No consensus of our own: PostgreSQL decides.
 */
export class AdvisoryLease implements RunOnce {
  private jobs: RunOnceJob[] = [];
  private running = new Map<string, { stop(): void | Promise<void> }>();
  private sql: Sql | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = true;
  private held = false;
  private readonly key: number;

  constructor(private readonly opts: AdvisoryLeaseOptions) {
    this.key = keyOf(opts.name);
  }

  get leading(): boolean {
    return this.held;
  }

  add(job: RunOnceJob): void {
    this.jobs.push(job);
    if (this.held) this.startJob(job);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    await this.lose('stopping');
    await this.disconnect();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule());
    }, this.opts.checkMs ?? 1000);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.sql) {
        // One connection (max 1) is the session that holds the lock. Should postgres.js replace it after
        // a loss, the new session holds nothing, and the check below (by backend pid) notices.
        this.sql = postgres(this.opts.url, {
          max: 1,
          // The lock is the session: the connection must never be closed for idleness or age.
          idle_timeout: 0,
          max_lifetime: null,
          connect_timeout: 5,
          onnotice: () => {},
          connection: { application_name: `fieldscope-lease-${this.opts.name}` },
        });
      }
      const sql = this.sql;
      if (this.held) {
        if (!(await this.bounded(this.holds(sql)))) await this.lose('the lease is no longer held');
      } else {
        const [{ ok }] = await this.bounded(sql<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(${NAMESPACE}::int4, ${this.key}::int4) AS ok`);
        if (ok && !this.stopped) this.take();
        else if (ok) await sql`SELECT pg_advisory_unlock(${NAMESPACE}::int4, ${this.key}::int4)`;
      }
    } catch (err) {
      // A lost or hung connection: whatever it held, PostgreSQL lets go of with the session.
      await this.lose(`lease connection failed: ${(err as Error).message}`);
      await this.disconnect();
    }
  }

  private async holds(sql: Sql): Promise<boolean> {
    const [{ n }] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
        AND classid::bigint = ${NAMESPACE}::int8 AND objid::bigint = ${this.key}::int8 AND objsubid = 2`;
    return n > 0;
  }

  /** A check that takes longer than a period counts as failed: the job must not outlive the lease. */
  private bounded<T>(p: Promise<T>): Promise<T> {
    const ms = (this.opts.checkMs ?? 1000) * 2;
    let t: NodeJS.Timeout | undefined;
    return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() =>
      clearTimeout(t),
    );
  }

  private take(): void {
    this.held = true;
    this.opts.logger.info({ lease: this.opts.name }, 'took the run-once lease: running its jobs here');
    for (const j of this.jobs) this.startJob(j);
    this.opts.onChange?.(true);
  }

  private startJob(job: RunOnceJob): void {
    try {
      this.running.set(job.name, job.start());
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message, job: job.name }, 'run-once job failed to start');
    }
  }

  private async lose(why: string): Promise<void> {
    if (!this.held) return;
    this.held = false;
    this.opts.logger.warn({ lease: this.opts.name, why }, 'gave up the run-once lease: its jobs stop here');
    for (const [name, h] of [...this.running].reverse()) {
      this.running.delete(name);
      try {
        await h.stop();
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message, job: name }, 'run-once job failed to stop');
      }
    }
    this.opts.onChange?.(false);
  }

  private async disconnect(): Promise<void> {
    const { sql } = this;
    this.sql = null;
    await sql?.end({ timeout: 1 }).catch(() => {});
  }
}
