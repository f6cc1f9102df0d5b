import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { tempDir, until } from './app.js';
import { freePort, gidOf, haveUser, requireServices, uidOf } from './services.js';

// Debian installs the broker in /usr/sbin, often not on a user's PATH.
const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';

export function requireMosquitto(suite: string): { skip: string | false } {
  return requireServices(suite, MOSQUITTO);
}

export interface TestMosquitto {
  port: number;
  url: string;
  /** SIGTERM, which makes Mosquitto save its persistent sessions; throws if it logged an error (a failed save loses queued messages). */
  stop(): Promise<void>;
  /** Same port, same persistence file. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A Mosquitto with persistence on a free loopback port. Started as root it drops to the
 * `mosquitto` user, which must own the directory or its save at shutdown fails and every message
 * it had queued for a persistent session is gone after the restart.
 */
export async function startMosquitto(): Promise<TestMosquitto> {
  const d = tempDir('fieldscope-mosquitto-');
  const port = await freePort();
  const db = join(d.dir, 'db');
  mkdirSync(db);
  const asRoot = process.getuid?.() === 0;
  const ownUser = asRoot && haveUser('mosquitto');
  if (ownUser) for (const p of [d.dir, db]) chownSync(p, uidOf('mosquitto'), gidOf('mosquitto'));
  const conf = join(d.dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${db}/`,
      'max_queued_messages 100000',
      ...(asRoot && !ownUser ? ['user root'] : []),
      'log_type error',
      'log_dest stderr',
      '',
    ].join('\n'),
  );
  const url = `mqtt://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = '';

  const start = async () => {
    log = '';
    const c = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-8000)));
    await until(
      async () => {
        if (c.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
        const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 1000 });
        await probe.endAsync();
        return true;
      },
      { what: 'mosquitto up' },
    );
  };

  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    // 'close', not 'exit': only then has all of its stderr been read.
    const exited = new Promise((r) => c.once('close', r));
    c.kill('SIGTERM');
    await exited;
    if (/error/i.test(log)) throw new Error(`mosquitto logged an error: ${log.trim()}`);
  };

  await start();
  return {
    port,
    url,
    start,
    stop,
    destroy: async () => {
      try {
        await stop();
      } finally {
        d.remove();
      }
    },
  };
}
