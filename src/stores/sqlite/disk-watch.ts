import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoreCondition } from '../store.js';
import { DEFAULT_MIN_FREE_BYTES, freeBytes, isDiskFull } from '../disk-space.js';

/** Less free space than this and the disk counts as full: no write of any size is sure to fit. */
const EXHAUSTED_BYTES = 64 * 1024;
/** Free space is looked at no more often than this from the write path. */
const SPACE_CHECK_MS = 5_000;

/** Whether writes can go on: a write that failed for want of space, free space, and the WAL given back. */
export class SqliteDiskWatch {
  /** Set while writes fail for want of disk space. */
  private full: { since: number; error: string } | null = null;
  private spaceCheckedAt = 0;
  /** WAL checkpoints with truncation done because space was short or writes resumed. */
  walTruncations = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly minFreeBytes = DEFAULT_MIN_FREE_BYTES,
  ) {}

  /** A write failed: remember a full disk, and give back the log. */
  failed(err: unknown): void {
    if (!isDiskFull(err)) return;
    this.full ??= { since: Date.now(), error: `${(err as { code: string }).code}: ${(err as Error).message}` };
    this.truncateWal();
  }

  /** A write went through. */
  succeeded(): void {
    if (this.full) {
      // Writes go through again: give back the log that grew while they could not.
      this.full = null;
      this.truncateWal();
    } else if (Date.now() - this.spaceCheckedAt > SPACE_CHECK_MS) this.condition();
  }

  condition(): StoreCondition {
    this.spaceCheckedAt = Date.now();
    const minFreeBytes = this.minFreeBytes;
    const free = this.path === ':memory:' ? null : freeBytes(dirname(this.path));
    const low = free !== null && free < minFreeBytes;
    if (this.full && free !== null && !low) {
      // Space was freed: writes are expected to go through again (a failing one says otherwise).
      this.full = null;
      this.truncateWal();
    }
    // Space is short: the WAL's pages go into the database and the file is cut to nothing, which is
    // what lets the store recover once a little space is freed (not as much as the whole log).
    if (low) this.truncateWal();
    const room = { ...(free === null ? {} : { freeBytes: free }), minFreeBytes };
    const exhausted = free !== null && free < EXHAUSTED_BYTES;
    if (this.full || exhausted) {
      const lastError = this.full?.error ?? `${free} bytes left on the disk of ${dirname(this.path)}`;
      return { status: 'degraded', reason: 'disk_full', writable: false, since: this.full?.since ?? this.spaceCheckedAt, lastError, ...room };
    }
    if (low) return { status: 'degraded', reason: 'low_space', writable: true, ...room };
    return { status: 'up', writable: true, ...room };
  }

  /**
   * PRAGMA wal_checkpoint(TRUNCATE), best effort (readers in the way or no room: next time). Only when
   * the log holds something, so while space stays short each write is given back at most once.
   */
  private truncateWal(): void {
    if (this.path === ':memory:') return;
    if (!(statSync(this.path + '-wal', { throwIfNoEntry: false })?.size ?? 0)) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.walTruncations++;
    } catch {
      // Still full: the next write or health check tries again.
    }
  }
}
