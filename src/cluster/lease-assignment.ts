import { partitionOf } from './partitions.js';

/**
 * Which live node should hold each partition: every node computes the same answer from the same
 * member list, each node gets at most ceil(partitions / nodes), and a partition prefers the node
 * that ranks highest for it (rendezvous hashing), so a join or a death moves few partitions.
 * This only says what each node should try; who holds a partition is decided by the lease bucket's
 * compare-and-set, never by this function.
 */
export function assignPartitions(partitions: number, nodes: Iterable<string>): string[] {
  const live = [...new Set(nodes)].sort();
  if (!live.length) return [];
  const cap = Math.ceil(partitions / live.length);
  const load = new Map(live.map((n) => [n, 0]));
  const out: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const ranked = live.map((n) => ({ n, score: partitionOf(`${n}/${p}`, 0x7fffffff) })).sort((a, b) => b.score - a.score || (a.n < b.n ? -1 : 1));
    const pick = ranked.find((r) => load.get(r.n)! < cap)!.n;
    load.set(pick, load.get(pick)! + 1);
    out.push(pick);
  }
  return out;
}
