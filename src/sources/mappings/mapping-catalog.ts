import { randomUUID } from 'node:crypto';
import type { CatalogStore } from '../../stores/store.js';
import type { StoredTopicMapping, TopicMapping, TopicMappingEntry } from '../../model/topic-mapping.js';
import { DomainError } from '../../model/errors.js';
import { compileMapping, MappingError, type TopicMappings } from './topic-mappings.js';

/**
 * The mappings in force: the config file's first (read-only), then those added through the API
 * (stored, oldest first). Every change is checked as the config file's mappings are, stored, and
 * applied to the live TopicMappings that the embedded broker and the external broker client read.
 */
export class MappingCatalog {
  private added: StoredTopicMapping[] = [];
  /** Changes and reloads one at a time: a reload (another node's change, on PostgreSQL) never interleaves with a change here. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Pick<CatalogStore, 'listTopicMappings' | 'saveTopicMapping' | 'deleteTopicMapping'>,
    private readonly live: TopicMappings,
    private readonly fromConfig: readonly TopicMapping[],
  ) {}

  /** Reads the stored mappings and applies them; one that no longer fits (a config mapping took its topic) is skipped, and returned. */
  load(): Promise<{ skipped: { id: string; reason: string }[] }> {
    return this.serial(async () => {
      const stored = await this.store.listTopicMappings();
      const skipped: { id: string; reason: string }[] = [];
      try {
        // The usual case, in one step: the brokers never see a partial set.
        this.apply(stored);
        this.added = stored;
        return { skipped };
      } catch {
        // One of them no longer fits: keep the others, in order.
      }
      const added: StoredTopicMapping[] = [];
      for (const m of stored) {
        try {
          this.apply([...added, m]);
          added.push(m);
        } catch (err) {
          skipped.push({ id: m.id, reason: (err as Error).message });
        }
      }
      this.apply(added);
      this.added = added;
      return { skipped };
    });
  }

  list(): TopicMappingEntry[] {
    return [
      ...this.fromConfig.map((m, i) => ({ ...m, id: `config-${i}`, origin: 'config' as const, readOnly: true })),
      ...this.added.map((m) => ({ ...m.mapping, id: m.id, origin: 'api' as const, readOnly: false })),
    ];
  }

  get(id: string): TopicMappingEntry | undefined {
    return this.list().find((m) => m.id === id);
  }

  create(def: TopicMapping, now = Date.now()): Promise<TopicMappingEntry> {
    return this.serial(() => this.createNow(def, now));
  }

  update(id: string, def: TopicMapping, now = Date.now()): Promise<TopicMappingEntry> {
    return this.serial(() => this.updateNow(id, def, now));
  }

  remove(id: string): Promise<void> {
    return this.serial(() => this.removeNow(id));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async createNow(def: TopicMapping, now: number): Promise<TopicMappingEntry> {
    const mapping = checked(def);
    const m: StoredTopicMapping = { id: randomUUID(), mapping, createdAt: now, updatedAt: now };
    const next = [...this.added, m];
    this.apply(next, this.added.length);
    await this.store.saveTopicMapping(m);
    this.added = next;
    return this.get(m.id)!;
  }

  private async updateNow(id: string, def: TopicMapping, now: number): Promise<TopicMappingEntry> {
    const i = this.indexOf(id);
    const mapping = checked(def);
    const m: StoredTopicMapping = { ...this.added[i], mapping, updatedAt: now };
    const next = this.added.map((x, j) => (j === i ? m : x));
    this.apply(next, i);
    await this.store.saveTopicMapping(m);
    this.added = next;
    return this.get(id)!;
  }

  private async removeNow(id: string): Promise<void> {
    const i = this.indexOf(id);
    const next = this.added.filter((_, j) => j !== i);
    await this.store.deleteTopicMapping(id);
    this.added = next;
    this.apply(next);
  }

  private indexOf(id: string): number {
    if (this.fromConfig.some((_, i) => id === `config-${i}`))
      throw new DomainError(409, `mapping ${id} comes from the config file (topicMappings): change it there`, 'id', 'read_only');
    const i = this.added.findIndex((m) => m.id === id);
    if (i < 0) throw new DomainError(404, `no topic mapping ${id}`, 'id', 'not_found');
    return i;
  }

  /**
   * Sets the live mappings (the old ones stay when this throws). An error about the entry being
   * changed (index `at` among the API's) names the request's own field, e.g. `topic`, not its place.
   */
  private apply(added: StoredTopicMapping[], at?: number): void {
    try {
      this.live.set([...this.fromConfig, ...added.map((m) => m.mapping)]);
    } catch (err) {
      if (!(err instanceof MappingError) || at === undefined) throw err;
      const own = `topicMappings[${this.fromConfig.length + at}].`;
      if (!err.field.startsWith(own)) throw err;
      throw new MappingError(err.field.slice(own.length), err.rule, err.message);
    }
  }
}

/** One mapping as the request gave it, checked alone (its fields named as in the body). */
function checked(def: TopicMapping): TopicMapping {
  compileMapping(def);
  const { topic, device, metrics, profile, name } = def;
  return Object.fromEntries(Object.entries({ topic, device, metrics, profile, name }).filter(([, v]) => v !== undefined)) as unknown as TopicMapping;
}
