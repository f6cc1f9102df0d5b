import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ChunkedRows, valueRows } from '../../src/stores/sqlite/chunked-rows.js';

type Row = [k: number, n: number];
const COLUMNS: readonly ((r: Row) => number)[] = [(r) => r[0], (r) => r[1]];

function table() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
  // An additive upsert, 4 rows a statement: a row met twice (in one statement or across) adds up.
  const rows = new ChunkedRows(db, (r) => `INSERT INTO t (k, n) VALUES ${valueRows(r, 2)} ON CONFLICT (k) DO UPDATE SET n = n + excluded.n`, 2, 4);
  const all = () => Object.fromEntries((db.prepare('SELECT k, n FROM t ORDER BY k').all() as { k: number; n: number }[]).map((r) => [r.k, r.n]));
  return { db, rows, all };
}

test('rows are written whole chunks at a time and the rest one by one: every count around the chunk size', () => {
  for (const count of [0, 1, 3, 4, 5, 8, 9, 13]) {
    const { db, rows, all } = table();
    rows.writeAll(
      Array.from({ length: count }, (_, k): Row => [k, k * 10]),
      COLUMNS,
    );
    assert.deepEqual(all(), Object.fromEntries(Array.from({ length: count }, (_, k) => [k, k * 10])), `${count} rows`);
    db.close();
  }
});

test('a row met twice in one statement adds up as two statements would', () => {
  const { rows, all } = table();
  rows.writeAll(
    [
      [1, 1],
      [1, 2],
      [2, 5],
      [1, 4],
    ],
    COLUMNS,
  );
  assert.deepEqual(all(), { 1: 7, 2: 5 });
});

test('values a failed transaction left are not written with the next one; columns must match the rows', () => {
  const { db, rows, all } = table();
  const write = db.transaction((ks: number[]) => rows.writeAll(ks, [(k) => k, (k) => (k < 0 ? assert.fail('a value that cannot be had') : 1)]));
  // Three rows read, the fourth fails before its statement ran.
  assert.throws(() => write([1, 2, 3, -1]), /cannot be had/);
  write([7]);
  assert.deepEqual(all(), { 7: 1 });
  assert.throws(() => rows.writeAll([1], [(k) => k]), /1 columns for rows of 2/);
});
