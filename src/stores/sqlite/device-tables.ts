import type Database from 'better-sqlite3';
import type { DeviceCommand, DeviceMeta, Equipment, Firmware, OtaJob, Rollout } from '../../model/device-admin.js';
import type { DeviceAdminStore } from '../store.js';

const parse = <T>(rows: unknown[]): T[] => rows.map((r) => JSON.parse(r as string) as T);

/** Device metadata, equipment, commands, firmware and OTA tables of the SQLite store. */
export class SqliteDeviceTables implements DeviceAdminStore {
  constructor(private readonly db: Database.Database) {}

  async listDeviceMeta(): Promise<DeviceMeta[]> {
    return parse(this.db.prepare('SELECT body FROM device_meta ORDER BY id').pluck().all());
  }

  async saveDeviceMeta(m: DeviceMeta): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO device_meta (id, equipment, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET equipment = excluded.equipment, body = excluded.body',
      )
      .run(m.id, m.equipment, JSON.stringify(m));
  }

  async deleteDevice(id: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM device_meta WHERE id = ?').run(id);
      this.db.prepare('DELETE FROM devices WHERE id = ?').run(id);
    })();
  }

  async listEquipment(): Promise<Equipment[]> {
    return parse(this.db.prepare('SELECT body FROM equipment ORDER BY id').pluck().all());
  }

  async saveEquipment(e: Equipment): Promise<void> {
    this.db.prepare('INSERT INTO equipment (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body').run(e.id, JSON.stringify(e));
  }

  async deleteEquipment(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      const gone = this.db.prepare('DELETE FROM equipment WHERE id = ?').run(id).changes > 0;
      const members = parse<DeviceMeta>(this.db.prepare('SELECT body FROM device_meta WHERE equipment = ?').pluck().all(id));
      const save = this.db.prepare('UPDATE device_meta SET equipment = NULL, body = ? WHERE id = ?');
      for (const m of members) save.run(JSON.stringify({ ...m, equipment: null }), m.id);
      return gone;
    })();
  }

  async saveCommand(c: DeviceCommand): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO device_commands (id, device, status, created, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body',
      )
      .run(c.id, c.device, c.status, c.createdAt, JSON.stringify(c));
  }

  async listCommands(device: string, limit: number): Promise<DeviceCommand[]> {
    return parse(this.db.prepare('SELECT body FROM device_commands WHERE device = ? ORDER BY created DESC, id DESC LIMIT ?').pluck().all(device, limit));
  }

  async openCommands(): Promise<DeviceCommand[]> {
    return parse(this.db.prepare("SELECT body FROM device_commands WHERE status IN ('pending', 'delivered') ORDER BY created").pluck().all());
  }

  async saveFirmware(f: Firmware): Promise<void> {
    this.db
      .prepare('INSERT INTO firmware (id, created, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body')
      .run(f.id, f.createdAt, JSON.stringify(f));
  }

  async listFirmware(): Promise<Firmware[]> {
    return parse(this.db.prepare('SELECT body FROM firmware ORDER BY created DESC').pluck().all());
  }

  async deleteFirmware(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM firmware WHERE id = ?').run(id).changes > 0;
  }

  async saveRollout(r: Rollout): Promise<void> {
    this.db
      .prepare('INSERT INTO ota_rollouts (id, created, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body')
      .run(r.id, r.createdAt, JSON.stringify(r));
  }

  async listRollouts(): Promise<Rollout[]> {
    return parse(this.db.prepare('SELECT body FROM ota_rollouts ORDER BY created DESC').pluck().all());
  }

  async saveOtaJob(j: OtaJob): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO ota_jobs (rollout, device, updated, body) VALUES (?, ?, ?, ?) ON CONFLICT (rollout, device) DO UPDATE SET updated = excluded.updated, body = excluded.body',
      )
      .run(j.rollout, j.device, j.updatedAt, JSON.stringify(j));
  }

  async listOtaJobs(q: { rollout?: string; device?: string }): Promise<OtaJob[]> {
    const where: string[] = [];
    const args: string[] = [];
    if (q.rollout) (where.push('rollout = ?'), args.push(q.rollout));
    if (q.device) (where.push('device = ?'), args.push(q.device));
    const sql = `SELECT body FROM ota_jobs${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY updated DESC, device`;
    return parse(
      this.db
        .prepare(sql)
        .pluck()
        .all(...args),
    );
  }
}
