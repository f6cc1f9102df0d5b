import type { Sql } from 'postgres';
import type { ApiKeyRecord, DeviceCredentialRecord, LoginAttemptRecord, RefreshTokenRecord, UserRecord } from '../../model/auth.js';
import type { AuthStore } from '../store.js';

// Column aliases give rows the model's own field names.
const USER = `id, username, role, password_hash AS "passwordHash", disabled, created_at AS "createdAt", updated_at AS "updatedAt"`;
const REFRESH = `hash, user_id AS "userId", family, created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt"`;
const KEY = `id, name, role, hash, created_at AS "createdAt", created_by AS "createdBy", revoked_at AS "revokedAt"`;
const CRED = `device, hash, created_at AS "createdAt", created_by AS "createdBy"`;
const ATTEMPT = `key, failures, last_at AS "lastAt", locked_until AS "lockedUntil"`;

const plain = <T>(rows: readonly object[]): T[] => rows.map((r) => ({ ...r }) as T);

/** Users, refresh tokens, API keys, device credentials and login attempts of the PostgreSQL store. */
export class PgAuthTables implements AuthStore {
  constructor(private readonly sql: Sql) {}

  async listUsers(): Promise<UserRecord[]> {
    return plain(await this.sql.unsafe(`SELECT ${USER} FROM users ORDER BY username COLLATE "C"`));
  }

  async saveUser(u: UserRecord): Promise<void> {
    await this.sql`
      INSERT INTO users (id, username, role, password_hash, disabled, created_at, updated_at)
      VALUES (${u.id}, ${u.username}, ${u.role}, ${u.passwordHash}, ${u.disabled}, ${u.createdAt}, ${u.updatedAt})
      ON CONFLICT (id) DO UPDATE SET username = excluded.username, role = excluded.role, password_hash = excluded.password_hash,
        disabled = excluded.disabled, updated_at = excluded.updated_at`;
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      await tx`DELETE FROM refresh_tokens WHERE user_id = ${id}`;
      return (await tx`DELETE FROM users WHERE id = ${id}`).count > 0;
    });
  }

  async saveRefreshToken(t: RefreshTokenRecord): Promise<void> {
    await this.sql`INSERT INTO refresh_tokens (hash, user_id, family, created_at, expires_at, used_at)
      VALUES (${t.hash}, ${t.userId}, ${t.family}, ${t.createdAt}, ${t.expiresAt}, ${t.usedAt})`;
  }

  async getRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    return plain<RefreshTokenRecord>(await this.sql.unsafe(`SELECT ${REFRESH} FROM refresh_tokens WHERE hash = $1`, [hash]))[0];
  }

  async useRefreshToken(hash: string, at: number): Promise<boolean> {
    // The row lock of the UPDATE serialises racing refreshes: the second sees used_at set and changes nothing.
    return (await this.sql`UPDATE refresh_tokens SET used_at = ${at} WHERE hash = ${hash} AND used_at IS NULL`).count > 0;
  }

  async refreshFamilyLive(family: string, now: number): Promise<boolean> {
    return (await this.sql`SELECT 1 FROM refresh_tokens WHERE family = ${family} AND expires_at > ${now} LIMIT 1`).length > 0;
  }

  async deleteRefreshTokens(q: { userId?: string; family?: string }): Promise<void> {
    await this.sql.begin(async (tx) => {
      if (q.userId) await tx`DELETE FROM refresh_tokens WHERE user_id = ${q.userId}`;
      if (q.family) await tx`DELETE FROM refresh_tokens WHERE family = ${q.family}`;
      // Expired tokens are of no use to anyone; drop them while here.
      await tx`DELETE FROM refresh_tokens WHERE expires_at < ${Date.now()}`;
    });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return plain(await this.sql.unsafe(`SELECT ${KEY} FROM api_keys ORDER BY created_at`));
  }

  async saveApiKey(k: ApiKeyRecord): Promise<void> {
    await this.sql`
      INSERT INTO api_keys (id, name, role, hash, created_at, created_by, revoked_at)
      VALUES (${k.id}, ${k.name}, ${k.role}, ${k.hash}, ${k.createdAt}, ${k.createdBy}, ${k.revokedAt})
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, revoked_at = excluded.revoked_at`;
  }

  async listDeviceCredentials(): Promise<DeviceCredentialRecord[]> {
    return plain(await this.sql.unsafe(`SELECT ${CRED} FROM device_credentials ORDER BY device COLLATE "C"`));
  }

  async saveDeviceCredential(c: DeviceCredentialRecord): Promise<void> {
    await this.sql`
      INSERT INTO device_credentials (device, hash, created_at, created_by) VALUES (${c.device}, ${c.hash}, ${c.createdAt}, ${c.createdBy})
      ON CONFLICT (device) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at, created_by = excluded.created_by`;
  }

  async deleteDeviceCredential(device: string): Promise<boolean> {
    return (await this.sql`DELETE FROM device_credentials WHERE device = ${device}`).count > 0;
  }

  async getLoginAttempt(key: string): Promise<LoginAttemptRecord | undefined> {
    return plain<LoginAttemptRecord>(await this.sql.unsafe(`SELECT ${ATTEMPT} FROM login_attempts WHERE key = $1`, [key]))[0];
  }

  async saveLoginAttempt(r: LoginAttemptRecord): Promise<void> {
    await this.sql`
      INSERT INTO login_attempts (key, failures, last_at, locked_until) VALUES (${r.key}, ${r.failures}, ${r.lastAt}, ${r.lockedUntil})
      ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, locked_until = excluded.locked_until`;
  }

  async deleteLoginAttempt(key: string): Promise<void> {
    await this.sql`DELETE FROM login_attempts WHERE key = ${key}`;
  }
}
