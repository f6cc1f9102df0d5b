/**
 * Why a read was refused or stopped. The API answers these with the rule named (503 for a read that
 * ran out of time or found the server busy, 413 for one that asked for too much); a store raises them.
 */
export class ReadLimitError extends Error {
  constructor(
    message: string,
    readonly status: 413 | 429 | 503,
    readonly rule: string,
    readonly field?: string,
    /** Seconds after which asking again may succeed (sent as Retry-After). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'ReadLimitError';
  }
}

/** The read ran past its time limit and was cancelled. */
export function readTimedOut(limitMs: number): ReadLimitError {
  return new ReadLimitError(
    `the read took longer than its limit of ${limitMs} ms and was cancelled; ask for a shorter range or fewer devices`,
    503,
    'read_time_limit',
  );
}

/** The read would return more rows than one request may. */
export function readTooLarge(maxRows: number, field: string): ReadLimitError {
  return new ReadLimitError(
    `the answer would hold more than ${maxRows} readings (the most one request may return); narrow from/to, lower ${field}, or ask for points=N buckets`,
    413,
    'max_rows',
    field,
  );
}

/** A plain object that crosses a worker boundary and becomes the same error again. */
export interface ReadErrorShape {
  message: string;
  status?: 413 | 429 | 503;
  rule?: string;
  field?: string;
}

export function toShape(err: unknown): ReadErrorShape {
  if (err instanceof ReadLimitError) return { message: err.message, status: err.status, rule: err.rule, field: err.field };
  return { message: (err as Error)?.message ?? String(err) };
}

export function fromShape(s: ReadErrorShape): Error {
  return s.status ? new ReadLimitError(s.message, s.status, s.rule ?? 'read_limit', s.field) : new Error(s.message);
}
