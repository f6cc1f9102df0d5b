import type { Sql, TransactionSql } from 'postgres';
import { NO_SEQ, type Reading } from '../../model/reading.js';
import { microsWithinMs, wholeMs } from '../../model/time.js';
import { RollupAccumulator, type RollupDelta } from '../rollup-accumulator.js';
import { HOUR, MINUTE } from '../zoned-time.js';

const OID = { int4: 23, int8: 20, float8: 701 } as const;

/** The merge of a batch's part of a bucket into the stored row: the same whichever rows it was computed from. */
const onConflictMerge = (table: string) => `
  ON CONFLICT (series, bucket) DO UPDATE SET
    v_min = least(${table}.v_min, excluded.v_min), v_max = greatest(${table}.v_max, excluded.v_max),
    v_sum = ${table}.v_sum + excluded.v_sum, v_sum_sq = ${table}.v_sum_sq + excluded.v_sum_sq, n = ${table}.n + excluded.n,
    first_v = CASE WHEN excluded.first_ts < ${table}.first_ts THEN excluded.first_v ELSE ${table}.first_v END,
    first_ts = least(${table}.first_ts, excluded.first_ts),
    last_v = CASE WHEN excluded.last_ts > ${table}.last_ts THEN excluded.last_v ELSE ${table}.last_v END,
    last_ts = greatest(${table}.last_ts, excluded.last_ts)`;

const ROLLUP_COLUMNS = '(series, bucket, v_min, v_max, v_sum, v_sum_sq, n, first_ts, first_v, last_ts, last_v)';

/** The writer's own per-bucket parts of one rollup table (11 parameters from $first: one array per column), merged in when `when` holds. */
const upsertParts = (table: string, first: number, when: string) => {
  const p = (k: number) => `$${first + k}`;
  return `
  INSERT INTO ${table} ${ROLLUP_COLUMNS}
  SELECT * FROM unnest(${p(0)}::int4[], ${p(1)}::int8[], ${p(2)}::float8[], ${p(3)}::float8[], ${p(4)}::float8[], ${p(5)}::float8[],
    ${p(6)}::int8[], ${p(7)}::int8[], ${p(8)}::float8[], ${p(9)}::int8[], ${p(10)}::float8[]) WHERE ${when}
  ${onConflictMerge(table)}`;
};

/**
 * The batch's rows, staged per session: a temporary table emptied at every commit, so a rolled-back
 * or failed batch leaves nothing behind and the next transaction starts from an empty stage.
 */
