import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Sql } from 'postgres';

/**
 * Lowers the OS priority of this session's server process (its backend), as read threads lower their
 * own: a read's work is done mostly by the backend, which would otherwise compete with the ingest
 * commits' backend and the acknowledging thread at equal priority on a small machine. Best effort,
 * and only when the backend is certainly this session's process on this host: the server's view of
 * our client port must appear in that process's title ("postgres: user db 127.0.0.1(PORT) ...").
 * A remote server, another user's process without the right to renice it, or no /proc: nothing done.
 * Returns whether the backend was reniced.
 */
export async function lowerBackendPriority(sql: Sql, nice: number): Promise<boolean> {
  try {
    const [row] = await sql<{ pid: number; port: number | null }[]>`SELECT pg_backend_pid() AS pid, inet_client_port() AS port`;
    const title = readFileSync(`/proc/${row.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (!title.startsWith('postgres')) return false;
    // TCP: our port in the title; a Unix socket (port null): "[local]" in it, and the socket is on this host by definition.
    if (row.port !== null ? !title.includes(`(${row.port})`) : !title.includes('[local]')) return false;
    setPriority(row.pid, nice);
    return true;
  } catch {
    return false;
  }
}
