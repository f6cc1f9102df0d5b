import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { Profile } from '../model/device.js';
import { packageRoot } from '../paths.js';
import { MAX_RETENTION_HOURS } from '../model/retention.js';

/** Device profiles by name: the shipped ones, then any from the user's folder, which win. */
export class ProfileRegistry {
  private profiles = new Map<string, Profile>();

  static load(extraDir: string | null): ProfileRegistry {
    const reg = new ProfileRegistry();
    reg.loadDir(join(packageRoot, 'profiles'));
    if (extraDir) reg.loadDir(extraDir);
    return reg;
  }

  loadDir(dir: string): void {
    if (!existsSync(dir)) throw new Error(`profiles folder ${dir} does not exist`);
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(json|ya?ml)$/.test(name)) continue;
      const text = readFileSync(join(dir, name), 'utf8');
      const parsed = (name.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) as Profile;
      if (!parsed?.name || typeof parsed.metrics !== 'object') throw new Error(`profile file ${name}: needs "name" and "metrics"`);
      const h = parsed.rawRetentionHours;
      if (h !== undefined && (typeof h !== 'number' || !(h > 0) || h > MAX_RETENTION_HOURS)) {
        throw new Error(`profile file ${name}: rawRetentionHours must be hours above 0 and at most ${MAX_RETENTION_HOURS}, got ${JSON.stringify(h)}`);
      }
      this.profiles.set(parsed.name, parsed);
    }
  }

  get(name: string): Profile | undefined {
    return this.profiles.get(name);
  }

  list(): Profile[] {
    return [...this.profiles.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  set(profile: Profile): void {
    this.profiles.set(profile.name, profile);
  }
}
