import type { Sql, TransactionSql } from 'postgres';
import type { Profile } from '../../model/device.js';
import type { SeqDeviceState, SeqStats } from '../../model/sequence.js';
import type { StoredTopicMapping } from '../../model/topic-mapping.js';
import type { CatalogStore, ImportCheckpoint, WriteBatch } from '../store.js';
import { advancePartitionFence } from './partition-fence.js';

const OID = { int8: 20, text: 25 } as const;

/** API-added profiles, sequence accounting and import checkpoints of the PostgreSQL store. */
export class PgProfileSequence implements CatalogStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Sequence state, counters and the checkpoint of a batch, inside the transaction that stores its
   * readings. Each statement is sent at once (execute()), pipelined with whatever the caller sends
   * next: none needs another's answer, so they cost the write no round trip of their own.
   */
  writeInTx(tx: TransactionSql, batch: WriteBatch): Promise<unknown> {
    const sql = this.sql;
    const seq = batch.sequence;
    const sent: Promise<unknown>[] = [];
    if (seq?.devices.length) {
      sent.push(
        tx`
        INSERT INTO seq_state (device, state)
        SELECT * FROM unnest(${sql.array(
          seq.devices.map((d) => d.device),
          OID.text,
        )}::text[], ${sql.array(
          seq.devices.map((d) => JSON.stringify(d)),
          OID.text,
        )}::text[])
        ON CONFLICT (device) DO UPDATE SET state = excluded.state`.execute(),
      );
    }
    if (seq?.buckets.length) {
      const b = seq.buckets;
      const col = (f: (x: (typeof b)[0]) => number) => sql.array(b.map(f), OID.int8);
      sent.push(
        tx`
        INSERT INTO seq_stats AS s (device, bucket, received, duplicates, out_of_order, restarts)
        SELECT * FROM unnest(${sql.array(
          b.map((x) => x.device),
          OID.text,
        )}::text[], ${col((x) => x.bucket)}::int8[], ${col((x) => x.received)}::int8[],
          ${col((x) => x.duplicates)}::int8[], ${col((x) => x.outOfOrder)}::int8[], ${col((x) => x.restarts)}::int8[])
        ON CONFLICT (device, bucket) DO UPDATE SET received = s.received + excluded.received, duplicates = s.duplicates + excluded.duplicates,
          out_of_order = s.out_of_order + excluded.out_of_order, restarts = s.restarts + excluded.restarts`.execute(),
      );
    }
    if (batch.checkpoint) {
      sent.push(
        tx`INSERT INTO import_progress (key, state) VALUES (${batch.checkpoint.key}, ${JSON.stringify(batch.checkpoint)})
        ON CONFLICT (key) DO UPDATE SET state = excluded.state`.execute(),
      );
    }
    return Promise.all(sent);
  }

  async listProfiles(): Promise<Profile[]> {
    return (await this.sql<{ body: string }[]>`SELECT body FROM profiles ORDER BY name COLLATE "C"`).map((r) => JSON.parse(r.body) as Profile);
  }

  async saveProfile(profile: Profile): Promise<void> {
    await this.sql`INSERT INTO profiles (name, body, updated) VALUES (${profile.name}, ${JSON.stringify(profile)}, ${Date.now()})
      ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated = excluded.updated`;
  }

  async loadSequenceState(): Promise<SeqDeviceState[]> {
    return (await this.sql<{ state: string }[]>`SELECT state FROM seq_state`).map((r) => JSON.parse(r.state) as SeqDeviceState);
  }

  advancePartitionFence(partition: number, token: number): Promise<boolean> {
    return advancePartitionFence(this.sql, partition, token);
  }

  async sequenceStateOf(device: string): Promise<SeqDeviceState | undefined> {
    const [r] = await this.sql<{ state: string }[]>`SELECT state FROM seq_state WHERE device = ${device}`;
    return r ? (JSON.parse(r.state) as SeqDeviceState) : undefined;
  }

  async sequenceStats(device: string, from: number, to: number): Promise<SeqStats> {
    return sequenceStatsOf(this.sql, device, from, to);
  }

  async getImportCheckpoint(key: string): Promise<ImportCheckpoint | null> {
    const [r] = await this.sql<{ state: string }[]>`SELECT state FROM import_progress WHERE key = ${key}`;
    return r ? (JSON.parse(r.state) as ImportCheckpoint) : null;
  }

  async listTopicMappings(): Promise<StoredTopicMapping[]> {
    return (await this.sql<{ body: string }[]>`SELECT body FROM topic_mappings ORDER BY created, id`).map((r) => JSON.parse(r.body) as StoredTopicMapping);
  }

  async saveTopicMapping(m: StoredTopicMapping): Promise<void> {
    await this.sql`
      INSERT INTO topic_mappings (id, created, body) VALUES (${m.id}, ${m.createdAt}, ${JSON.stringify(m)})
      ON CONFLICT (id) DO UPDATE SET body = excluded.body`;
  }

  async deleteTopicMapping(id: string): Promise<boolean> {
    return (await this.sql`DELETE FROM topic_mappings WHERE id = ${id}`).count > 0;
  }

  async listInstalledPackRules(): Promise<string[]> {
    return (await this.sql<{ id: string }[]>`SELECT id FROM rule_packs_installed ORDER BY id COLLATE "C"`).map((r) => r.id);
  }

  async recordInstalledPackRules(ids: string[]): Promise<void> {
    if (ids.length) await this.sql`INSERT INTO rule_packs_installed (id) SELECT unnest(${this.sql.array(ids)}::text[]) ON CONFLICT (id) DO NOTHING`;
  }
}

/** One device's sequence counters summed over minutes of device time (also read by the read workers: pg-reads.ts). */
export async function sequenceStatsOf(sql: Sql, device: string, from: number, to: number): Promise<SeqStats> {
  // sum() of bigint is numeric (parsed as a string): cast back to int8.
  const [r] = await sql<SeqStats[]>`
    SELECT coalesce(sum(received), 0)::int8 AS received, coalesce(sum(duplicates), 0)::int8 AS duplicates,
      coalesce(sum(out_of_order), 0)::int8 AS "outOfOrder", coalesce(sum(restarts), 0)::int8 AS restarts
    FROM seq_stats WHERE device = ${device} AND bucket >= ${from - (from % 60_000)} AND bucket <= ${to}`;
  return { ...r };
}
