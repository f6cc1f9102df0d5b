import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Channel } from './channel.js';

export class NotifyConfigError extends Error {}

/**
 * A kind of notification channel, registered by type in registry.ts. It reads its own config
 * section (`notify.<type>` in the config file, FIELDSCOPE_NOTIFY as JSON, or --notify) and its
 * secrets from the environment or a file, and says which setting is wrong when one is.
 */
export interface ChannelPlugin {
  readonly type: Channel['type'];
  /**
   * null: not configured. The whole Config is handed in for the flat settings older versions read;
   * `warn` puts a line in the log (a deprecated setting in use).
   */
  create(section: unknown, env: NodeJS.ProcessEnv, config: Config, warn: (message: string) => void): Channel | null;
}

/** A secret from its env variable, else from the named file; never from a config file or a flag. */
export function secret(env: NodeJS.ProcessEnv, name: string, file: string | null | undefined): string | null {
  const v = env[name];
  if (v) return v;
  if (file) return readFileSync(file, 'utf8').trim();
  return null;
}

/** Checks a section is an object of known string settings; names the bad one. */
export function stringSettings<K extends string>(where: string, raw: unknown, known: readonly K[]): Partial<Record<K, string>> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new NotifyConfigError(`${where} must be an object`);
  const out: Partial<Record<K, string>> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!known.includes(k as K)) throw new NotifyConfigError(`${where}: unknown setting "${k}" (known: ${known.join(', ')})`);
    if (typeof v !== 'string' || v === '') throw new NotifyConfigError(`${where}.${k} must be a non-empty string`);
    out[k as K] = v;
  }
  return out;
}

/** A webhook URL must be https, except to this machine (a local relay, a test receiver). */
export function checkWebhookUrl(where: string, url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NotifyConfigError(`${where} must be a URL`);
  }
  const loopback = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\./.test(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new NotifyConfigError(`${where} must be an https:// URL (http:// only to this machine)`);
  return url;
}
