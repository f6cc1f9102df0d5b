import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaults, type Config } from '../../src/config.js';
import { startApp, type RunningApp } from '../../src/app.js';
import { silentLogger } from '../../src/logger.js';
import type { Store } from '../../src/stores/store.js';

export function tempDir(prefix = 'fieldscope-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts the whole program on free loopback ports with its own data directory. Anonymous callers are
 * admins and rate limits are off unless a test says otherwise, so suites about other things need no
 * credentials; the security suites start with anonymousRole 'none' and insecureLocal false.
 * `wrapStore` puts a test's store in front of the real one (an outage, a failing write).
 */
export async function startTestApp(overrides: Partial<Config> = {}, opts: { wrapStore?: (store: Store) => Store } = {}): Promise<RunningApp> {
  const base: Partial<Config> = { anonymousRole: 'admin', apiRatePerSec: 0, deviceRatePerSec: 0 };
  // A test that names no data directory gets a fresh one, removed when the app stops.
  const own = overrides.dataDir === undefined ? tempDir() : null;
  const app = await startApp(
    { ...defaults, httpPort: 0, mqttPort: 0, simulator: false, ...base, ...(own ? { dataDir: own.dir } : {}), ...overrides },
    { logger: silentLogger(), ...opts },
  );
  if (!own) return app;
  const stop = app.stop;
  return Object.assign(app, { stop: () => stop().finally(() => own.remove()) });
}

export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
