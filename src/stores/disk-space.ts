import { statfsSync } from 'node:fs';

/** Bytes an unprivileged writer may still use on the disk holding `path`; null when it cannot be told. */
export function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** A failure because the disk is full: SQLite's SQLITE_FULL, the OS's ENOSPC, PostgreSQL's disk_full (53100). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100';
}

/** Free space under which the store reports itself degraded and gives back its write-ahead log. */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;
