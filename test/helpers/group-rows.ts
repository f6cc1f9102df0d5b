import type { GroupAnswer, GroupRow } from '../../src/stores/store.js';

/** The rows of a group read's answer (its JSON bytes), as the API's client reads them. */
export async function groupRowsOf(answer: GroupAnswer | Promise<GroupAnswer>): Promise<GroupRow[]> {
  return JSON.parse(new TextDecoder().decode((await answer).json)) as GroupRow[];
}
