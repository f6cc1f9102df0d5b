// Where the memory per device goes: two V8 heap snapshots of the server (written by
// `npm run bench -- --only=connections --heap-dir=DIR`, at N and 2N devices) summed by constructor
// (objects, closures, native parts) or by kind (arrays, strings, code), and differenced per device.
//   node --import tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot DEVICES_ADDED [TOP]
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per group. */
function summarise(file: string): Map<string, { bytes: number; count: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const stride = f.length;
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const out = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < s.nodes.length; i += stride) {
    const type = types[s.nodes[i + ti]];
    const name = s.strings[s.nodes[i + ni]];
    // Objects and closures by constructor / function name; strings, arrays and code by kind only.
    const key =
      type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'object shape'
        ? `${type} ${name.slice(0, 60)}`
        : `(${type})`;
    const g = out.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += s.nodes[i + si];
    g.count++;
    out.set(key, g);
  }
  return out;
}

const [a, b, added, top] = process.argv.slice(2);
const n = Number(added);
const before = summarise(a);
const after = summarise(b);
const rows: { key: string; bytes: number; count: number }[] = [];
for (const [key, g] of after) {
  const p = before.get(key) ?? { bytes: 0, count: 0 };
  rows.push({ key, bytes: (g.bytes - p.bytes) / n, count: (g.count - p.count) / n });
}
rows.sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((s, r) => s + r.bytes, 0);
console.log(`per device (${n} added): ${(total / 1024).toFixed(2)} KiB in the V8 heap snapshot`);
for (const r of rows.slice(0, Number(top ?? 40))) console.log(`${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(6)} x  ${r.key}`);
