import type { AuditStore } from '../../stores/store.js';

const DAY = 86_400_000;

/** Deletes audit entries older than the retention (days; 0 keeps them forever) every interval. */
export function startAuditRetention(
  store: AuditStore,
  opts: { days: number; intervalMs?: number; firstRunMs?: number; onError?: (err: Error) => void },
): { stop(): Promise<void>; runOnce(now?: number): Promise<number> } {
  let running: Promise<number> | null = null;
  const runOnce = (now = Date.now()) =>
    opts.days > 0
      ? (running ??= store.pruneAudit(now - opts.days * DAY).finally(() => {
          running = null;
        }))
      : Promise.resolve(0);
  const tick = () => void runOnce().catch((err: Error) => opts.onError?.(err));
  const timer = setInterval(tick, opts.intervalMs ?? DAY / 24);
  timer.unref();
  const first = setTimeout(tick, opts.firstRunMs ?? 90_000);
  first.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      clearTimeout(first);
      await running?.catch(() => undefined);
    },
  };
}
