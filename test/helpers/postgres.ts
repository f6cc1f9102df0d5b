import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort, gidOf, requireServices, uidOf } from './services.js';
import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { RetentionPolicy } from '../../src/stores/store.js';

/** PostgreSQL refuses to run as root: as root, run its binaries as the postgres user. */
const asRoot = process.getuid?.() === 0;

function command(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

export interface TestPostgres {
  port: number;
  dir: string;
  /** postgres://postgres@127.0.0.1:port/<db> */
  url(db?: string): string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown), keeping its data directory. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
  /** The end of the server's log (its stderr, the last 8,000 characters). */
  log(): string;
}

/** Skips loudly (or fails under FIELDSCOPE_REQUIRE_SERVICES=1) when the PostgreSQL binaries are missing. */
export function requirePostgres(suite: string): { skip: string | false } {
  return requireServices(suite, 'initdb', 'postgres');
}

let dbCounter = 0;

/**
 * initdb into a temp dir and start a server on a free loopback port; call destroy() after.
 * Tests trade durability for speed (no fsync, asynchronous commit); `durable` keeps PostgreSQL's own
 * defaults, so that a benchmark's commit and PUBACK figures include the WAL flush a user's server does.
 */
export async function startPostgres(o: { durable?: boolean } = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldscope-pg-'));
  const data = join(dir, 'data');
  if (asRoot) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
  const [initBin, initArgs] = command('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  execFileSync(initBin, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  let child: ChildProcess | null = null;
  let log = '';

  const url = (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;

  const start = async () => {
    const [bin, args] = command('postgres', [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      ...(o.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ]);
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`postgres exited with ${c.exitCode}: ${log}`);
      const sql = postgres(url(), { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        await sql`SELECT 1`;
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections: ${(err as Error).message}\n${log}`, { cause: err });
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    // SIGINT is PostgreSQL's fast shutdown: disconnect clients, checkpoint, exit. runuser does not pass
    // it on, so signal the postmaster itself (its pid heads postmaster.pid).
    const pid = postmasterPid(data);
    if (pid) process.kill(pid, 'SIGINT');
    else c.kill('SIGINT');
    await exited;
  };

  await start();
  return {
    port,
    dir,
    url,
    async createDatabase(name = `fs_test_${process.pid}_${++dbCounter}`) {
      const sql = postgres(url(), { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`CREATE DATABASE "${name}"`);
      } finally {
        await sql.end({ timeout: 1 });
      }
      return url(name);
    },
    stop,
    start,
    log: () => log,
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postmasterPid(data: string): number | null {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A PostgresStore on its own fresh server and database, opened; cleanup closes and removes both. */
export async function openPostgresStore(retention?: RetentionPolicy): Promise<{ store: PostgresStore; cleanup(): Promise<void> }> {
  const pg = await startPostgres();
  const store = new PostgresStore({ url: await pg.createDatabase(), retention });
  try {
    await store.open();
  } catch (err) {
    await pg.destroy();
    throw err;
  }
  return {
    store,
    async cleanup() {
      await store.close();
      await pg.destroy();
    },
  };
}
