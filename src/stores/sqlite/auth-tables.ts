import type Database from 'better-sqlite3';
import type { ApiKeyRecord, DeviceCredentialRecord, LoginAttemptRecord, RefreshTokenRecord, Role, UserRecord } from '../../model/auth.js';
import type { AuthStore } from '../store.js';

interface UserRow {
  id: string;
  username: string;
  role: string;
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}
interface RefreshRow {
  hash: string;
  user_id: string;
  family: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
interface KeyRow {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: number;
  created_by: string | null;
  revoked_at: number | null;
}
interface CredRow {
  device: string;
  hash: string;
  created_at: number;
  created_by: string;
}
interface AttemptRow {
  key: string;
  failures: number;
  last_at: number;
  locked_until: number | null;
}

const user = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  role: r.role as Role,
  passwordHash: r.password_hash,
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const refresh = (r: RefreshRow): RefreshTokenRecord => ({
  hash: r.hash,
  userId: r.user_id,
  family: r.family,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
});
const key = (r: KeyRow): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  role: r.role as Role,
  hash: r.hash,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});
const cred = (r: CredRow): DeviceCredentialRecord => ({ device: r.device, hash: r.hash, createdAt: r.created_at, createdBy: r.created_by });

/** Users, refresh tokens, API keys, device credentials and login attempts of the SQLite store. */
export class SqliteAuthTables implements AuthStore {
  constructor(private readonly db: Database.Database) {}

  async listUsers(): Promise<UserRecord[]> {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(user);
  }

  async saveUser(u: UserRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO users (id, username, role, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, role = excluded.role, password_hash = excluded.password_hash,
           disabled = excluded.disabled, updated_at = excluded.updated_at`,
      )
      .run(u.id, u.username, u.role, u.passwordHash, u.disabled ? 1 : 0, u.createdAt, u.updatedAt);
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM refresh_tokens WHERE user_id = ?').run(id);
      return this.db.prepare('DELETE FROM users WHERE id = ?').run(id).changes > 0;
    })();
  }

  async saveRefreshToken(t: RefreshTokenRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO refresh_tokens (hash, user_id, family, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(t.hash, t.userId, t.family, t.createdAt, t.expiresAt, t.usedAt);
  }

  async getRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM refresh_tokens WHERE hash = ?').get(hash) as RefreshRow | undefined;
    return r && refresh(r);
  }

  async useRefreshToken(hash: string, at: number): Promise<boolean> {
    return this.db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL').run(at, hash).changes > 0;
  }

  async refreshFamilyLive(family: string, now: number): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM refresh_tokens WHERE family = ? AND expires_at > ? LIMIT 1').get(family, now) !== undefined;
  }

  async deleteRefreshTokens(q: { userId?: string; family?: string }): Promise<void> {
    if (q.userId) this.db.prepare('DELETE FROM refresh_tokens WHERE user_id = ?').run(q.userId);
    if (q.family) this.db.prepare('DELETE FROM refresh_tokens WHERE family = ?').run(q.family);
    // Expired tokens are of no use to anyone; drop them while here.
    this.db.prepare('DELETE FROM refresh_tokens WHERE expires_at < ?').run(Date.now());
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at').all() as KeyRow[]).map(key);
  }

  async saveApiKey(k: ApiKeyRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO api_keys (id, name, role, hash, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, revoked_at = excluded.revoked_at`,
      )
      .run(k.id, k.name, k.role, k.hash, k.createdAt, k.createdBy, k.revokedAt);
  }

  async listDeviceCredentials(): Promise<DeviceCredentialRecord[]> {
    return (this.db.prepare('SELECT * FROM device_credentials ORDER BY device').all() as CredRow[]).map(cred);
  }

  async saveDeviceCredential(c: DeviceCredentialRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO device_credentials (device, hash, created_at, created_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (device) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at, created_by = excluded.created_by`,
      )
      .run(c.device, c.hash, c.createdAt, c.createdBy);
  }

  async deleteDeviceCredential(device: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM device_credentials WHERE device = ?').run(device).changes > 0;
  }

  async getLoginAttempt(k: string): Promise<LoginAttemptRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM login_attempts WHERE key = ?').get(k) as AttemptRow | undefined;
    return r && { key: r.key, failures: r.failures, lastAt: r.last_at, lockedUntil: r.locked_until };
  }

  async saveLoginAttempt(r: LoginAttemptRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO login_attempts (key, failures, last_at, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, locked_until = excluded.locked_until`,
      )
      .run(r.key, r.failures, r.lastAt, r.lockedUntil);
  }

  async deleteLoginAttempt(k: string): Promise<void> {
    this.db.prepare('DELETE FROM login_attempts WHERE key = ?').run(k);
  }
}
