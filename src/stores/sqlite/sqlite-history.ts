import type Database from 'better-sqlite3';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { DevicePruned, RetentionPolicy, RetentionResult } from '../store.js';
import type { RollupAccumulator, RollupDelta } from '../rollup-accumulator.js';
import { deletableRanges, effectiveRetention } from '../retention.js';
import { HOUR, MINUTE } from '../zoned-time.js';
import { ChunkedRows, valueRows } from './chunked-rows.js';

/** Rows deleted per retention slice (one short transaction; a few ms). */
export const RETENTION_SLICE = 5000;

/** A rollup row's values, in the upsert's column order. */
const ROLLUP_COLUMNS: readonly ((d: RollupDelta) => number)[] = [
  (d) => d.series,
  (d) => d.bucket,
  (d) => d.min,
  (d) => d.max,
  (d) => d.sum,
  (d) => d.sumSq,
  (d) => d.count,
  (d) => d.firstTs,
  (d) => d.first,
  (d) => d.lastTs,
  (d) => d.last,
];

/** Rollups kept in the write transaction, and retention, for the SQLite store (reads: sqlite-reads.ts). */
export class SqliteHistory {
  private readonly upsert: Record<'1m' | '1h', ChunkedRows>;

  constructor(
    private readonly db: Database.Database,
    readonly retention: RetentionPolicy,
  ) {
    // A batch's deltas are one per (series, bucket): no two rows of a statement meet the same stored row.
    const upsert = (table: string) =>
      new ChunkedRows(
        db,
        (rows) => `INSERT INTO ${table} (series, bucket, v_min, v_max, v_sum, v_sum_sq, n, first_ts, first_v, last_ts, last_v)
         VALUES ${valueRows(rows, 11)}
         ON CONFLICT (series, bucket) DO UPDATE SET
           v_min = min(v_min, excluded.v_min), v_max = max(v_max, excluded.v_max),
           v_sum = v_sum + excluded.v_sum, v_sum_sq = v_sum_sq + excluded.v_sum_sq, n = n + excluded.n,
           first_v = CASE WHEN excluded.first_ts < first_ts THEN excluded.first_v ELSE first_v END,
           first_ts = min(first_ts, excluded.first_ts),
           last_v = CASE WHEN excluded.last_ts > last_ts THEN excluded.last_v ELSE last_v END,
           last_ts = max(last_ts, excluded.last_ts)`,
        11,
      );
    this.upsert = { '1m': upsert('rollup_1m'), '1h': upsert('rollup_1h') };
  }

  /** Runs inside the write transaction: rollups commit with the readings they summarize. */
  applyRollups(acc: RollupAccumulator): void {
    for (const [res, map] of [
      ['1m', acc.minute],
      ['1h', acc.hour],
    ] as const) {
      this.upsert[res].writeAll(map.values(), ROLLUP_COLUMNS);
    }
  }

  /**
   * Deletes what the policy no longer keeps, device by device (its own retention, else its profile's,
   * else the default) and never inside a retention hold, in slices of at most RETENTION_SLICE rows,
   * each its own short transaction, yielding to the event loop between them: a pass over millions of
   * expired rows never holds the thread that acknowledges devices for more than one slice.
   */
  async applyRetention(now: number, policy: RetentionPolicy = this.retention): Promise<RetentionResult> {
    const series = this.db.prepare('SELECT s.id, s.device, d.profile FROM series s LEFT JOIN devices d ON d.id = s.device ORDER BY s.device').all() as {
      id: number;
      device: string;
      profile: string | null;
    }[];
    const holds = new Map<string, { from: number; to: number }[]>();
    for (const h of this.db.prepare('SELECT device, from_ts AS "from", to_ts AS "to" FROM retention_holds').all() as {
      device: string;
      from: number;
      to: number;
    }[]) {
      holds.set(h.device, [...(holds.get(h.device) ?? []), h]);
    }
    const slice = (table: string, col: string) =>
      this.db.prepare(
        `DELETE FROM ${table} WHERE series = ? AND ${col} >= ? AND ${col} < min(?, coalesce((SELECT ${col} FROM ${table} WHERE series = ? AND ${col} >= ? AND ${col} < ? ORDER BY ${col} LIMIT 1 OFFSET ${RETENTION_SLICE}), ?))`,
      );
    // Raw readings are in two tables (migrations.ts): each is cut the same way.
    const del = {
      raw: [slice('readings_settled', 'ts'), slice('readings_recent', 'ts')],
      minute: [slice('rollup_1m', 'bucket')],
      hour: [slice('rollup_1h', 'bucket')],
    };
    const result: RetentionResult = { raw: 0, minute: 0, hour: 0, partitionsDropped: 0, devices: [] };
    const perDevice = new Map<string, DevicePruned>();
    for (const s of series) {
      const p = effectiveRetention(policy, s.device, s.profile);
      const kept = holds.get(s.device) ?? [];
      let d = perDevice.get(s.device);
      if (!d) perDevice.set(s.device, (d = { device: s.device, rawCutoff: now - p.rawMs, raw: 0, minute: 0, hour: 0 }));
      for (const [key, cut, width] of [
        ['raw', now - p.rawMs, 1],
        ['minute', now - p.minuteMs, MINUTE],
        ['hour', now - p.hourMs, HOUR],
      ] as const) {
        for (const [from, to] of deletableRanges(cut, kept, width)) {
          for (const stmt of del[key]) {
            for (;;) {
              const n = stmt.run(s.id, from, to, s.id, from, to, to).changes;
              result[key] += n;
              d[key] += n;
              if (n) await yieldToLoop();
              if (n < RETENTION_SLICE) break;
            }
          }
        }
      }
    }
    result.devices = [...perDevice.values()].filter((d) => d.raw + d.minute + d.hour > 0);
    return result;
  }
}
