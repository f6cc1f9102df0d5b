import type { Api } from '../api.js';
import type { RejectedView } from '../../../src/model/telemetry.js';

/** A dead letter as GET /api/v1/rejected answers it (schema Rejected). */
export type Rejected = RejectedView;

/** Dead letters (docs/ingest.md, "Bad input"): newest first, paged by id. */
export class RejectedApi {
  constructor(private readonly api: Api) {}

  async list(q: { device?: string; before?: number; limit: number }): Promise<Rejected[]> {
    const p = new URLSearchParams({ limit: String(q.limit) });
    if (q.device) p.set('device', q.device);
    if (q.before !== undefined) p.set('before', String(q.before));
    return (await this.api.send<{ rejected: Rejected[] }>('GET', `/api/v1/rejected?${p}`)).rejected;
  }
}
