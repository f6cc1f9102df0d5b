import type Database from 'better-sqlite3';
import type { Profile } from '../../model/device.js';
import type { SeqDeviceState, SeqStats } from '../../model/sequence.js';
import type { StoredTopicMapping } from '../../model/topic-mapping.js';
import type { CatalogStore, ImportCheckpoint } from '../store.js';

/** One device's sequence counters summed over minutes of device time (also read by the read workers: sqlite-reads.ts). */
export const SEQ_STATS_SQL = `SELECT coalesce(sum(received), 0) AS received, coalesce(sum(duplicates), 0) AS duplicates,
           coalesce(sum(out_of_order), 0) AS outOfOrder, coalesce(sum(restarts), 0) AS restarts
         FROM seq_stats WHERE device = ? AND bucket >= ? AND bucket <= ?`;

/** SEQ_STATS_SQL's arguments: the minute that holds `from`, through `to`. */
export function seqStatsArgs(device: string, from: number, to: number): [string, number, number] {
  return [device, from - (from % 60_000), to];
}

/** The SQLite side of CatalogStore: API-added profiles, sequence accounting state, import checkpoints. */
export class SqliteCatalog implements CatalogStore {
  constructor(private readonly db: Database.Database) {}

  async listProfiles(): Promise<Profile[]> {
    return (this.db.prepare('SELECT body FROM profiles ORDER BY name').pluck().all() as string[]).map((b) => JSON.parse(b) as Profile);
  }

  async saveProfile(profile: Profile): Promise<void> {
    this.db
      .prepare('INSERT INTO profiles (name, body, updated) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated = excluded.updated')
      .run(profile.name, JSON.stringify(profile), Date.now());
  }

  async loadSequenceState(): Promise<SeqDeviceState[]> {
    return (this.db.prepare('SELECT state FROM seq_state').pluck().all() as string[]).map((s) => JSON.parse(s) as SeqDeviceState);
  }

  async sequenceStats(device: string, from: number, to: number): Promise<SeqStats> {
    return this.db.prepare(SEQ_STATS_SQL).get(...seqStatsArgs(device, from, to)) as SeqStats;
  }

  async getImportCheckpoint(key: string): Promise<ImportCheckpoint | null> {
    const state = this.db.prepare('SELECT state FROM import_progress WHERE key = ?').pluck().get(key) as string | undefined;
    return state ? (JSON.parse(state) as ImportCheckpoint) : null;
  }

  async listTopicMappings(): Promise<StoredTopicMapping[]> {
    return (this.db.prepare('SELECT body FROM topic_mappings ORDER BY created, id').pluck().all() as string[]).map((b) => JSON.parse(b) as StoredTopicMapping);
  }

  async saveTopicMapping(m: StoredTopicMapping): Promise<void> {
    this.db
      .prepare('INSERT INTO topic_mappings (id, created, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body')
      .run(m.id, m.createdAt, JSON.stringify(m));
  }

  async deleteTopicMapping(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM topic_mappings WHERE id = ?').run(id).changes > 0;
  }

  async listInstalledPackRules(): Promise<string[]> {
    return this.db.prepare('SELECT id FROM rule_packs_installed ORDER BY id').pluck().all() as string[];
  }

  async recordInstalledPackRules(ids: string[]): Promise<void> {
    const add = this.db.prepare('INSERT INTO rule_packs_installed (id) VALUES (?) ON CONFLICT (id) DO NOTHING');
    this.db.transaction(() => {
      for (const id of ids) add.run(id);
    })();
  }
}
