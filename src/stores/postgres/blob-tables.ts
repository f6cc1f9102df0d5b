import type { Sql } from 'postgres';
import type { BlobRow, BlobTables } from '../blob-chunks.js';
import type { ModelStore, StoredBundle } from '../store.js';

/**
 * Stored files, model bundles and the installed rule packs, shared by every node on this database. Chunks are bytea kept out
 * of line and uncompressed (STORAGE EXTERNAL): images are compressed already, and a range read then
 * fetches only the chunks it needs. Model bundles and activations announce themselves on the change
 * feed, so each node loads an upload or an activation made through another.
 */
export async function blobMigration(sql: Sql): Promise<void> {
  await sql.unsafe(`
    CREATE TABLE blobs (
      key text PRIMARY KEY,
      upload text NOT NULL UNIQUE,
      size int8 NOT NULL,
      sha256 text NOT NULL,
      chunk_bytes int4 NOT NULL,
      created int8 NOT NULL
    );
    CREATE TABLE blob_chunks (
      upload text NOT NULL,
      n int4 NOT NULL,
      data bytea NOT NULL,
      sha256 bytea NOT NULL,
      created int8 NOT NULL,
      PRIMARY KEY (upload, n)
    );
    ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
    CREATE TABLE model_bundles (id text PRIMARY KEY, created int8 NOT NULL, body text NOT NULL);
    CREATE TABLE model_activations (slot text PRIMARY KEY, history text NOT NULL);
    -- The profiles' rule-pack rules installed once (was <data>/alarms/rule-packs.json, one per node).
    CREATE TABLE rule_packs_installed (id text PRIMARY KEY);
    CREATE TRIGGER model_bundles_changed AFTER INSERT OR UPDATE OR DELETE ON model_bundles
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('model_bundle', 'id');
    CREATE TRIGGER model_activations_changed AFTER INSERT OR UPDATE OR DELETE ON model_activations
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('model_active', 'slot');
  `);
}

interface Row {
  key: string;
  upload: string;
  size: string | number;
  sha256: string;
  chunk_bytes: number;
  created: string | number;
}

const toRow = (r: Row): BlobRow => ({
  key: r.key,
  upload: r.upload,
  size: Number(r.size),
  sha256: r.sha256,
  chunkBytes: r.chunk_bytes,
  createdAt: Number(r.created),
});

/** The PostgreSQL tables of stored files: one row per file, its bytes in blob_chunks. */
export class PgBlobTables implements BlobTables {
  constructor(private readonly sql: Sql) {}

  async insertChunk(upload: string, n: number, data: Buffer, sha256: Buffer, createdAt: number): Promise<void> {
    await this.sql`INSERT INTO blob_chunks (upload, n, data, sha256, created) VALUES (${upload}, ${n}, ${data}, ${sha256}, ${createdAt})`;
  }

  async commit(r: BlobRow): Promise<boolean> {
    const res = await this.sql`INSERT INTO blobs (key, upload, size, sha256, chunk_bytes, created)
      VALUES (${r.key}, ${r.upload}, ${r.size}, ${r.sha256}, ${r.chunkBytes}, ${r.createdAt}) ON CONFLICT (key) DO NOTHING`;
    return res.count > 0;
  }

  async dropUpload(upload: string): Promise<void> {
    await this.sql`DELETE FROM blob_chunks WHERE upload = ${upload}`;
  }

  async row(key: string): Promise<BlobRow | undefined> {
    const [r] = await this.sql<Row[]>`SELECT * FROM blobs WHERE key = ${key}`;
    return r && toRow(r);
  }

  async rows(prefix: string): Promise<BlobRow[]> {
    // left(), not LIKE: a key may hold % or _.
    return (await this.sql<Row[]>`SELECT * FROM blobs WHERE left(key, ${prefix.length}) = ${prefix} ORDER BY key COLLATE "C"`).map(toRow);
  }

  async chunk(upload: string, n: number): Promise<{ data: Buffer; sha256: Buffer } | undefined> {
    const [c] = await this.sql<{ data: Buffer; sha256: Buffer }[]>`SELECT data, sha256 FROM blob_chunks WHERE upload = ${upload} AND n = ${n}`;
    return c;
  }

  async deleteRow(key: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const [r] = await tx<{ upload: string }[]>`DELETE FROM blobs WHERE key = ${key} RETURNING upload`;
      if (!r) return false;
      await tx`DELETE FROM blob_chunks WHERE upload = ${r.upload}`;
      return true;
    });
  }

  async sweepChunks(before: number): Promise<number> {
    const res = await this.sql`DELETE FROM blob_chunks c WHERE c.created < ${before} AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.upload = c.upload)`;
    return res.count;
  }
}

/** The PostgreSQL side of ModelStore. */
export class PgModelTables implements ModelStore {
  constructor(private readonly sql: Sql) {}

  async addBundle(b: StoredBundle): Promise<boolean> {
    const res = await this
      .sql`INSERT INTO model_bundles (id, created, body) VALUES (${b.id}, ${b.createdAt}, ${JSON.stringify(b)}) ON CONFLICT (id) DO NOTHING`;
    return res.count > 0;
  }

  async listBundles(): Promise<StoredBundle[]> {
    return (await this.sql<{ body: string }[]>`SELECT body FROM model_bundles ORDER BY id COLLATE "C"`).map((r) => JSON.parse(r.body) as StoredBundle);
  }

  async deleteBundle(id: string): Promise<boolean> {
    return (await this.sql`DELETE FROM model_bundles WHERE id = ${id}`).count > 0;
  }

  async listActivations(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const r of await this.sql<{ slot: string; history: string }[]>`SELECT slot, history FROM model_activations`)
      out[r.slot] = JSON.parse(r.history) as string[];
    return out;
  }

  async saveActivation(slot: string, history: string[]): Promise<void> {
    await this.sql`INSERT INTO model_activations (slot, history) VALUES (${slot}, ${JSON.stringify(history)})
      ON CONFLICT (slot) DO UPDATE SET history = excluded.history`;
  }
}
