import type { AuthStore } from '../stores/store.js';
import type { DeviceCredentialRecord } from '../model/auth.js';
import { randomSecret, sameSecret, sha256 } from './hash.js';
import type { Revocations } from './revocations.js';

export const DEVICE_TOKEN_PREFIX = 'fsd_';

/** One token per device (MQTT password, HTTP bearer), stored as a hash; issuing a new one replaces the old. */
export class DeviceCredentials {
  private byDevice = new Map<string, DeviceCredentialRecord>();
  private byHash = new Map<string, string>();

  constructor(
    private readonly store: AuthStore,
    private readonly revocations?: Revocations,
  ) {}

  async load(): Promise<void> {
    this.byDevice.clear();
    this.byHash.clear();
    for (const c of await this.store.listDeviceCredentials()) this.remember(c);
  }

  private remember(c: DeviceCredentialRecord): void {
    const old = this.byDevice.get(c.device);
    if (old) this.byHash.delete(old.hash);
    this.byDevice.set(c.device, c);
    this.byHash.set(c.hash, c.device);
  }

  /** Reads credentials back from the store after another node issued or revoked them (one device, or all). */
  async refresh(device?: string): Promise<void> {
    const stored = new Map((await this.store.listDeviceCredentials()).map((c) => [c.device, c]));
    for (const d of device === undefined ? new Set([...this.byDevice.keys(), ...stored.keys()]) : [device]) {
      const old = this.byDevice.get(d);
      const c = stored.get(d);
      if (old?.hash === c?.hash) continue;
      if (c) this.remember(c);
      else {
        if (old) this.byHash.delete(old.hash);
        this.byDevice.delete(d);
      }
      // Connections opened with the old token end with it (a first token ends nothing).
      if (old) this.revocations?.emit({ kind: 'device', device: d });
    }
  }

  list(): DeviceCredentialRecord[] {
    return [...this.byDevice.values()].sort((a, b) => a.device.localeCompare(b.device));
  }

  has(device: string): boolean {
    return this.byDevice.has(device);
  }

  /** A new token for the device (shown once); any earlier one stops working. */
  async issue(device: string, createdBy: string): Promise<{ token: string; record: DeviceCredentialRecord }> {
    const token = `${DEVICE_TOKEN_PREFIX}${randomSecret()}`;
    const replaced = this.byDevice.has(device);
    const record = await this.save(device, token, createdBy);
    // Connections opened with the old token end with it.
    if (replaced) this.revocations?.emit({ kind: 'device', device });
    return { token, record };
  }

  /** Trust on first use: an unknown device's first password becomes its token. */
  async provision(device: string, token: string): Promise<DeviceCredentialRecord> {
    return this.save(device, token, 'provisioned');
  }

  private async save(device: string, token: string, createdBy: string): Promise<DeviceCredentialRecord> {
    const record: DeviceCredentialRecord = { device, hash: sha256(token), createdAt: Date.now(), createdBy };
    await this.store.saveDeviceCredential(record);
    this.remember(record);
    return record;
  }

  async revoke(device: string): Promise<boolean> {
    const c = this.byDevice.get(device);
    if (c) this.byHash.delete(c.hash);
    this.byDevice.delete(device);
    const gone = await this.store.deleteDeviceCredential(device);
    if (c || gone) this.revocations?.emit({ kind: 'device', device });
    return gone;
  }

  /** Whether this token is the device's own. */
  verify(device: string, token: string): boolean {
    const c = this.byDevice.get(device);
    return !!c && sameSecret(sha256(token), c.hash);
  }

  /** Which device a token belongs to (HTTP bearer tokens do not name their device). */
  deviceOf(token: string): string | null {
    return this.byHash.get(sha256(token)) ?? null;
  }
}
