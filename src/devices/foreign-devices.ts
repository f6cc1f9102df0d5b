import type { TelemetryStore } from '../stores/store.js';
import type { DeviceRegistry } from './registry.js';

/**
 * Devices that another process put in the store (`fieldscope import` against the data directory of
 * a running server) join the registry without a restart. The store is asked a cheap question on a
 * timer (SQLite's data_version; the device count on PostgreSQL), never from the ack path; only when
 * it changed are the ids compared, and only unknown devices are read in full.
 */
export class ForeignDevices {
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly o: {
      store: Pick<TelemetryStore, 'devicesChangedElsewhere' | 'deviceIds' | 'listDevices'>;
      registry: Pick<DeviceRegistry, 'get' | 'adopt'>;
      /** Told the ids adopted (the commit path then does not take them for new devices). */
      adopted: (ids: string[]) => void;
      intervalMs: number;
      onError: (err: Error) => void;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  /** One look; a look still running is not doubled. */
  check(): Promise<void> {
    return (this.checking ??= this.look()
      .catch((err: Error) => this.o.onError(err))
      .finally(() => (this.checking = null)));
  }

  private async look(): Promise<void> {
    const { store, registry } = this.o;
    if (!(await store.devicesChangedElsewhere())) return;
    const unknown = new Set((await store.deviceIds()).filter((id) => !registry.get(id)));
    if (!unknown.size) return;
    const found = (await store.listDevices()).filter((d) => unknown.has(d.id) && !registry.get(d.id));
    registry.adopt(found);
    this.o.adopted(found.map((d) => d.id));
  }
}
