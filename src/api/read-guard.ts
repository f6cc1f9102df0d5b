import type { FastifyRequest } from 'fastify';
import { ReadLimitError } from '../stores/read-errors.js';

export interface ReadGuardOptions {
  /** Reads running at once, in all. */
  overall: number;
  /** Reads running at once per caller. */
  perCaller: number;
  /** Readings per second a caller may read on average (0: no limit)... */
  rowsPerSec: number;
  /** ...with bursts of this many. */
  rowsBurst: number;
  /** Told of each refusal, by rule. */
  onRefused?: (rule: string) => void;
  now?: () => number;
}

/** Who is reading: a signed-in user or API key by id, anyone else by address. */
export function readCaller(req: FastifyRequest): string {
  const p = (req as FastifyRequest & { principal?: { kind: string; id?: string } | null }).principal;
  if (p && (p.kind === 'user' || p.kind === 'api_key') && p.id) return `${p.kind}:${p.id}`;
  return `ip:${req.ip}`;
}

/**
 * Limits on reads of history, so that many heavy reads cannot take the server: how many run at once
 * (in all and per caller), and a budget of readings per caller that refills at a steady rate. A read
 * costs what it returned (one reading = one unit; at least one per request), charged when it ends, so
 * a caller that has just read a million readings waits before the next large read while one that asks
 * for the latest ten never notices. The per-IP request limit cannot do this: a request is not a unit
 * of cost when one returns ten readings and another two hundred thousand.
 */
export class ReadGuard {
  private running = 0;
  private readonly byCaller = new Map<string, number>();
  private readonly budget = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly opts: ReadGuardOptions) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private refuse(rule: string, status: 429 | 503, message: string, retryAfterSec: number): never {
    this.opts.onRefused?.(rule);
    throw new ReadLimitError(message, status, rule, undefined, retryAfterSec);
  }

  private tokens(caller: string): { tokens: number; at: number } {
    const now = this.now();
    let b = this.budget.get(caller);
    if (!b) {
      // Bounded: forget callers whose budget is full again (they owe nothing).
      if (this.budget.size > 10_000)
        for (const [k, v] of this.budget) if (v.tokens + ((now - v.at) / 1000) * this.opts.rowsPerSec >= this.opts.rowsBurst) this.budget.delete(k);
      b = { tokens: this.opts.rowsBurst, at: now };
      this.budget.set(caller, b);
    } else {
      b.tokens = Math.min(this.opts.rowsBurst, b.tokens + ((now - b.at) / 1000) * this.opts.rowsPerSec);
      b.at = now;
    }
    return b;
  }

  /** Takes a place for one read of `caller`, or throws the rule it broke; call the returned function with the readings it returned, once. */
  acquire(caller: string): (rows: number) => void {
    if (this.opts.rowsPerSec > 0) {
      const b = this.tokens(caller);
      if (b.tokens < 0) {
        this.refuse(
          'read_rows_rate',
          429,
          `this caller has read more than its budget of ${this.opts.rowsPerSec} readings per second; wait and ask again, or ask for fewer (points=N)`,
          Math.max(1, Math.ceil(-b.tokens / this.opts.rowsPerSec)),
        );
      }
    }
    const mine = this.byCaller.get(caller) ?? 0;
    if (mine >= this.opts.perCaller) {
      this.refuse(
        'read_concurrency_per_caller',
        429,
        `this caller already has ${mine} reads of history running (the most at once is ${this.opts.perCaller})`,
        1,
      );
    }
    if (this.running >= this.opts.overall) {
      this.refuse('read_concurrency', 503, `the server is running its most reads of history at once (${this.opts.overall}); ask again shortly`, 1);
    }
    this.running++;
    this.byCaller.set(caller, mine + 1);
    let done = false;
    return (rows: number) => {
      if (done) return;
      done = true;
      this.running--;
      const left = (this.byCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.byCaller.set(caller, left);
      else this.byCaller.delete(caller);
      if (this.opts.rowsPerSec > 0) this.tokens(caller).tokens -= Math.max(1, rows);
    };
  }

  /** Runs one read of `caller` under the limits; `rowsOf` says how many readings its answer holds. */
  async run<T>(caller: string, read: () => Promise<T>, rowsOf: (answer: T) => number): Promise<T> {
    const release = this.acquire(caller);
    let rows = 1;
    try {
      const answer = await read();
      rows = rowsOf(answer);
      return answer;
    } finally {
      release(rows);
    }
  }

  /** Reads running now (tests, metrics). */
  get active(): number {
    return this.running;
  }
}

/** No limits: for contexts built without a guard (unit tests of single routes). */
export const unguarded = new ReadGuard({ overall: Infinity, perCaller: Infinity, rowsPerSec: 0, rowsBurst: 0 });
