import { statfs } from 'node:fs/promises';
import type { SystemAlarms, SystemCondition } from './system-alarms.js';

/** What the monitor reads of a source: alarms/ may not import sources/ (test/unit/dependencies.test.ts), app.ts hands these in. */
export interface WatchedSource {
  readonly name: string;
  describe(): { status: 'up' | 'down'; detail: Record<string, unknown> };
}

export interface ChannelHealth {
  name: string;
  /** The last delivery failed after all its retries, and none has succeeded since. */
  failing: boolean;
  error: string | null;
}

export interface SystemMonitorOptions {
  alarms: SystemAlarms;
  store: { ping(): Promise<void> };
  /** Bytes in the spool now, and the most it may hold. */
  spool: () => { bytes: number; maxBytes: number };
  /** Alarm when the spool holds more than this fraction of its limit. */
  spoolRatio: number;
  /** The external broker client (none with the embedded broker, which cannot be disconnected from itself). */
  broker: WatchedSource | null;
  serial: WatchedSource[];
  channels: () => ChannelHealth[];
  /** The data directory: alarm when its file system has less than diskFreeRatio of its space free. */
  diskPath: string;
  diskFreeRatio: number;
  intervalMs: number;
  /** Longest a store ping may take before the store counts as down. */
  pingTimeoutMs?: number;
}

/**
 * Checks, every interval, the conditions that make a system alarm (store down, spool filling,
 * broker disconnected, serial port gone, channel failing, disk nearly full) and raises or clears
 * each. One check at a time; a slow check delays the next instead of overlapping it.
 */
export class SystemMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly opts: SystemMonitorOptions) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.check().finally(loop), this.opts.intervalMs);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass now: what holds is raised, what ended is cleared, what the store missed is written. */
  check(): Promise<void> {
    return (this.running ??= this.pass().finally(() => {
      this.running = null;
    }));
  }

  private async pass(): Promise<void> {
    const held = await this.conditions();
    const { alarms } = this.opts;
    for (const c of held) await alarms.raise(c);
    const active = new Set(held.map((c) => c.component));
    for (const component of alarms.components()) if (!active.has(component)) await alarms.resolve(component);
    await alarms.flush();
  }

  /** The conditions that hold now. */
  async conditions(): Promise<SystemCondition[]> {
    const o = this.opts;
    const held: SystemCondition[] = [];
    const storeError = await pingError(o.store, o.pingTimeoutMs ?? 5000);
    if (storeError)
      held.push({
        component: 'store',
        severity: 'critical',
        title: 'Store unavailable',
        message: `the store does not answer (${storeError}); readings go to the spool`,
      });

    const spool = o.spool();
    if (spool.maxBytes > 0 && spool.bytes > spool.maxBytes * o.spoolRatio) {
      const pct = Math.round((100 * spool.bytes) / spool.maxBytes);
      held.push({
        component: 'spool',
        severity: 'major',
        title: 'Spool filling',
        message: `the spool holds ${spool.bytes} bytes, ${pct}% of its ${spool.maxBytes}-byte limit; past it, senders are refused`,
      });
    }

    if (o.broker && o.broker.describe().status !== 'up') {
      held.push({
        component: 'broker',
        severity: 'critical',
        title: 'Broker disconnected',
        message: 'the external MQTT broker is not connected; devices publishing there are not heard',
      });
    }

    for (const link of o.serial) {
      const d = link.describe();
      if (d.status === 'up') continue;
      const path = String(d.detail.path ?? link.name);
      const why = d.detail.lastError ? ` (${String(d.detail.lastError)})` : '';
      held.push({
        component: `serial:${path}`,
        severity: 'major',
        title: 'Serial port gone',
        message: `serial port ${path} is not open${why}; device ${String(d.detail.device ?? '?')} is not heard`,
      });
    }

    for (const ch of o.channels()) {
      if (!ch.failing) continue;
      held.push({
        component: `channel:${ch.name}`,
        severity: 'major',
        title: 'Notification channel failing',
        message: `notifications to ${ch.name} fail${ch.error ? ` (${ch.error})` : ''}`,
      });
    }

    const disk = await freeRatio(o.diskPath);
    if (disk !== null && disk < o.diskFreeRatio) {
      held.push({
        component: 'disk',
        severity: 'major',
        title: 'Disk nearly full',
        message: `${(disk * 100).toFixed(1)}% free on the file system of ${o.diskPath} (alarm below ${(o.diskFreeRatio * 100).toFixed(1)}%)`,
      });
    }
    return held;
  }
}

async function pingError(store: { ping(): Promise<void> }, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    clearTimeout(timer);
  }
}

/** Free fraction (for unprivileged users) of the file system holding path; null when it cannot be read. */
export async function freeRatio(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    return s.blocks > 0 ? s.bavail / s.blocks : null;
  } catch {
    return null;
  }
}
