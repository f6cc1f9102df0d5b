import type { Sql } from 'postgres';
import type { DeviceCommand, DeviceMeta, Equipment, Firmware, OtaJob, Rollout } from '../../model/device-admin.js';
import type { DeviceAdminStore } from '../store.js';
import { KeyedSerializer } from './keyed-serializer.js';

const parse = <T>(rows: readonly { body: string }[]): T[] => rows.map((r) => JSON.parse(r.body) as T);

/** Device metadata, equipment, commands, firmware and OTA tables of the PostgreSQL store. */
export class PgDeviceTables implements DeviceAdminStore {
  // Commands and OTA jobs are state machines saved again on every step: their saves must land in call order.
  private readonly ordered = new KeyedSerializer();

  constructor(private readonly sql: Sql) {}

  async listDeviceMeta(): Promise<DeviceMeta[]> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    return parse(await this.sql<{ body: string }[]>`SELECT body FROM device_meta ORDER BY id COLLATE "C"`);
  }

  async saveDeviceMeta(m: DeviceMeta): Promise<void> {
    await this.sql`INSERT INTO device_meta (id, equipment, body) VALUES (${m.id}, ${m.equipment}, ${JSON.stringify(m)})
      ON CONFLICT (id) DO UPDATE SET equipment = excluded.equipment, body = excluded.body`;
  }

  async deleteDevice(id: string): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`DELETE FROM device_meta WHERE id = ${id}`;
      await tx`DELETE FROM devices WHERE id = ${id}`;
    });
  }

  async listEquipment(): Promise<Equipment[]> {
    return parse(await this.sql<{ body: string }[]>`SELECT body FROM equipment ORDER BY id COLLATE "C"`);
  }

  async saveEquipment(e: Equipment): Promise<void> {
    await this.sql`INSERT INTO equipment (id, body) VALUES (${e.id}, ${JSON.stringify(e)}) ON CONFLICT (id) DO UPDATE SET body = excluded.body`;
  }

  async deleteEquipment(id: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const gone = (await tx`DELETE FROM equipment WHERE id = ${id}`).count > 0;
      const members = parse<DeviceMeta>(await tx<{ body: string }[]>`SELECT body FROM device_meta WHERE equipment = ${id} FOR UPDATE`);
      for (const m of members) await tx`UPDATE device_meta SET equipment = NULL, body = ${JSON.stringify({ ...m, equipment: null })} WHERE id = ${m.id}`;
      return gone;
    });
  }

  async saveCommand(c: DeviceCommand): Promise<void> {
    // Taken now: the caller keeps mutating the same object.
    const [id, device, status, created, body] = [c.id, c.device, c.status, c.createdAt, JSON.stringify(c)];
    await this.ordered.run(`command\u0000${id}`, async () => {
      await this.sql`INSERT INTO device_commands (id, device, status, created, body) VALUES (${id}, ${device}, ${status}, ${created}, ${body})
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body`;
    });
  }

  async listCommands(device: string, limit: number): Promise<DeviceCommand[]> {
    return parse(
      await this.sql<{ body: string }[]>`
      SELECT body FROM device_commands WHERE device = ${device} ORDER BY created DESC, id COLLATE "C" DESC LIMIT ${limit}`,
    );
  }

  async openCommands(): Promise<DeviceCommand[]> {
    return parse(await this.sql<{ body: string }[]>`SELECT body FROM device_commands WHERE status IN ('pending', 'delivered') ORDER BY created`);
  }

  async saveFirmware(f: Firmware): Promise<void> {
    await this
      .sql`INSERT INTO firmware (id, created, body) VALUES (${f.id}, ${f.createdAt}, ${JSON.stringify(f)}) ON CONFLICT (id) DO UPDATE SET body = excluded.body`;
  }

  async listFirmware(): Promise<Firmware[]> {
    return parse(await this.sql<{ body: string }[]>`SELECT body FROM firmware ORDER BY created DESC`);
  }

  async deleteFirmware(id: string): Promise<boolean> {
    return (await this.sql`DELETE FROM firmware WHERE id = ${id}`).count > 0;
  }

  async saveRollout(r: Rollout): Promise<void> {
    await this
      .sql`INSERT INTO ota_rollouts (id, created, body) VALUES (${r.id}, ${r.createdAt}, ${JSON.stringify(r)}) ON CONFLICT (id) DO UPDATE SET body = excluded.body`;
  }

  async listRollouts(): Promise<Rollout[]> {
    return parse(await this.sql<{ body: string }[]>`SELECT body FROM ota_rollouts ORDER BY created DESC`);
  }

  async saveOtaJob(j: OtaJob): Promise<void> {
    const [rollout, device, updated, body] = [j.rollout, j.device, j.updatedAt, JSON.stringify(j)];
    await this.ordered.run(`ota\u0000${rollout}\u0000${device}`, async () => {
      await this.sql`INSERT INTO ota_jobs (rollout, device, updated, body) VALUES (${rollout}, ${device}, ${updated}, ${body})
        ON CONFLICT (rollout, device) DO UPDATE SET updated = excluded.updated, body = excluded.body`;
    });
  }

  async listOtaJobs(q: { rollout?: string; device?: string }): Promise<OtaJob[]> {
    const rollout = q.rollout || null;
    const device = q.device || null;
    return parse(
      await this.sql<{ body: string }[]>`
      SELECT body FROM ota_jobs WHERE (${rollout}::text IS NULL OR rollout = ${rollout}::text) AND (${device}::text IS NULL OR device = ${device}::text)
      ORDER BY updated DESC, device COLLATE "C"`,
    );
  }
}
