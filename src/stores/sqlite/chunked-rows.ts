import type Database from 'better-sqlite3';

/**
 * One statement written for `rows` rows at once (a multi-row INSERT or UPDATE ... FROM (VALUES ...)),
 * fed a value at a time: every `rows` rows it runs, and end() runs what is left row by row. A batch
 * from a large fleet has a device row, a latest value per series and two rollup rows per series for
 * every message; a statement each was most of the writer thread's time (bench spread: 100,000
 * devices), a statement per 32 rows a fraction of it. Rows of one statement must not depend on each
 * other beyond what SQLite's row-by-row upsert gives.
 */
export class ChunkedRows {
  private readonly chunk: Database.Statement;
  private readonly one: Database.Statement;
  private readonly args: unknown[];
  private n = 0;

  constructor(
    db: Database.Database,
    sql: (rows: number) => string,
    private readonly width: number,
    rows = 32,
  ) {
    this.chunk = db.prepare(sql(rows));
    this.one = db.prepare(sql(1));
    this.args = new Array(rows * width);
  }

  /** Forgets values left by a transaction that failed before its end(). */
  begin(): void {
    this.n = 0;
  }

  push(value: unknown): void {
    this.args[this.n++] = value;
    if (this.n === this.args.length) {
      this.chunk.run(this.args);
      this.n = 0;
    }
  }

  /** Runs the rows not yet written. */
  end(): void {
    for (let at = 0; at < this.n; at += this.width) this.one.run(this.args.slice(at, at + this.width));
    this.n = 0;
  }
}

/** `(?, ?, ...)` for a row of `width` values, `rows` times, comma-separated. */
export function valueRows(rows: number, width: number): string {
  return Array(rows)
    .fill(`(${Array(width).fill('?').join(', ')})`)
    .join(', ');
}
