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

  /**
   * Writes a row per item, its values given by `columns` (one function per placeholder of a row, made
   * once, not per row). Values a failed call left behind are forgotten by the next call.
   */
  writeAll<T>(items: Iterable<T>, columns: readonly ((item: T) => unknown)[]): void {
    if (columns.length !== this.width) throw new Error(`${columns.length} columns for rows of ${this.width}`);
    const args = this.args;
    let n = 0;
    for (const item of items) {
      for (const column of columns) args[n++] = column(item);
      if (n === args.length) {
        this.chunk.run(args);
        n = 0;
      }
    }
    for (let at = 0; at < n; at += this.width) this.one.run(args.slice(at, at + this.width));
  }
}

/** `(?, ?, ...)` for a row of `width` values, `rows` times, comma-separated. */
export function valueRows(rows: number, width: number): string {
  return Array(rows)
    .fill(`(${Array(width).fill('?').join(', ')})`)
    .join(', ');
}
