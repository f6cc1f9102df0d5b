import { spawn, type ChildProcess } from 'node:child_process';
import { until } from './app.js';

// Fieldscope nodes as their own processes (kill -9 must kill a whole node), shared by the cluster
// end-to-end test and the cluster benchmark (bench/cluster.ts), so both start nodes the same way.

const root = new URL('../..', import.meta.url).pathname;

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  /** http://127.0.0.1:port */
  http: string;
  /** The node's embedded broker, mqtt://127.0.0.1:port */
  mqtt: string;
  /** The last 20,000 characters of its log (stdout after the start-up lines) and of its stderr. */
  log: () => string;
}

/**
 * `fieldscope start` on free loopback ports with the given store and data directory, no simulator,
 * anonymous admin and no rate limits; `extra` adds flags. Resolves once it printed its addresses.
 * `built` runs the compiled program (bin/fieldscope.js, after `npm run build`: starts faster than
 * the sources through tsx, which the tests use so that they need no build).
 */
export async function startNodeProcess(name: string, o: { store: string; dataDir: string; extra?: string[]; built?: boolean }): Promise<NodeProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(o.built ? ['bin/fieldscope.js'] : ['--import', 'tsx', 'src/cli.ts']),
      'start',
      ...['--http-port', '0', '--mqtt-port', '0', '--data', o.dataDir, '--no-simulator', '--anonymous-role', 'admin'],
      ...['--api-rate', '0', '--device-rate', '0', '--log-level', 'warn', '--store', o.store],
      ...(o.extra ?? []),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-20000)));
  const log = () => out.slice(-20000) + err;
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready: ${log()}`)));
    child.stdout!.on('data', (d) => {
      out = (out + d).slice(-40000);
      const http = /Dashboard\s+(http:\/\/\S+?)\/?\s/.exec(out);
      const mqtt = /MQTT\s+(mqtt:\/\/\S+)/.exec(out);
      if (http && mqtt) resolve({ name, child, http: http[1], mqtt: mqtt[1], log });
    });
  });
}

/** A node in cluster mode (`--cluster`), named `name`; leaseMs unset keeps the default. */
export function startClusterNode(
  name: string,
  o: { cluster: string; store: string; dataDir: string; partitions: number; leaseMs?: number; built?: boolean; extra?: string[] },
): Promise<NodeProcess> {
  return startNodeProcess(name, {
    store: o.store,
    dataDir: o.dataDir,
    built: o.built,
    extra: [
      ...['--cluster', o.cluster, '--cluster-node-id', name, '--cluster-partitions', String(o.partitions)],
      ...(o.leaseMs === undefined ? [] : ['--cluster-lease-ms', String(o.leaseMs)]),
      ...(o.extra ?? []),
    ],
  });
}

export interface ClusterHealth {
  node: string;
  owned: number[];
  nodes: string[];
  lag: Record<string, number | null>;
}

export async function clusterHealth(n: NodeProcess): Promise<ClusterHealth> {
  const h = (await (await fetch(`${n.http}/health`)).json()) as { components: { cluster: ClusterHealth } };
  return h.components.cluster;
}

/** Every partition held by exactly one of the given nodes, each node holding its share. */
export async function balanced(nodes: NodeProcess[], partitions: number): Promise<Map<number, string> | undefined> {
  const owners = new Map<number, string>();
  for (const n of nodes) {
    const h = await clusterHealth(n);
    if (h.nodes.length !== nodes.length) return undefined;
    if (h.owned.length > Math.ceil(partitions / nodes.length) || h.owned.length === 0) return undefined;
    for (const p of h.owned) {
      if (owners.has(p)) return undefined;
      owners.set(p, n.name);
    }
  }
  return owners.size === partitions ? owners : undefined;
}

/** Waits for the cluster to settle (balanced); a timeout says what each node reported and logged. */
export async function settled(nodes: NodeProcess[], partitions: number, what: string, timeoutMs = 60_000): Promise<Map<number, string>> {
  return until(() => balanced(nodes, partitions), { what, timeoutMs }).catch(async (err: Error) => {
    const state = await Promise.all(
      nodes.map(async (n) => ({ n: n.name, h: await clusterHealth(n).catch((e: Error) => e.message), log: n.log().slice(-2000) })),
    );
    throw new Error(`${err.message}: ${JSON.stringify(state, null, 1)}`);
  });
}
