import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { tempDir, until } from './app.js';
import { freePort, requireServices } from './services.js';
import { natsMappings } from '../../src/cluster/partitions.js';

/** Skips loudly (or fails under FIELDSCOPE_REQUIRE_SERVICES=1) when nats-server is missing. */
export function requireNats(suite: string): { skip: string | false } {
  return requireServices(suite, 'nats-server');
}

export interface TestNatsServer {
  name: string;
  /** nats://127.0.0.1:port */
  url: string;
  mqttPort: number;
  mqttUrl: string;
}

export interface TestNatsCluster {
  servers: TestNatsServer[];
  /** Every server's client URL, comma-separated (what `--cluster` takes). */
  urls: string;
  partitions: number;
  /** SIGKILL one server (its JetStream directory stays). */
  kill(i: number): void;
  /** Starts a killed server again with the same ports and directory. */
  restart(i: number): Promise<void>;
  /** Stops every server and removes their directories. */
  destroy(): Promise<void>;
  /** Process ids of the running servers (the benchmark reads their CPU time). */
  pids(): number[];
}

/**
 * A 3-server NATS cluster on loopback (JetStream, an MQTT listener on each, routes between them),
 * with the subject mapping that partitions `devices.<id>.telemetry` into `partitions` partitions.
 * Resolves once JetStream has a meta leader, so streams can be created at once.
 */
export async function startNatsCluster(opts: { partitions?: number; size?: number } = {}): Promise<TestNatsCluster> {
  // A free port may be taken by someone else before the server binds it: try again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function uniquePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function startOnce(opts: { partitions?: number; size?: number }): Promise<TestNatsCluster> {
  const partitions = opts.partitions ?? 8;
  const size = opts.size ?? 3;
  const d = tempDir('fieldscope-nats-');
  const free = await uniquePorts(size * 3);
  const ports = Array.from({ length: size }, (_, i) => ({ client: free[3 * i], route: free[3 * i + 1], mqtt: free[3 * i + 2] }));
  const servers: TestNatsServer[] = ports.map((p, i) => ({
    name: `n${i + 1}`,
    url: `nats://127.0.0.1:${p.client}`,
    mqttPort: p.mqtt,
    mqttUrl: `mqtt://127.0.0.1:${p.mqtt}`,
  }));
  const confs = ports.map((p, i) => {
    const dir = join(d.dir, `n${i + 1}`);
    mkdirSync(dir);
    const conf = join(dir, 'nats.conf');
    const routes = ports.filter((_, j) => j !== i).map((o) => `nats-route://127.0.0.1:${o.route}`);
    writeFileSync(
      conf,
      [
        `server_name: n${i + 1}`,
        `listen: 127.0.0.1:${p.client}`,
        `jetstream { store_dir: "${join(dir, 'js')}" }`,
        `cluster { name: fieldscope-test, listen: 127.0.0.1:${p.route}, routes: [${routes.join(', ')}] }`,
        `mqtt { listen: 127.0.0.1:${p.mqtt} }`,
        natsMappings(partitions),
        '',
      ].join('\n'),
    );
    return conf;
  });
  const children: (ChildProcess | null)[] = servers.map(() => null);
  const logs: string[] = servers.map(() => '');

  const spawnOne = (i: number) => {
    const c = spawn('nats-server', ['-c', confs[i]], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (b: Buffer) => (logs[i] = (logs[i] + b.toString()).slice(-8000)));
    children[i] = c;
  };
  const ready = async (i: number) => {
    await until(
      async () => {
        const c = children[i]!;
        if (c.exitCode !== null) throw new Error(`nats-server n${i + 1} exited: ${logs[i]}`);
        let nc: NatsConnection | null = null;
        try {
          nc = await connect({ servers: servers[i].url, reconnect: false, timeout: 1000 });
          // Answers only once the cluster has elected a JetStream meta leader.
          await (await nc.jetstreamManager({ timeout: 1000 })).getAccountInfo();
          return true;
        } finally {
          await nc?.close();
        }
      },
      { what: `nats-server n${i + 1} with JetStream`, timeoutMs: 30_000 },
    );
  };

  try {
    for (let i = 0; i < size; i++) spawnOne(i);
    for (let i = 0; i < size; i++) await ready(i);
    // A meta leader answers before every peer has joined: ready means a stream on every server fits.
    const nc = await connect({ servers: servers.map((s) => s.url) });
    try {
      const jsm = await nc.jetstreamManager();
      await until(
        async () => {
          await jsm.streams.add({ name: 'FS_READY', subjects: ['fs.ready'], num_replicas: size });
          return jsm.streams.delete('FS_READY');
        },
        { what: `an R${size} stream placed`, timeoutMs: 30_000 },
      );
    } finally {
      await nc.close();
    }
  } catch (err) {
    for (const c of children) c?.kill('SIGKILL');
    d.remove();
    throw err;
  }

  const stopOne = async (i: number, signal: NodeJS.Signals) => {
    const c = children[i];
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const closed = new Promise((r) => c.once('close', r));
    c.kill(signal);
    await closed;
  };

  return {
    servers,
    urls: servers.map((s) => s.url).join(','),
    partitions,
    kill: (i) => void children[i]?.kill('SIGKILL'),
    pids: () => children.flatMap((c) => (c?.pid !== undefined && c.exitCode === null && c.signalCode === null ? [c.pid] : [])),
    restart: async (i) => {
      await stopOne(i, 'SIGKILL');
      spawnOne(i);
      await ready(i);
    },
    destroy: async () => {
      try {
        await Promise.all(servers.map((_, i) => stopOne(i, 'SIGTERM')));
      } finally {
        d.remove();
      }
    },
  };
}
