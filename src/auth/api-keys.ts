import { randomBytes } from 'node:crypto';
import type { AuthStore } from '../stores/store.js';
import type { ApiKeyRecord, PublicApiKey, Role } from '../model/auth.js';
import { randomSecret, sameSecret, sha256 } from './hash.js';
import type { Revocations } from './revocations.js';

export const API_KEY_PREFIX = 'fsk_';

export function publicKey(k: ApiKeyRecord): PublicApiKey {
  const { hash: _omit, ...rest } = k;
  return rest;
}

/** Keys for machines: fsk_<id>.<secret>, shown once at creation, stored as a hash, scoped to a role, revocable. */
export class ApiKeyService {
  private byId = new Map<string, ApiKeyRecord>();

  constructor(
    private readonly store: AuthStore,
    private readonly revocations?: Revocations,
  ) {}

  async load(): Promise<void> {
    this.byId.clear();
    for (const k of await this.store.listApiKeys()) this.byId.set(k.id, k);
  }

  /** Reads keys back from the store after another node changed them (one id, or all); a key revoked there is revoked here. */
  async refresh(id?: string): Promise<void> {
    const stored = new Map((await this.store.listApiKeys()).map((k) => [k.id, k]));
    for (const kid of id === undefined ? new Set([...this.byId.keys(), ...stored.keys()]) : [id]) {
      const old = this.byId.get(kid);
      const k = stored.get(kid);
      if (k) this.byId.set(kid, k);
      else this.byId.delete(kid);
      if (old && old.revokedAt === null && (!k || k.revokedAt !== null)) this.revocations?.emit({ kind: 'api_key', id: kid });
    }
  }

  list(): ApiKeyRecord[] {
    return [...this.byId.values()];
  }

  async create(input: { name: string; role: Role; createdBy: string | null }): Promise<{ key: string; record: ApiKeyRecord }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomSecret();
    const record: ApiKeyRecord = {
      id,
      name: input.name,
      role: input.role,
      hash: sha256(secret),
      createdAt: Date.now(),
      createdBy: input.createdBy,
      revokedAt: null,
    };
    await this.store.saveApiKey(record);
    this.byId.set(id, record);
    return { key: `${API_KEY_PREFIX}${id}.${secret}`, record };
  }

  async revoke(id: string): Promise<ApiKeyRecord | undefined> {
    const k = this.byId.get(id);
    if (!k) return undefined;
    if (k.revokedAt !== null) return k;
    const next = { ...k, revokedAt: Date.now() };
    await this.store.saveApiKey(next);
    this.byId.set(id, next);
    this.revocations?.emit({ kind: 'api_key', id });
    return next;
  }

  /** The key's record when the key is genuine and not revoked. */
  verify(key: string): ApiKeyRecord | null {
    if (!key.startsWith(API_KEY_PREFIX)) return null;
    const dot = key.indexOf('.');
    if (dot < 0) return null;
    const k = this.byId.get(key.slice(API_KEY_PREFIX.length, dot));
    if (!k || k.revokedAt !== null) return null;
    return sameSecret(sha256(key.slice(dot + 1)), k.hash) ? k : null;
  }
}
