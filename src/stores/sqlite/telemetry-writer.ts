import type Database from 'better-sqlite3';
import { microsWithinMs, wholeMs } from '../../model/time.js';
import type { DeviceSeen, RetentionPolicy, WriteResult } from '../store.js';
import type { SeqBucketDelta, SeqDeviceState } from '../../model/sequence.js';
import { RollupAccumulator } from '../rollup-accumulator.js';
import { ChunkedRows, valueRows } from './chunked-rows.js';
import { SqliteHistory } from './sqlite-history.js';
import { decodeStrings, type EncodedBatch } from './write-batch-codec.js';

type Stmt = Database.Statement;

/** Rows per multi-row INSERT: 64 x 5 parameters, well under SQLite's limit of 32,766. */
const INSERT_CHUNK = 64;

/**
 * Live readings land in readings_recent and move to readings_settled a slice of series at a time,
 * one slice per commit: each series' staged rows move once every this many commits. Measured on
 * 1,000 readings of 400 series a commit over 1M stored: 659 WAL frames and 8.2 ms a commit written
 * straight to the series-keyed table, 179 frames and 3.4 ms staged with 10 slices (20: 160 frames,
 * 3.6 ms; the staging table grows with the slice count, and so do its pages a commit touches).
 */
export const MOVE_SLICES = 12;
/**
 * A batch with at least this many readings per series (an import, a replayed backlog) fills pages
 * of each series by itself: it goes to readings_settled at once rather than through the staging table.
 */
export const SETTLE_FROM_PER_SERIES = 32;
/** A series in one of the last this many commits is staged (staged()): about half a sweep. */
export const HOT_WITHIN = MOVE_SLICES / 2;

type ReadingTable = 'readings_settled' | 'readings_recent';
const OTHER: Record<ReadingTable, ReadingTable> = { readings_settled: 'readings_recent', readings_recent: 'readings_settled' };

/**
 * Inserts rows (series, ts, us, value, seq) into `table` unless the same reading is in either table:
 * a reading is in exactly one of them, so the key's conflict catches a duplicate in `table` and the
 * NOT EXISTS one in the other.
 */
function insertNewSql(table: ReadingTable, rows: number): string {
  return `INSERT OR IGNORE INTO ${table} (series, ts, us, value, seq)
    SELECT column1, column2, column3, column4, column5 FROM (VALUES ${Array(rows).fill('(?, ?, ?, ?, ?)').join(', ')}) AS v
    WHERE NOT EXISTS (SELECT 1 FROM ${OTHER[table]} o WHERE o.series = v.column1 AND o.ts = v.column2 AND o.us = v.column3 AND o.seq = v.column5)`;
}

/** The plain insert, for readings of series known to have nothing staged (the large fleet's case: no lookup in the other table). */
function insertSettledSql(rows: number): string {
  return `INSERT OR IGNORE INTO readings_settled (series, ts, us, value, seq) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?)').join(', ')}`;
}

interface InsertStatements {
  one: Stmt;
  chunk: Stmt;
}

/**
 * Batch ids kept (write_batches). A batch whose answer was lost is spooled at once, and new batches
 * queue behind the spool until it is replayed, so only the few batches already handed over commit in
 * between: this many is far more than that, and the table stays a few hundred KiB.
 */
export const BATCH_IDS_KEPT = 10_000;
/** The table is cut back to BATCH_IDS_KEPT once every this many commits. */
const BATCH_IDS_PRUNE_EVERY = 500;

/** Each row's values in its statement's column order (chunked-rows.ts). */
const DEVICE_COLUMNS: readonly ((d: DeviceSeen) => unknown)[] = [(d) => d.id, (d) => d.profile ?? null, (d) => d.seen, (d) => d.seen];
const SEQ_STATE_COLUMNS: readonly ((st: SeqDeviceState) => unknown)[] = [(st) => st.device, (st) => JSON.stringify(st)];
const SEQ_STATS_COLUMNS: readonly ((s: SeqBucketDelta) => number | string)[] = [
  (s) => s.device,
  (s) => s.bucket,
  (s) => s.received,
  (s) => s.duplicates,
  (s) => s.outOfOrder,
  (s) => s.restarts,
];

