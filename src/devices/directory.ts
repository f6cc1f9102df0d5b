import type { DeviceMeta, Equipment } from '../model/device-admin.js';
import type { DeviceAdminStore } from '../stores/store.js';

export type MetaPatch = Partial<Omit<DeviceMeta, 'id' | 'updatedAt'>>;
export type EquipmentPatch = Partial<Omit<Equipment, 'id' | 'createdAt' | 'updatedAt'>>;

const emptyMeta = (id: string, now: number): DeviceMeta => ({ id, name: null, location: null, tags: [], equipment: null, notes: null, updatedAt: now });

/** What people record about devices and equipment, cached from the store (read on every device listing). */
export class DeviceDirectory {
  private meta = new Map<string, DeviceMeta>();
  private equipment = new Map<string, Equipment>();

  constructor(
    private readonly store: DeviceAdminStore,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<void> {
    for (const m of await this.store.listDeviceMeta()) this.meta.set(m.id, m);
    for (const e of await this.store.listEquipment()) this.equipment.set(e.id, e);
  }

  getMeta(id: string): DeviceMeta | undefined {
    return this.meta.get(id);
  }

  listMeta(): DeviceMeta[] {
    return [...this.meta.values()];
  }

  /** patch: merge into what is there; replace: what is not given is cleared. */
  async saveMeta(id: string, change: MetaPatch, mode: 'patch' | 'replace'): Promise<DeviceMeta> {
    const now = this.now();
    const base = mode === 'patch' ? (this.meta.get(id) ?? emptyMeta(id, now)) : emptyMeta(id, now);
    const next: DeviceMeta = { ...base, id, updatedAt: now };
    for (const k of ['name', 'location', 'tags', 'equipment', 'notes'] as const) {
      if (change[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = change[k];
    }
    await this.store.saveDeviceMeta(next);
    this.meta.set(id, next);
    return next;
  }

  async deleteDevice(id: string): Promise<void> {
    await this.store.deleteDevice(id);
    this.meta.delete(id);
  }

  getEquipment(id: string): Equipment | undefined {
    return this.equipment.get(id);
  }

  listEquipment(): Equipment[] {
    return [...this.equipment.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Devices (sensors) that belong to the equipment. */
  devicesOf(equipment: string): string[] {
    return this.listMeta()
      .filter((m) => m.equipment === equipment)
      .map((m) => m.id)
      .sort();
  }

  async saveEquipment(id: string, change: EquipmentPatch & { name?: string }, mode: 'create' | 'patch' | 'replace'): Promise<Equipment> {
    const now = this.now();
    const cur = this.equipment.get(id);
    const base: Equipment =
      mode === 'patch' && cur ? cur : { id, name: id, location: null, description: null, tags: [], createdAt: cur?.createdAt ?? now, updatedAt: now };
    const next: Equipment = { ...base, updatedAt: now };
    for (const k of ['name', 'location', 'description', 'tags'] as const) {
      if (change[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = change[k];
    }
    await this.store.saveEquipment(next);
    this.equipment.set(id, next);
    return next;
  }

  async deleteEquipment(id: string): Promise<boolean> {
    const gone = await this.store.deleteEquipment(id);
    this.equipment.delete(id);
    for (const m of this.meta.values()) if (m.equipment === id) this.meta.set(m.id, { ...m, equipment: null });
    return gone;
  }
}
