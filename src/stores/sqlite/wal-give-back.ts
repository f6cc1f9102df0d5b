import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';

/** At most this much of the WAL file is given back by one restart of the log. */
export const WAL_GIVE_BACK_BYTES = 32 * 1024 * 1024;
/** How often the connection looks at the WAL file's size. */
const LOOK_EVERY_MS = 1000;

/**
 * Gives the WAL file's space back a slice at a time. SQLite truncates the WAL to journal_size_limit
 * in the first commit after the log restarts from its beginning, on the connection that commits.
 * While readers run one after another the log cannot restart (each holds a snapshot in it) and the
 * file grew here to 800 MB in a few seconds at 5,000 msg/s; the restart that finally came cut it to
 * 16 MB inside one telemetry commit: 290 ms (an ftruncate of the whole tail) during which no PUBACK
 * went out, the PUBACK p99 of the mixed load (issue 15). Here the limit follows the file: at most
 * WAL_GIVE_BACK_BYTES below its size, so a restart truncates no more than that (a few ms), and the
 * file comes down to `floorBytes` over the next restarts. A file that grows is not cut back until
 * a restart; its size is bounded, as before, by how long readers keep the log from restarting.
 */
export class WalGiveBack {
  private limit = NaN;
  private lookedAt = -Infinity;

  constructor(
    private readonly db: Database.Database,
    private readonly walPath: string,
    private readonly floorBytes: number,
    private readonly sliceBytes = WAL_GIVE_BACK_BYTES,
    private readonly everyMs = LOOK_EVERY_MS,
  ) {
    this.look(performance.now());
  }

  /** After a commit: looks at the file again when its time has come, and moves the limit. */
  afterCommit(): void {
    const now = performance.now();
    if (now - this.lookedAt >= this.everyMs) this.look(now);
  }

  /** The journal_size_limit set now (bytes). */
  get limitBytes(): number {
    return this.limit;
  }

  private look(now: number): void {
    this.lookedAt = now;
    const size = statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0;
    const limit = Math.max(this.floorBytes, size - this.sliceBytes);
    if (limit === this.limit) return;
    this.db.pragma(`journal_size_limit = ${limit}`);
    this.limit = limit;
  }
}
