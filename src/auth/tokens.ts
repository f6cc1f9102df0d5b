import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuthStore } from '../stores/store.js';
import type { Role } from '../model/auth.js';
import { randomSecret, sameSecret, sha256 } from './hash.js';
import { isRole } from './roles.js';
import type { Revocations } from './revocations.js';

export const ACCESS_TTL_MS = 15 * 60_000;
export const REFRESH_TTL_MS = 30 * 24 * 3600_000;

export interface AccessClaims {
  sub: string;
  role: Role;
  iat: number;
  exp: number;
  jti: string;
  /** The sign-in this token belongs to (its refresh family); checked on every request, so signing out ends it. */
  sid: string;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

/** The signing key: made on first start, kept in the data directory readable by the owner only. */
export function loadOrCreateKey(path: string): Buffer {
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
    if (key.length >= 32) return key;
    throw new Error(`${path}: the JWT key is shorter than 32 bytes; delete it to have a new one made (everyone will have to sign in again)`);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
}

const b64 = (x: object) => Buffer.from(JSON.stringify(x)).toString('base64url');
const HEADER = b64({ alg: 'HS256', typ: 'JWT' });

/** HS256 JWTs for access (short-lived), and opaque refresh tokens stored hashed and rotated on every use. */
export class TokenService {
  constructor(
    private readonly key: Buffer,
    private readonly store: AuthStore,
    private readonly opts: { accessTtlMs?: number; refreshTtlMs?: number; now?: () => number } = {},
    private readonly revocations?: Revocations,
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  issueAccess(sub: string, role: Role, sid: string, ttlMs = this.opts.accessTtlMs ?? ACCESS_TTL_MS): { token: string; expiresAt: number } {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + Math.max(1, Math.round(ttlMs / 1000));
    const claims: AccessClaims = { sub, role, iat, exp, jti: randomUUID(), sid };
    const body = `${HEADER}.${b64(claims)}`;
    return { token: `${body}.${this.sign(body)}`, expiresAt: exp * 1000 };
  }

  verifyAccess(token: string): VerifyResult {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed' };
    // Only the header we issue is accepted: no "alg: none", no algorithm chosen by the caller.
    if (parts[0] !== HEADER) return { ok: false, reason: 'malformed' };
    if (!sameSecret(this.sign(`${parts[0]}.${parts[1]}`), parts[2])) return { ok: false, reason: 'signature' };
    let claims: AccessClaims;
    try {
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as AccessClaims;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (typeof claims?.sub !== 'string' || !isRole(claims.role) || typeof claims.exp !== 'number' || typeof claims.sid !== 'string')
      return { ok: false, reason: 'malformed' };
    if (claims.exp * 1000 <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, claims };
  }

  async issueRefresh(userId: string, family: string = randomUUID()): Promise<{ token: string; expiresAt: number; family: string }> {
    const token = `fsr_${randomSecret()}`;
    const now = this.now();
    const expiresAt = now + (this.opts.refreshTtlMs ?? REFRESH_TTL_MS);
    await this.store.saveRefreshToken({ hash: sha256(token), userId, family, createdAt: now, expiresAt, usedAt: null });
    return { token, expiresAt, family };
  }

  /**
   * Spends a refresh token and returns a new one of the same family. A token presented twice means
   * it was copied: the whole family is revoked, so the thief's copy dies with the owner's.
   */
  async rotateRefresh(
    token: string,
  ): Promise<{ userId: string; token: string; expiresAt: number; family: string } | { error: 'unknown' | 'expired' | 'reused' }> {
    const rec = await this.store.getRefreshToken(sha256(token));
    if (!rec) return { error: 'unknown' };
    if (rec.usedAt !== null || !(await this.store.useRefreshToken(rec.hash, this.now()))) {
      await this.store.deleteRefreshTokens({ family: rec.family });
      this.revocations?.emit({ kind: 'session', family: rec.family });
      return { error: 'reused' };
    }
    if (rec.expiresAt <= this.now()) return { error: 'expired' };
    const next = await this.issueRefresh(rec.userId, rec.family);
    return { userId: rec.userId, ...next };
  }

  async revokeRefresh(token: string): Promise<void> {
    const rec = await this.store.getRefreshToken(sha256(token));
    if (!rec) return;
    await this.store.deleteRefreshTokens({ family: rec.family });
    this.revocations?.emit({ kind: 'session', family: rec.family });
  }

  /** Whether a sign-in still holds a refresh token that has not expired (signed out, reused or reset: no). */
  sessionLive(family: string): Promise<boolean> {
    return this.store.refreshFamilyLive(family, this.now());
  }
}
