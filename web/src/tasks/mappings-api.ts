import type { Api } from '../api.js';
import type { TopicMapping, TopicMappingEntry } from '../../../src/model/topic-mapping.js';

export type { TopicMapping, TopicMappingEntry };

const enc = encodeURIComponent;

/** The topic mapping routes of docs/topic-mappings.md (admin): the config file's entries read-only, the API's changeable. */
export class MappingApi {
  constructor(private readonly api: Api) {}

  async list(): Promise<TopicMappingEntry[]> {
    return (await this.api.send<{ mappings: TopicMappingEntry[] }>('GET', '/api/v1/mappings')).mappings;
  }
  create(m: TopicMapping): Promise<TopicMappingEntry> {
    return this.api.send('POST', '/api/v1/mappings', m);
  }
  update(id: string, m: TopicMapping): Promise<TopicMappingEntry> {
    return this.api.send('PUT', `/api/v1/mappings/${enc(id)}`, m);
  }
  remove(id: string): Promise<void> {
    return this.api.send('DELETE', `/api/v1/mappings/${enc(id)}`);
  }
}
