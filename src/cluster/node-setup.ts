import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { ClusterNode, defaultNodeId, type ClusterDeps } from './node.js';

/** The cluster node when `cluster` is configured; null keeps the single-process default. */
export function clusterNodeFor(config: Config, deps: ClusterDeps): ClusterNode | null {
  if (!config.cluster) return null;
  // Every node must see every other node's commits: one shared PostgreSQL, never a per-node SQLite.
  if (!/^postgres(ql)?:\/\//.test(config.store)) throw new ConfigError(`cluster: needs a shared postgres:// store, got store "${config.store}"`);
  if (!(config.clusterPartitions >= 1)) throw new ConfigError(`clusterPartitions: at least 1, got ${config.clusterPartitions}`);
  if (!(config.clusterReplicas >= 1 && config.clusterReplicas <= 5)) throw new ConfigError(`clusterReplicas: 1 to 5, got ${config.clusterReplicas}`);
  if (!(config.clusterLeaseMs >= 300)) throw new ConfigError(`clusterLeaseMs: at least 300, got ${config.clusterLeaseMs}`);
  const node = config.clusterNodeId ?? defaultNodeId();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(node)) throw new ConfigError(`clusterNodeId: 1-64 letters, digits, _ or -, got "${node}"`);
  return new ClusterNode(
    { urls: config.cluster, node, partitions: config.clusterPartitions, leaseMs: config.clusterLeaseMs, replicas: config.clusterReplicas },
    deps,
  );
}
