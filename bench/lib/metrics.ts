// Fieldscope's own counters, read from GET /metrics as Prometheus would: the benchmarks count what
// the server says it stored rather than what the load generator believes it sent.

export async function scrapeMetrics(httpUrl: string): Promise<string> {
  return (await fetch(`${httpUrl}/metrics`)).text();
}

/** The value of an unlabelled sample, or the sum over its label sets; NaN when absent. */
export function metricValue(text: string, name: string): number {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm');
  let sum = NaN;
  for (const m of text.matchAll(re)) sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[1]);
  return sum;
}

/** Readings committed to the store (not counting duplicates the store already had). */
export async function storedReadings(httpUrl: string): Promise<number> {
  return metricValue(await scrapeMetrics(httpUrl), 'fieldscope_readings_stored_total');
}

/**
 * Polls the stored count until it reaches `target`: the time it got there (Date.now()), or NaN when
 * it stopped moving for 30 s short of it (lost messages, not a slow rate).
 */
export async function waitStored(httpUrl: string, target: number): Promise<{ at: number; stored: number }> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const stored = await storedReadings(httpUrl);
    const now = Date.now();
    if (stored >= target) return { at: now, stored };
    if (stored !== last) ((last = stored), (lastChange = now));
    if (now - lastChange > 30_000) return { at: NaN, stored };
    await new Promise((r) => setTimeout(r, 100));
  }
}
