import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ChunkedRows, valueRows } from '../../src/stores/sqlite/chunked-rows.js';

function table() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
  // An additive upsert: a row met twice (in one statement or across) adds up.
  const rows = new ChunkedRows(db, (r) => `INSERT INTO t (k, n) VALUES ${valueRows(r, 2)} ON CONFLICT (k) DO UPDATE SET n = n + excluded.n`, 2, 4);
  const all = () => Object.fromEntries((db.prepare('SELECT k, n FROM t ORDER BY k').all() as { k: number; n: number }[]).map((r) => [r.k, r.n]));
  return { db, rows, all };
}

test('rows are written whole chunks at a time and the rest one by one: every count around the chunk size', () => {
  for (const count of [0, 1, 3, 4, 5, 8, 9, 13]) {
    const { db, rows, all } = table();
    rows.begin();
    for (let k = 0; k < count; k++) {
      rows.push(k);
      rows.push(k * 10);
    }
    rows.end();
    const expected = Object.fromEntries(Array.from({ length: count }, (_, k) => [k, k * 10]));
    assert.deepEqual(all(), expected, `${count} rows`);
    db.close();
  }
});

test('a row met twice in one statement adds up as two statements would', () => {
  const { rows, all } = table();
  rows.begin();
  for (const [k, n] of [
    [1, 1],
    [1, 2],
    [2, 5],
    [1, 4],
  ]) {
    rows.push(k);
    rows.push(n);
  }
  rows.end();
  assert.deepEqual(all(), { 1: 7, 2: 5 });
});

test('begin forgets the values a failed transaction left: they are not written with the next one', () => {
  const { db, rows, all } = table();
  const write = db.transaction((ks: number[], fail: boolean) => {
    rows.begin();
    for (const k of ks) {
      rows.push(k);
      rows.push(1);
    }
    if (fail) throw new Error('the transaction failed before its end()');
    rows.end();
  });
  assert.throws(() => write([1, 2, 3], true), /failed/);
  write([7], false);
  assert.deepEqual(all(), { 7: 1 });
});