/**
 * The telemetry write transaction on one connection: readings, their series' latest values, rollups,
 * dead letters, sequence state and import checkpoint, all or nothing. Runs on the writer thread
 * (write-worker.ts) for a database file, on the store's own connection for ':memory:'. This
 * connection is the only one that creates series, so its id cache goes stale only when a
 * transaction that created some is rolled back (series rows are never deleted; readers look ids up
 * by name): write() forgets the cache then.
 */
export class SqliteTelemetryWriter {
  private seriesIds = new Map<string, Map<string, number>>();
  private readonly stmts: Record<
    'insertSeries' | 'findSeries' | 'insertRejected' | 'saveCheckpoint' | 'findBatch' | 'addBatch' | 'pruneBatches' | 'savepoint' | 'release' | 'rollbackTo',
    Stmt
  >;
  /** Reused bind array of the multi-row insert. */
  private readonly chunkArgs: unknown[] = new Array(INSERT_CHUNK * 5);
  private readonly history: SqliteHistory;
  private readonly rows: Record<'devices' | 'latest' | 'seqState' | 'seqStats', ChunkedRows>;
  private readonly insertInto: Record<ReadingTable | 'settledUnchecked', InsertStatements>;
  private readonly move: { copy: Stmt; remove: Stmt };
  /** The next slice of series ids to move starts here (a sweep over [0, highest id], then again). */
  private moveFrom = 0;
  /** The slice the transaction in progress moved (applied to moveFrom and mayBeStaged once it commits). */
  private moved: { from: number; to: number } | null = null;
  private highestSeries: number;
  /** Commits so far, and the last commit each series id was in (staged()). */
  private commits = 0;
  private lastCommit = new Int32Array(0);
  /** By series id: rows of it may be in readings_recent (staged, here or before a restart, since its slice last moved). */
  private mayBeStaged = new Uint8Array(0);
  private batchesSincePrune = 0;
  readonly write: (batch: EncodedBatch) => WriteResult;

