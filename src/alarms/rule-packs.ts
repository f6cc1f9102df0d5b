import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Profile } from '../model/device.js';
import type { Rule, RuleInput } from '../model/alarm.js';
import type { CatalogStore } from '../stores/store.js';

/** What installing a rule pack needs of the alarm engine. */
export interface RuleSink {
  listRules(): Rule[];
  createRule(input: RuleInput, id: string): Promise<Rule>;
}

export const packRuleId = (profile: string, key: string) => `pack:${profile}:${key}`;

/**
 * Installs each profile's rule pack once: a rule a user edited keeps the edit, one removed stays
 * removed. What was installed is remembered in the store (ids only), so a pack rule returns only
 * with a new key, whichever node starts. `legacyFile`: where an older version remembered it, per
 * node (`<data>/alarms/rule-packs.json`); its ids join the store's and the file goes.
 */
export async function installRulePacks(
  profiles: Profile[],
  engine: RuleSink,
  record: Pick<CatalogStore, 'listInstalledPackRules' | 'recordInstalledPackRules'>,
  legacyFile?: string,
): Promise<Rule[]> {
  if (legacyFile && existsSync(legacyFile)) {
    await record.recordInstalledPackRules((JSON.parse(readFileSync(legacyFile, 'utf8')) as unknown[]).map(String));
    rmSync(legacyFile, { force: true });
  }
  const installed = new Set<string>(await record.listInstalledPackRules());
  const present = new Set(engine.listRules().map((r) => r.id));
  const added: Rule[] = [];
  const now: string[] = [];
  for (const p of profiles) {
    for (const entry of p.rules ?? []) {
      const id = packRuleId(p.name, entry.key);
      if (installed.has(id)) continue;
      installed.add(id);
      now.push(id);
      if (present.has(id)) continue;
      const { key: _key, ...input } = entry;
      added.push(await engine.createRule({ ...input, scope: 'profile', target: p.name }, id));
    }
  }
  await record.recordInstalledPackRules(now);
  return added;
}
