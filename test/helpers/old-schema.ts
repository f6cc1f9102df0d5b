import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres, { type Sql } from 'postgres';
import { migrations as sqliteMigrations } from '../../src/stores/sqlite/migrations.js';
import { migrations as pgMigrations } from '../../src/stores/postgres/migrations.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { tempDir } from './app.js';
import { startPostgres } from './postgres.js';

const DAY = 86_400_000;

/** The index of the first migration whose text matches: the store is built up to just before it. */
function before(list: unknown[], marks: RegExp): number {
  const upTo = list.findIndex((m) => marks.test(String(m)));
  assert.ok(upTo > 0, `a migration matching ${marks} exists`);
  return upTo;
}

/**
 * An upgrade as a user meets it, on SQLite: a database made by the migrations before the one that
 * `marks` finds, seeded the old way, then opened by today's store (which runs the rest) and checked.
 */
export async function upgradeSqlite(marks: RegExp, seed: (db: Database.Database) => void, check: (store: SqliteStore) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'old.db');
    const upTo = before(sqliteMigrations, marks);
    const db = new Database(path);
    for (let v = 0; v < upTo; v++) db.exec(sqliteMigrations[v]);
    db.pragma(`user_version = ${upTo}`);
    seed(db);
    db.close();
    const store = new SqliteStore({ path });
    await store.open();
    try {
      await check(store);
    } finally {
      await store.close();
    }
  } finally {
    tmp.remove();
  }
}

/** The same on PostgreSQL; the readings partition of `day` (epoch ms) is made before seeding. */
export async function upgradePostgres(
  marks: RegExp,
  day: number,
  seed: (tx: Sql) => Promise<unknown>,
  check: (store: PostgresStore) => Promise<void>,
): Promise<void> {
  const pg = await startPostgres();
  try {
    const url = await pg.createDatabase();
    const upTo = before(pgMigrations, marks);
    const sql = postgres(url, { onnotice: () => {} });
    await sql.begin(async (tx) => {
      await tx`CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
      for (let v = 0; v < upTo; v++) {
        await pgMigrations[v](tx as unknown as Sql, { timescale: false });
        await tx`INSERT INTO schema_migrations (version) VALUES (${v + 1})`;
      }
      const from = Math.floor(day / DAY) * DAY;
      const name = new Date(from).toISOString().slice(0, 10).replaceAll('-', '');
      await tx.unsafe(`CREATE TABLE readings_p${name} PARTITION OF readings FOR VALUES FROM (${from}) TO (${from + DAY})`);
      await seed(tx as unknown as Sql);
    });
    await sql.end();
    const store = new PostgresStore({ url });
    await store.open();
    try {
      await check(store);
    } finally {
      await store.close();
    }
  } finally {
    await pg.destroy();
  }
}
