// The baseline Store.write is judged against: the same rows through a bare better-sqlite3 loop into
// the same primary key, one transaction per batch, WAL with synchronous=NORMAL as the store runs.
import Database from 'better-sqlite3';
import type { Reading } from '../../src/model/reading.js';

/** Milliseconds to insert every batch of `data` into a fresh database at `path`. */
export function rawSqliteInsertMs(path: string, data: Reading[][]): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE readings (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID');
  const ins = db.prepare('INSERT OR IGNORE INTO readings (series, ts, value) VALUES (?, ?, ?)');
  const series = new Map<string, number>();
  const tx = db.transaction((rows: Reading[]) => {
    for (const r of rows) {
      const k = r.device + '\u0000' + r.metric;
      let id = series.get(k);
      if (id === undefined) series.set(k, (id = series.size + 1));
      ins.run(id, r.ts, r.value);
    }
  });
  const t0 = performance.now();
  for (const rows of data) tx(rows);
  const ms = performance.now() - t0;
  db.close();
  return ms;
}