  constructor(db: Database.Database, retention: RetentionPolicy) {
    this.stmts = {
      insertSeries: db.prepare('INSERT INTO series (device, metric) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      findSeries: db.prepare('SELECT id FROM series WHERE device = ? AND metric = ?').pluck(),
      savepoint: db.prepare('SAVEPOINT bulk'),
      release: db.prepare('RELEASE bulk'),
      rollbackTo: db.prepare('ROLLBACK TO bulk'),
      insertRejected: db.prepare('INSERT INTO rejected (at, source, device, field, rule, error, payload) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      saveCheckpoint: db.prepare('INSERT INTO import_progress (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state'),
      findBatch: db.prepare('SELECT 1 FROM write_batches WHERE id = ?').pluck(),
      addBatch: db.prepare('INSERT INTO write_batches (id) VALUES (?)'),
      pruneBatches: db.prepare('DELETE FROM write_batches WHERE n <= (SELECT max(n) FROM write_batches) - ?'),
    };
    // Rows per device and per series of a batch, many to a statement (chunked-rows.ts).
    this.rows = {
      devices: new ChunkedRows(
        db,
        (n) => `INSERT INTO devices (id, profile, first_seen, last_seen) VALUES ${valueRows(n, 4)}
         ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
           profile = coalesce(devices.profile, excluded.profile)`,
        4,
      ),
      // One row per series of a batch (its newest reading): no two rows meet the same series.
      latest: new ChunkedRows(
        db,
        (n) => `UPDATE series SET last_ts = v.column2, last_value = v.column3 FROM (VALUES ${valueRows(n, 3)}) AS v
         WHERE series.id = v.column1 AND (series.last_ts IS NULL OR series.last_ts <= v.column2)`,
        3,
      ),
      seqState: new ChunkedRows(
        db,
        (n) => `INSERT INTO seq_state (device, state) VALUES ${valueRows(n, 2)} ON CONFLICT (device) DO UPDATE SET state = excluded.state`,
        2,
      ),
      seqStats: new ChunkedRows(
        db,
        (n) => `INSERT INTO seq_stats (device, bucket, received, duplicates, out_of_order, restarts) VALUES ${valueRows(n, 6)}
         ON CONFLICT (device, bucket) DO UPDATE SET received = received + excluded.received, duplicates = duplicates + excluded.duplicates,
           out_of_order = out_of_order + excluded.out_of_order, restarts = restarts + excluded.restarts`,
        6,
      ),
    };
    const into = (t: ReadingTable) => ({ one: db.prepare(insertNewSql(t, 1)), chunk: db.prepare(insertNewSql(t, INSERT_CHUNK)) });
    this.insertInto = {
      readings_settled: into('readings_settled'),
      readings_recent: into('readings_recent'),
      settledUnchecked: { one: db.prepare(insertSettledSql(1)), chunk: db.prepare(insertSettledSql(INSERT_CHUNK)) },
    };
    this.move = {
      copy: db.prepare(
        'INSERT OR IGNORE INTO readings_settled (series, ts, us, seq, value) SELECT series, ts, us, seq, value FROM readings_recent WHERE series >= ? AND series < ?',
      ),
      remove: db.prepare('DELETE FROM readings_recent WHERE series >= ? AND series < ?'),
    };
    this.highestSeries = db.prepare('SELECT coalesce(max(id), 0) FROM series').pluck().get() as number;
    // Rows staged before this connection opened (a restart) are marked like any others; the sweep clears them.
    this.growTo(this.highestSeries);
    for (const sid of db.prepare('SELECT DISTINCT series FROM readings_recent').pluck().all() as number[]) this.mayBeStaged[sid] = 1;
    this.history = new SqliteHistory(db, retention);
    const transaction = db.transaction((batch: EncodedBatch) => this.writeNow(batch));
    this.write = (batch) => {
      this.moved = null;
      let result: WriteResult;
      try {
        result = transaction(batch);
      } catch (err) {
        // Rolled back: series rows it created are gone (their ids may be handed out again), and the
        // slice it moved is still staged. Ids are looked up again; the sweep stays where it was.
        this.seriesIds.clear();
        throw err;
      }
      // (transaction() set it: TypeScript cannot see that through the call.)
      const moved = this.moved as { from: number; to: number } | null;
      if (moved) this.sliceMoved(moved.from, moved.to);
      return result;
    };
  }

  private seriesId(device: string, metric: string): number {
    let byMetric = this.seriesIds.get(device);
    if (byMetric === undefined) this.seriesIds.set(device, (byMetric = new Map()));
    let id = byMetric.get(metric);
    if (id === undefined) {
      this.stmts.insertSeries.run(device, metric);
      id = this.stmts.findSeries.get(device, metric) as number;
      byMetric.set(metric, id);
      if (id > this.highestSeries) this.highestSeries = id;
    }
    return id;
  }

  /**
   * Inserts the readings at `at` with `into`, INSERT_CHUNK rows per statement (a fraction of the
   * per-statement cost of one row each), and adds those actually stored to `rollups`: a duplicate
   * must not be summed twice. The multi-row insert cannot say which rows were new, so when its count
   * says some were and some were not, its savepoint is rolled back and the rows written one by one.
   */
  private insertNew(b: EncodedBatch, sids: Float64Array, at: Int32Array, into: InsertStatements, rollups: RollupAccumulator): number {
    const n = at.length;
    const { savepoint, release, rollbackTo } = this.stmts;
    const { chunk: insertReadings, one: insertReading } = into;
    const { ts, value, seq } = b;
    if (n >= INSERT_CHUNK) {
      const args = this.chunkArgs;
      savepoint.run();
      let changes = 0;
      let i = 0;
      for (; i + INSERT_CHUNK <= n; i += INSERT_CHUNK) {
        for (let k = 0; k < INSERT_CHUNK; k++) {
          const j = at[i + k];
          args[5 * k] = sids[j];
          args[5 * k + 1] = wholeMs(ts[j]);
          args[5 * k + 2] = microsWithinMs(ts[j]);
          args[5 * k + 3] = value[j];
          args[5 * k + 4] = seq[j];
        }
        changes += insertReadings.run(args).changes;
      }
      for (; i < n; i++) {
        const j = at[i];
        changes += insertReading.run(sids[j], wholeMs(ts[j]), microsWithinMs(ts[j]), value[j], seq[j]).changes;
      }
      const known = changes === n || changes === 0;
      if (!known) rollbackTo.run();
      release.run();
      if (known) {
        if (changes) for (let i = 0; i < n; i++) rollups.add(sids[at[i]], ts[at[i]], value[at[i]]);
        return changes;
      }
    }
    let inserted = 0;
    for (let i = 0; i < n; i++) {
      const j = at[i];
      const added = insertReading.run(sids[j], wholeMs(ts[j]), microsWithinMs(ts[j]), value[j], seq[j]).changes;
      if (added) rollups.add(sids[j], ts[j], value[j]);
      inserted += added;
    }
    return inserted;
  }

  /**
   * Which table each series of the batch goes to (1: readings_recent). Staging pays only for a
   * series that comes back before its slice moves, so that its rows move together: one seen within
   * the last HOT_WITHIN commits. A series of a large fleet (a reading every few seconds, hundreds of
   * commits apart) goes straight to readings_settled, as does every series of a dense batch.
   */
  private staged(pairSid: Float64Array, dense: boolean): { staged: Uint8Array; settledMeetStaged: boolean } {
    const commit = ++this.commits;
    this.growTo(this.highestSeries);
    const staged = new Uint8Array(pairSid.length);
    let settledMeetStaged = false;
    for (let p = 0; p < pairSid.length; p++) {
      const sid = pairSid[p];
      if (!dense && commit - this.lastCommit[sid] <= HOT_WITHIN) {
        staged[p] = 1;
        this.mayBeStaged[sid] = 1;
      } else if (this.mayBeStaged[sid]) settledMeetStaged = true;
      this.lastCommit[sid] = commit;
    }
    return { staged, settledMeetStaged };
  }

  /** The per-series-id arrays hold `sid`. */
  private growTo(sid: number): void {
    if (this.lastCommit.length > sid) return;
    const size = Math.max(1024, (sid + 1) * 2);
    const last = new Int32Array(size).fill(-HOT_WITHIN - 1);
    last.set(this.lastCommit);
    this.lastCommit = last;
    const may = new Uint8Array(size);
    may.set(this.mayBeStaged);
    this.mayBeStaged = may;
  }

  /**
   * Moves the staged readings of the next slice of series ids (about 1/MOVE_SLICES of them) to
   * readings_settled, in the commit's transaction: a reader sees each reading in one table or the
   * other, never both or neither.
   */
  private moveSlice(): void {
    const width = Math.max(1, Math.ceil((this.highestSeries + 1) / MOVE_SLICES));
    const from = this.moveFrom;
    const to = from + width;
    this.move.copy.run(from, to);
    this.move.remove.run(from, to);
    this.moved = { from, to };
  }

  /** What the writer keeps of a move, once its transaction committed (write()). */
  private sliceMoved(from: number, to: number): void {
    this.mayBeStaged.fill(0, from, Math.min(to, this.mayBeStaged.length));
    this.moveFrom = to > this.highestSeries ? 0 : to;
  }

  private committedBefore(id: string): boolean {
    return this.stmts.findBatch.get(id) !== undefined;
  }

  private recordBatch(id: string): void {
    this.stmts.addBatch.run(id);
    if (++this.batchesSincePrune < BATCH_IDS_PRUNE_EVERY) return;
    this.batchesSincePrune = 0;
    this.stmts.pruneBatches.run(BATCH_IDS_KEPT);
  }

  private writeNow(b: EncodedBatch): WriteResult {
    const { insertRejected } = this.stmts;
    const { devices: deviceRows, latest: latestRows, seqState, seqStats } = this.rows;
    const { devices, rejected, sequence, checkpoint, id } = b.rest;
    if (id !== undefined && this.committedBefore(id)) {
      // Committed already, its answer lost: everything in it is stored. Only the replay's checkpoint moves on.
      if (checkpoint) this.stmts.saveCheckpoint.run(checkpoint.key, JSON.stringify(checkpoint));
      return { inserted: 0, duplicates: b.count };
    }
    deviceRows.writeAll(devices, DEVICE_COLUMNS);
    const n = b.count;
    const { ts, value } = b;
    // One id lookup per distinct series in the batch, not per reading.
    const names = decodeStrings(b);
    const pairSid = new Float64Array(b.seriesDevice.length);
    for (let p = 0; p < pairSid.length; p++) pairSid[p] = this.seriesId(names[b.seriesDevice[p]], names[b.seriesMetric[p]]);
    const sids = new Float64Array(n);
    for (let i = 0; i < n; i++) sids[i] = pairSid[b.series[i]];
    const { staged, settledMeetStaged } = this.staged(pairSid, n >= SETTLE_FROM_PER_SERIES * pairSid.length);
    let stagedCount = 0;
    for (let i = 0; i < n; i++) stagedCount += staged[b.series[i]];
    const at = { readings_recent: new Int32Array(stagedCount), readings_settled: new Int32Array(n - stagedCount) };
    for (let i = 0, r = 0, d = 0; i < n; i++) {
      if (staged[b.series[i]]) at.readings_recent[r++] = i;
      else at.readings_settled[d++] = i;
    }
    const rollups = new RollupAccumulator();
    let inserted = 0;
    const settled = settledMeetStaged ? this.insertInto.readings_settled : this.insertInto.settledUnchecked;
    if (at.readings_settled.length) inserted += this.insertNew(b, sids, at.readings_settled, settled, rollups);
    if (at.readings_recent.length) inserted += this.insertNew(b, sids, at.readings_recent, this.insertInto.readings_recent, rollups);
    // Newest reading per series of the batch, by pair index (ties: the later reading wins, as before).
    const latestAt = new Int32Array(pairSid.length).fill(-1);
    for (let i = 0; i < n; i++) {
      const p = b.series[i];
      const l = latestAt[p];
      if (l < 0 || ts[i] >= ts[l]) latestAt[p] = i;
    }
    const newest: number[] = [];
    for (let p = 0; p < latestAt.length; p++) if (latestAt[p] >= 0) newest.push(p);
    latestRows.writeAll(newest, [(p) => pairSid[p], (p) => ts[latestAt[p]], (p) => value[latestAt[p]]]);
    this.history.applyRollups(rollups);
    this.moveSlice();
    for (const x of rejected) insertRejected.run(x.at, x.source, x.device, x.field, x.rule, x.error, x.payload);
    if (sequence) {
      seqState.writeAll(sequence.devices, SEQ_STATE_COLUMNS);
      seqStats.writeAll(sequence.buckets, SEQ_STATS_COLUMNS);
    }
    if (checkpoint) this.stmts.saveCheckpoint.run(checkpoint.key, JSON.stringify(checkpoint));
    if (id !== undefined) this.recordBatch(id);
    return { inserted, duplicates: n - inserted };
  }
}
