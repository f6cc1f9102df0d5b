import type { Sql } from 'postgres';
import type { RetentionHold, RetentionStore } from '../store.js';

/** Per-device retention and retention holds of the PostgreSQL store (the pass itself: telemetry-tables.ts). */
export class PgRetentionTables implements RetentionStore {
  constructor(private readonly sql: Sql) {}

  async deviceOverrides(): Promise<Record<string, number>> {
    const rows = await this.sql<{ device: string; raw_ms: number }[]>`SELECT device, raw_ms FROM device_retention`;
    return Object.fromEntries(rows.map((r) => [r.device, r.raw_ms]));
  }

  async setDeviceRawRetention(device: string, rawMs: number | null): Promise<void> {
    if (rawMs === null) await this.sql`DELETE FROM device_retention WHERE device = ${device}`;
    else
      await this.sql`INSERT INTO device_retention (device, raw_ms) VALUES (${device}, ${rawMs})
        ON CONFLICT (device) DO UPDATE SET raw_ms = excluded.raw_ms`;
  }

  async hold(h: RetentionHold): Promise<void> {
    await this.sql`
      INSERT INTO retention_holds (device, reason, from_ts, to_ts, created_at) VALUES (${h.device}, ${h.reason}, ${h.from}, ${h.to}, ${h.createdAt})
      ON CONFLICT (device, reason) DO UPDATE SET
        from_ts = least(retention_holds.from_ts, excluded.from_ts), to_ts = greatest(retention_holds.to_ts, excluded.to_ts)`;
  }

  async listHolds(device?: string): Promise<RetentionHold[]> {
    const rows = await this.sql<RetentionHold[]>`
      SELECT device, reason, from_ts AS "from", to_ts AS "to", created_at AS "createdAt" FROM retention_holds
      WHERE ${device ?? null}::text IS NULL OR device = ${device ?? null}::text ORDER BY device, from_ts`;
    return rows.map((r) => ({ ...r }));
  }
}
