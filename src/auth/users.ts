import { randomUUID } from 'node:crypto';
import type { AuthStore } from '../stores/store.js';
import type { PublicUser, Role, UserRecord } from '../model/auth.js';
import { hashPassword, randomSecret, verifyPassword } from './hash.js';
import type { Revocations } from './revocations.js';
import { DomainError } from '../model/errors.js';

export const MIN_PASSWORD_LENGTH = 10;

export class UserError extends DomainError {
  constructor(message: string, field: string, rule: string, status = 400) {
    super(status, message, field, rule);
  }
}

export function publicUser(u: UserRecord): PublicUser {
  const { passwordHash: _omit, ...rest } = u;
  return rest;
}

/**
 * Users and their passwords (scrypt). Kept in memory as well as in the store: the guard looks a user
 * up on every request, so a disabled or demoted user loses access at once, not when a token expires.
 */
export class UserService {
  private byId = new Map<string, UserRecord>();
  /** Checked against when the name is unknown, so a wrong name costs as long as a wrong password. */
  private decoyHash = '';

  constructor(
    private readonly store: AuthStore,
    private readonly revocations?: Revocations,
  ) {}

  async load(): Promise<void> {
    this.byId.clear();
    for (const u of await this.store.listUsers()) this.byId.set(u.id, u);
    this.decoyHash = await hashPassword(randomSecret());
  }

  /**
   * Reads users back from the store after another node changed them (one id, or all of them), and
   * ends here what that change ended there: sessions of a user disabled, demoted, re-passworded or deleted.
   */
  async refresh(id?: string): Promise<void> {
    const stored = new Map((await this.store.listUsers()).map((u) => [u.id, u]));
    for (const uid of id === undefined ? new Set([...this.byId.keys(), ...stored.keys()]) : [id]) {
      const old = this.byId.get(uid);
      const u = stored.get(uid);
      if (u) this.byId.set(uid, u);
      else this.byId.delete(uid);
      if (old && (!u || (u.disabled && !old.disabled) || u.role !== old.role || u.passwordHash !== old.passwordHash))
        this.revocations?.emit({ kind: 'user', id: uid });
    }
  }

  list(): UserRecord[] {
    return [...this.byId.values()].sort((a, b) => a.username.localeCompare(b.username));
  }

  get(id: string): UserRecord | undefined {
    return this.byId.get(id);
  }

  byName(username: string): UserRecord | undefined {
    for (const u of this.byId.values()) if (u.username === username) return u;
    return undefined;
  }

  /** The user when name and password match and the user is enabled; null otherwise (the caller does not learn which). */
  async authenticate(username: string, password: string): Promise<UserRecord | null> {
    const u = this.byName(username);
    const ok = await verifyPassword(password, u?.passwordHash ?? this.decoyHash);
    return ok && u && !u.disabled ? u : null;
  }

  async create(input: { username: string; password: string; role: Role }): Promise<UserRecord> {
    if (this.byName(input.username)) throw new UserError(`user ${input.username} exists already`, 'username', 'unique', 409);
    checkPassword(input.password);
    const now = Date.now();
    const u: UserRecord = {
      id: randomUUID(),
      username: input.username,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      disabled: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.saveUser(u);
    this.byId.set(u.id, u);
    return u;
  }

  async update(id: string, change: { role?: Role; password?: string; disabled?: boolean }): Promise<UserRecord | undefined> {
    const u = this.byId.get(id);
    if (!u) return undefined;
    const next: UserRecord = { ...u, updatedAt: Date.now() };
    if (change.role !== undefined) next.role = change.role;
    if (change.disabled !== undefined) next.disabled = change.disabled;
    if (change.password !== undefined) {
      checkPassword(change.password);
      next.passwordHash = await hashPassword(change.password);
    }
    if (u.role === 'admin' && (next.role !== 'admin' || next.disabled)) this.keepAnAdmin(id);
    await this.store.saveUser(next);
    this.byId.set(id, next);
    // A new password, a disable or a role change ends the user's sessions, and the MQTT connections
    // they opened with their password.
    if (change.password !== undefined || next.disabled || next.role !== u.role) {
      await this.store.deleteRefreshTokens({ userId: id });
      this.revocations?.emit({ kind: 'user', id });
    }
    return next;
  }

  async remove(id: string): Promise<boolean> {
    if (this.byId.get(id)?.role === 'admin') this.keepAnAdmin(id);
    const gone = await this.store.deleteUser(id);
    this.byId.delete(id);
    if (gone) this.revocations?.emit({ kind: 'user', id });
    return gone;
  }

  /** Nobody may lock everyone out: the last enabled admin stays one. */
  private keepAnAdmin(leaving: string): void {
    const others = [...this.byId.values()].filter((u) => u.id !== leaving && u.role === 'admin' && !u.disabled);
    if (!others.length) throw new UserError('this is the last enabled admin; make another admin first', 'role', 'last_admin', 409);
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UserError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`, 'password', 'minLength');
}
