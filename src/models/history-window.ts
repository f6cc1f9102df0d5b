import type { Store } from '../stores/store.js';

/** Stored readings of a device as steps: one per distinct time, missing features carried forward. */
export async function stepsFromHistory(
  store: Pick<Store, 'telemetry'>,
  device: string,
  features: string[],
  from: number,
  to: number,
  limit = 200_000,
): Promise<{ rows: number[][]; times: number[] }> {
  const series = await store.telemetry.queryRange({ device, metrics: features, from, to, limit });
  const byTs = new Map<number, Array<number | undefined>>();
  for (const [j, f] of features.entries()) {
    const s = series[f];
    if (!s) continue;
    for (let i = 0; i < s.ts.length; i++) {
      let row = byTs.get(s.ts[i]);
      if (!row) byTs.set(s.ts[i], (row = features.map(() => undefined)));
      row[j] = s.value[i];
    }
  }
  const times = [...byTs.keys()].sort((a, b) => a - b);
  const last: Array<number | undefined> = features.map(() => undefined);
  const rows: number[][] = [];
  const kept: number[] = [];
  for (const t of times) {
    const row = byTs.get(t)!;
    for (let j = 0; j < features.length; j++) if (row[j] !== undefined) last[j] = row[j];
    if (last.some((v) => v === undefined)) continue;
    rows.push(last.slice() as number[]);
    kept.push(t);
  }
  return { rows, times: kept };
}