const STAGE = 'fieldscope_stage';
const CREATE_STAGE = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (series int4 NOT NULL, ts int8 NOT NULL, us int4 NOT NULL, value float8 NOT NULL, seq int8 NOT NULL) ON COMMIT DELETE ROWS`;
const COPY_STAGE = `COPY ${STAGE} FROM STDIN (FORMAT binary)`;

/** The staged rows into readings; duplicates of stored rows or of each other (key (series, ts, us, seq)) are skipped. */
const INSERT_STAGED = `INSERT INTO readings (series, ts, us, value, seq) SELECT series, ts, us, value, seq FROM ${STAGE} ON CONFLICT DO NOTHING`;

/**
 * The staged rows into readings and, in the same statement, both rollups from the parts the writer
 * summed while encoding the batch ($1: the batch's row count, then 11 arrays per rollup table). The
 * parts are right only when every row was new, so they go in only then: the usual batch costs one
 * round trip here, where awaiting the insert's count first cost two. Answers how many rows were new.
 */
const ALL_NEW = '(SELECT n FROM n) = $1::int';
const INSERT_STAGED_WITH_PARTS = `
  WITH ins AS (${INSERT_STAGED} RETURNING 1),
  n AS (SELECT count(*)::int AS n FROM ins),
  m AS (${upsertParts('rollup_1m', 2, ALL_NEW)}),
  h AS (${upsertParts('rollup_1h', 13, ALL_NEW)})
  SELECT n FROM n`;

/** Upserts one rollup table from the rows the insert returned (the new ones), aggregated by the database. */
const rollupFromInserted = (table: string, width: number) => `
  INSERT INTO ${table} ${ROLLUP_COLUMNS}
  SELECT series, bucket, min(value), max(value), sum(value), sum(value * value), count(*),
    min(ts), (array_agg(value ORDER BY ts, us))[1], max(ts), (array_agg(value ORDER BY ts DESC, us DESC))[1]
  FROM (SELECT series, ts - (((ts % ${width}) + ${width}) % ${width}) AS bucket, ts, us, value FROM ins) x
  GROUP BY series, bucket
  ${onConflictMerge(table)}`;

/**
 * The exact path, for a batch holding some duplicates: the staged rows again, and the rollups of
 * exactly those RETURNING says were new, in one statement. Returns how many were new.
 */
const INSERT_STAGED_EXACT = `
  WITH ins AS (${INSERT_STAGED} RETURNING series, ts, us, value),
  m AS (${rollupFromInserted('rollup_1m', MINUTE)}),
  h AS (${rollupFromInserted('rollup_1h', HOUR)})
  SELECT count(*)::int AS n FROM ins`;

const SAVEPOINT = 'SAVEPOINT fieldscope_readings';
const ROLLBACK_TO = 'ROLLBACK TO SAVEPOINT fieldscope_readings';

/** PGCOPY binary header: signature, flags, header extension length. */
const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** Per row: a field count, then for each of the 5 fields its length and bytes (int4, int8, int4, float8, int8). */
const ROW_BYTES = 2 + 5 * 4 + 4 + 8 + 4 + 8 + 8;

/** A whole number (|n| < 2^53) as a big-endian int8 at `at`, without a BigInt. */
function setInt8(view: DataView, at: number, n: number): void {
  const hi = Math.floor(n / 4294967296);
  view.setInt32(at, hi);
  view.setUint32(at + 4, n - hi * 4294967296);
}

/**
 * Encodes a batch as PostgreSQL binary COPY rows, and sums its rollup parts in the same pass: no text
 * is formatted here nor parsed by the server, and nothing is allocated per reading.
 */
export function encodeBatch(readings: readonly Reading[], sids: Int32Array, rollups: RollupAccumulator): Buffer {
  const buf = Buffer.allocUnsafe(COPY_HEADER.length + readings.length * ROW_BYTES + 2);
  // DataView writes are inlined by the compiler; Buffer's write methods check their arguments on every call.
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  COPY_HEADER.copy(buf, 0);
  let o = COPY_HEADER.length;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i];
    const series = sids[i];
    view.setInt16(o, 5);
    view.setInt32(o + 2, 4);
    view.setInt32(o + 6, series);
    view.setInt32(o + 10, 8);
    setInt8(view, o + 14, wholeMs(r.ts));
    view.setInt32(o + 22, 4);
    view.setInt32(o + 26, microsWithinMs(r.ts));
    view.setInt32(o + 30, 8);
    view.setFloat64(o + 34, r.value);
    view.setInt32(o + 42, 8);
    setInt8(view, o + 46, r.seq ?? NO_SEQ);
    o += ROW_BYTES;
    rollups.add(series, r.ts, r.value);
  }
  view.setInt16(o, -1);
  return buf;
}

/** The 11 parameter arrays of one rollup table's parts (first/last times as whole ms, as the columns hold them). */
function partArrays(sql: Sql, parts: Map<string, RollupDelta>): unknown[] {
  const n = parts.size;
  const cols = Array.from({ length: 11 }, () => new Array<number>(n));
  let i = 0;
  for (const d of parts.values()) {
    cols[0][i] = d.series;
    cols[1][i] = d.bucket;
    cols[2][i] = d.min;
    cols[3][i] = d.max;
    cols[4][i] = d.sum;
    cols[5][i] = d.sumSq;
    cols[6][i] = d.count;
    cols[7][i] = wholeMs(d.firstTs);
    cols[8][i] = d.first;
    cols[9][i] = wholeMs(d.lastTs);
    cols[10][i] = d.last;
    i++;
  }
  const types = [OID.int4, OID.int8, OID.float8, OID.float8, OID.float8, OID.float8, OID.int8, OID.int8, OID.float8, OID.int8, OID.float8];
  return cols.map((c, k) => sql.array(c, types[k]));
}

/**
 * Sends the encoded rows to the session's stage. Resolves once the rows are on their way: the server
 * answers the COPY before the next statement, and the transaction's next statement fails if the COPY
 * did (postgres.js reports a COPY's own error only while the stream is open, so nothing here may wait
 * for the COPY's completion alone: a failure after the rows were sent would never settle that wait).
 */
async function copyToStage(tx: TransactionSql, rows: Buffer): Promise<void> {
  const copy = await tx.unsafe(COPY_STAGE).writable();
  await new Promise<void>((resolve, reject) => {
    copy.once('error', reject);
    copy.write(rows, (err) => (err ? reject(err) : resolve()));
  });
  // An error after this point reaches the next statement instead; without a listener it would be thrown.
  copy.on('error', () => {});
  copy.end();
}

/**
 * Writes a batch's readings and their rollups inside `tx` (series ids per reading in `sids`): the rows
 * go by binary COPY into the session's stage, then into readings in one statement. The rollups may
 * only count rows that were new. Most batches hold no duplicate, which the insert's row count says:
 * then the rollup parts the writer summed while encoding are exact, and go in as a few hundred upserts
 * with no aggregation in the database, in the insert's own statement (which checks that count itself).
 * A batch of only duplicates (a re-import) changes no rollup.
 * Any other batch is rolled back to a savepoint taken before the insert and inserted again with
 * RETURNING, the database folding exactly the returned rows into the rollups. Returns how many were new.
 */
export async function writeReadingsInTx(sql: Sql, tx: TransactionSql, readings: readonly Reading[], sids: Int32Array): Promise<number> {
  const rollups = new RollupAccumulator();
  const rows = encodeBatch(readings, sids, rollups);
  // Sent now (postgres.js sends a query when it is awaited, or on execute()), so ahead of the COPY:
  // the stage exists (this session's, or created now) when the rows arrive.
  const stage = tx.unsafe(CREATE_STAGE).execute();
  await Promise.all([stage, copyToStage(tx, rows)]);
  // Pipelined: the savepoint goes out behind the COPY, the insert (with the rollups when all are new) behind the savepoint.
  const [, [{ n: inserted }]] = await Promise.all([
    tx.unsafe(SAVEPOINT),
    tx.unsafe<{ n: number }[]>(INSERT_STAGED_WITH_PARTS, [readings.length, ...partArrays(sql, rollups.minute), ...partArrays(sql, rollups.hour)] as never[]),
  ]);
  if (inserted === readings.length || inserted === 0) return inserted;
  await tx.unsafe(ROLLBACK_TO);
  const [{ n }] = await tx.unsafe<{ n: number }[]>(INSERT_STAGED_EXACT);
  return n;
}
