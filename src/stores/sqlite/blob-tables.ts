import type Database from 'better-sqlite3';
import type { BlobRow, BlobTables } from '../blob-chunks.js';
import type { ModelStore, StoredBundle } from '../store.js';

interface Row {
  key: string;
  upload: string;
  size: number;
  sha256: string;
  chunk_bytes: number;
  created: number;
}

const toRow = (r: Row): BlobRow => ({ key: r.key, upload: r.upload, size: r.size, sha256: r.sha256, chunkBytes: r.chunk_bytes, createdAt: r.created });

/** The SQLite tables of stored files: one row per file, its bytes in blob_chunks. */
export class SqliteBlobTables implements BlobTables {
  constructor(private readonly db: Database.Database) {}

  async insertChunk(upload: string, n: number, data: Buffer, sha256: Buffer, createdAt: number): Promise<void> {
    this.db.prepare('INSERT INTO blob_chunks (upload, n, data, sha256, created) VALUES (?, ?, ?, ?, ?)').run(upload, n, data, sha256, createdAt);
  }

  async commit(r: BlobRow): Promise<boolean> {
    return (
      this.db
        .prepare('INSERT INTO blobs (key, upload, size, sha256, chunk_bytes, created) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING')
        .run(r.key, r.upload, r.size, r.sha256, r.chunkBytes, r.createdAt).changes > 0
    );
  }

  async dropUpload(upload: string): Promise<void> {
    this.db.prepare('DELETE FROM blob_chunks WHERE upload = ?').run(upload);
  }

  async row(key: string): Promise<BlobRow | undefined> {
    const r = this.db.prepare('SELECT * FROM blobs WHERE key = ?').get(key) as Row | undefined;
    return r && toRow(r);
  }

  async rows(prefix: string): Promise<BlobRow[]> {
    // substr, not LIKE: a key may hold % or _.
    return (this.db.prepare('SELECT * FROM blobs WHERE substr(key, 1, ?) = ? ORDER BY key').all(prefix.length, prefix) as Row[]).map(toRow);
  }

  async chunk(upload: string, n: number): Promise<{ data: Buffer; sha256: Buffer } | undefined> {
    return this.db.prepare('SELECT data, sha256 FROM blob_chunks WHERE upload = ? AND n = ?').get(upload, n) as { data: Buffer; sha256: Buffer } | undefined;
  }

  async deleteRow(key: string): Promise<boolean> {
    return this.db.transaction(() => {
      const upload = this.db.prepare('DELETE FROM blobs WHERE key = ? RETURNING upload').pluck().get(key) as string | undefined;
      if (upload === undefined) return false;
      this.db.prepare('DELETE FROM blob_chunks WHERE upload = ?').run(upload);
      return true;
    })();
  }

  async sweepChunks(before: number): Promise<number> {
    return this.db.prepare('DELETE FROM blob_chunks WHERE created < ? AND upload NOT IN (SELECT upload FROM blobs)').run(before).changes;
  }
}

/** The SQLite side of ModelStore. */
export class SqliteModelTables implements ModelStore {
  constructor(private readonly db: Database.Database) {}

  async addBundle(b: StoredBundle): Promise<boolean> {
    return (
      this.db.prepare('INSERT INTO model_bundles (id, created, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING').run(b.id, b.createdAt, JSON.stringify(b))
        .changes > 0
    );
  }

  async listBundles(): Promise<StoredBundle[]> {
    return (this.db.prepare('SELECT body FROM model_bundles ORDER BY id').pluck().all() as string[]).map((s) => JSON.parse(s) as StoredBundle);
  }

  async deleteBundle(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM model_bundles WHERE id = ?').run(id).changes > 0;
  }

  async listActivations(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const r of this.db.prepare('SELECT slot, history FROM model_activations').all() as Array<{ slot: string; history: string }>)
      out[r.slot] = JSON.parse(r.history) as string[];
    return out;
  }

  async saveActivation(slot: string, history: string[]): Promise<void> {
    this.db
      .prepare('INSERT INTO model_activations (slot, history) VALUES (?, ?) ON CONFLICT (slot) DO UPDATE SET history = excluded.history')
      .run(slot, JSON.stringify(history));
  }
}
