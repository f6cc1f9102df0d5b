import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Profile } from '../model/device.js';
import type { Rule, RuleInput } from '../model/alarm.js';

/** What installing a rule pack needs of the alarm engine. */
export interface RuleSink {
  listRules(): Rule[];
  createRule(input: RuleInput, id: string): Promise<Rule>;
}

export const packRuleId = (profile: string, key: string) => `pack:${profile}:${key}`;

/**
 * Installs each profile's rule pack once: a rule a user edited keeps the edit, one removed stays
 * removed. What was installed is remembered in a small file beside the data (ids only), so a pack
 * rule returns only with a new key.
 */
export async function installRulePacks(profiles: Profile[], engine: RuleSink, recordPath: string): Promise<Rule[]> {
  const installed = new Set<string>(existsSync(recordPath) ? (JSON.parse(readFileSync(recordPath, 'utf8')) as string[]) : []);
  const present = new Set(engine.listRules().map((r) => r.id));
  const added: Rule[] = [];
  for (const p of profiles) {
    for (const entry of p.rules ?? []) {
      const id = packRuleId(p.name, entry.key);
      if (installed.has(id)) continue;
      installed.add(id);
      if (present.has(id)) continue;
      const { key: _key, ...input } = entry;
      added.push(await engine.createRule({ ...input, scope: 'profile', target: p.name }, id));
    }
  }
  mkdirSync(dirname(recordPath), { recursive: true });
  writeFileSync(recordPath, JSON.stringify([...installed].sort(), null, 1) + '\n');
  return added;
}
