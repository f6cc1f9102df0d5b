import type Database from 'better-sqlite3';
import type { RetentionHold, RetentionStore } from '../store.js';

/** Per-device retention and retention holds of the SQLite store (the pass itself: sqlite-history.ts). */
export class SqliteRetentionTables implements RetentionStore {
  constructor(private readonly db: Database.Database) {}

  async deviceOverrides(): Promise<Record<string, number>> {
    const rows = this.db.prepare('SELECT device, raw_ms FROM device_retention').all() as { device: string; raw_ms: number }[];
    return Object.fromEntries(rows.map((r) => [r.device, r.raw_ms]));
  }

  async setDeviceRawRetention(device: string, rawMs: number | null): Promise<void> {
    if (rawMs === null) this.db.prepare('DELETE FROM device_retention WHERE device = ?').run(device);
    else
      this.db
        .prepare('INSERT INTO device_retention (device, raw_ms) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET raw_ms = excluded.raw_ms')
        .run(device, rawMs);
  }

  async hold(h: RetentionHold): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO retention_holds (device, reason, from_ts, to_ts, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device, reason) DO UPDATE SET from_ts = min(from_ts, excluded.from_ts), to_ts = max(to_ts, excluded.to_ts)`,
      )
      .run(h.device, h.reason, h.from, h.to, h.createdAt);
  }

  async listHolds(device?: string): Promise<RetentionHold[]> {
    const rows = this.db
      .prepare(
        `SELECT device, reason, from_ts AS "from", to_ts AS "to", created_at AS createdAt FROM retention_holds
         WHERE ? IS NULL OR device = ? ORDER BY device, from_ts`,
      )
      .all(device ?? null, device ?? null) as RetentionHold[];
    return rows;
  }
}
